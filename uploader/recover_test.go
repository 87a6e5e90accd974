package uploader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenRecoversHalfMadeItems: a crash inside Enqueue leaves .new-<id>;
// with its file it is finished, without it dropped (the caller still has
// the source file).
func TestOpenRecoversHalfMadeItems(t *testing.T) {
	dir := t.TempDir()
	mk := func(id string, withFile bool) {
		d := filepath.Join(dir, newPrefix+id)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		writeJSONAtomic(filepath.Join(d, stateFile), itemState{Name: "f.webm", Size: 1, Status: statusQueued})
		writeJSONAtomic(filepath.Join(d, manifestFile), Manifest{File: "f.webm"})
		if withFile {
			writeTemp(t, d, "f.webm", []byte("f"))
		}
	}
	mk("20260101T000000.000000000-aaaa", true)
	mk("20260101T000000.000000000-bbbb", false)
	q, err := Open(dir, Options{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	snap := q.Snapshot()
	if len(snap) != 1 || snap[0].ID != "20260101T000000.000000000-aaaa" || snap[0].State != StateQueued {
		t.Fatalf("snapshot %+v, want the complete item queued", snap)
	}
	if _, err := os.Stat(filepath.Join(dir, newPrefix+"20260101T000000.000000000-bbbb")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("half-made item without its file still there: %v", err)
	}
}

// TestCrashAfterUploadVerifies: an item whose earlier attempt may have
// finished is checked with the Verifier first and not sent again.
func TestCrashAfterUploadVerifies(t *testing.T) {
	dir := t.TempDir()
	mem := &memSink{}
	q, err := Open(dir, Options{Sink: verifyingSink{mem}})
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, t.TempDir(), "v.webm", []byte("verify me"))
	id, err := q.Enqueue(context.Background(), path, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	// The store has it, but the process died before recording that.
	mem.files = map[string][]byte{"v.webm": []byte("verify me")}
	e := q.items[id]
	e.st.Attempts = 1
	if err := q.save(e); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q2, err := Open(dir, Options{Sink: verifyingSink{mem}})
	if err != nil {
		t.Fatal(err)
	}
	runQueue(t, q2)
	snap := waitFor(t, q2, "done", allIn(StateDone))
	if mem.count() != 0 || snap[0].Stored != "mem:v.webm" {
		t.Fatalf("puts %d, status %+v; want verified without a new Put", mem.count(), snap[0])
	}
}

func TestEnqueueRefusesBadInput(t *testing.T) {
	q, err := Open(t.TempDir(), Options{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	for _, tc := range []struct {
		name string
		path string
		m    Manifest
		want string
	}{
		{"missing file", filepath.Join(src, "nope"), Manifest{}, "no such file"},
		{"wrong checksum", writeTemp(t, src, "a", []byte("a")), Manifest{SHA256: "00"}, "manifest says sha256"},
		{"bad name", writeTemp(t, src, "b", []byte("b")), Manifest{File: "../b"}, "not a usable file name"},
		{"reserved name", writeTemp(t, src, "c", []byte("c")), Manifest{File: stateFile}, "not a usable file name"},
		{"bad dest", writeTemp(t, src, "d", []byte("d")), Manifest{Dest: "a/b"}, "not a folder name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := q.Enqueue(context.Background(), tc.path, tc.m)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Enqueue = %v, want an error with %q", err, tc.want)
			}
		})
	}
	if n := len(q.Snapshot()); n != 0 {
		t.Fatalf("%d items after refused enqueues", n)
	}
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Fatal("Open without a sink accepted")
	}
}

func TestDescribe(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		s    ItemStatus
		want string
	}{
		{ItemStatus{State: StateQueued}, "queued"},
		{ItemStatus{State: StateWaiting, Until: now.Add(16 * time.Hour)}, "waiting for window (until 01:00)"},
		{ItemStatus{State: StateUploading, Size: 200, Sent: 50, Rate: 2.5e6}, "uploading 25% at 2.5 MB/s"},
		{ItemStatus{State: StateRetrying, Until: now.Add(12 * time.Second), Attempt: 3, Err: "connection refused"}, "retrying in 12 s (attempt 3, connection refused)"},
		{ItemStatus{State: StateDone}, "done"},
		{ItemStatus{State: StateFailed, Err: "bad token"}, "failed: bad token"},
	} {
		if got := tc.s.Describe(now); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.s.State, got, tc.want)
		}
	}
}

func TestRateMeter(t *testing.T) {
	var m rateMeter
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for i := range 50 { // 1 MB every 100 ms: 10 MB/s
		m.add(t0.Add(time.Duration(i)*100*time.Millisecond), int64(i)*1e6)
	}
	now := t0.Add(49 * 100 * time.Millisecond)
	if r := m.rate(now); r < 9.9e6 || r > 10.1e6 {
		t.Fatalf("rate %.0f, want 10 MB/s", r)
	}
	if r := m.rate(now.Add(time.Minute)); r != 0 {
		t.Fatalf("rate a minute after the last byte %.0f, want 0", r)
	}
}

// TestOpenSurvivesDamagedItems (R-V10): a lost state file is rebuilt from
// the manifest and the item still goes out; an item without a manifest is
// set aside, and neither stops the queue from opening.
func TestOpenSurvivesDamagedItems(t *testing.T) {
	dir := t.TempDir()
	sink := &memSink{}
	q, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	good, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "good.webm", []byte("good")), Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "bad.webm", []byte("bad")), Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := os.WriteFile(filepath.Join(dir, good, stateFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, bad, manifestFile)); err != nil {
		t.Fatal(err)
	}
	q2, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatalf("Open with damaged items: %v", err)
	}
	snap := q2.Snapshot()
	if len(snap) != 1 || snap[0].ID != good || snap[0].Name != "good.webm" {
		t.Fatalf("snapshot %+v, want the good item alone", snap)
	}
	if _, err := os.Stat(filepath.Join(dir, ".broken-"+bad, "bad.webm")); err != nil {
		t.Fatalf("the item without a manifest was not set aside with its file: %v", err)
	}
	runQueue(t, q2)
	waitFor(t, q2, "done", allIn(StateDone))
	if got, _ := sink.get("good.webm"); string(got) != "good" {
		t.Fatalf("stored %q", got)
	}
}
