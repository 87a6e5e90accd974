package uploader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noJitter(d time.Duration) time.Duration { return d }

func itemPath(q *Queue, s ItemStatus) string { return filepath.Join(q.dir, s.ID, s.Name) }

// TestQueueDeliversAndDeletes proves R-V3 (at once) and R-V10: each file
// is delivered byte-identical, and the local copy goes only after that.
func TestQueueDeliversAndDeletes(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	sink := &memSink{}
	q, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for i := range 3 {
		name := fmt.Sprintf("rec%d.webm", i)
		want[name] = bytes.Repeat([]byte{byte(i)}, 1000*(i+1))
		path := writeTemp(t, src, name, want[name])
		if _, err := q.Enqueue(context.Background(), path, Manifest{Recording: name}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Enqueue left the source file: %v", err)
		}
	}
	sink.onPut = func(it Item) { // the file is still on disk while it is being sent
		if _, err := os.Stat(filepath.Join(dir, it.ID, it.Name)); err != nil {
			t.Errorf("during Put: %v", err)
		}
	}
	stop := runQueue(t, q)
	snap := waitFor(t, q, "all done", allIn(StateDone))
	for _, s := range snap {
		got, _ := sink.get(s.Name)
		if !bytes.Equal(got, want[s.Name]) || s.Sent != s.Size || s.Stored != "mem:"+s.Name {
			t.Fatalf("%s: stored %d bytes, status %+v", s.Name, len(got), s)
		}
		if _, err := os.Stat(itemPath(q, s)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: local copy still there after delivery: %v", s.Name, err)
		}
	}
	t.Logf("recordings made %d, stored %d", len(want), len(sink.files))
	if len(snap) != len(want) || len(sink.files) != len(want) {
		t.Fatalf("recordings made %d, stored %d (%d done)", len(want), len(sink.files), len(snap))
	}
	stop()
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q2, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(q2.Snapshot()); n != 0 {
		t.Fatalf("reopened queue has %d items, want the done ones cleared", n)
	}
}

// TestQueueRetriesWithBackoff: retryable failures wait a growing backoff
// (full jitter; here the ceiling itself) and keep the local file.
func TestQueueRetriesWithBackoff(t *testing.T) {
	clock := &autoClock{now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	fault := errors.New("connection refused")
	sink := &memSink{errs: []error{fault, fault, fault, fault}}
	dir := t.TempDir()
	q, err := Open(dir, Options{Sink: sink, Clock: clock, Jitter: noJitter, MinBackoff: time.Second, MaxBackoff: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sink.onPut = func(it Item) {
		if _, err := os.Stat(filepath.Join(dir, it.ID, it.Name)); err != nil {
			t.Errorf("local file gone while retrying: %v", err)
		}
	}
	if _, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "a.webm", []byte("abc")), Manifest{}); err != nil {
		t.Fatal(err)
	}
	runQueue(t, q)
	snap := waitFor(t, q, "done", allIn(StateDone))
	if snap[0].Attempt != 5 || sink.count() != 5 {
		t.Fatalf("attempts %d, puts %d; want 5", snap[0].Attempt, sink.count())
	}
	clock.mu.Lock()
	got := fmt.Sprint(clock.waited)
	clock.mu.Unlock()
	if got != "[1s 2s 4s 5s]" {
		t.Fatalf("backoffs %s, want [1s 2s 4s 5s] (doubling, capped)", got)
	}
}

func TestBackoffFullJitterStaysInRange(t *testing.T) {
	q := &Queue{opts: Options{MinBackoff: time.Second, MaxBackoff: time.Minute}}
	var maxSeen time.Duration
	q.opts.Jitter = func(d time.Duration) time.Duration { maxSeen = d; return d / 2 }
	for attempt, ceil := range map[int]time.Duration{1: time.Second, 3: 4 * time.Second, 7: time.Minute, 40: time.Minute} {
		if got := q.backoff(attempt); got != ceil/2 || maxSeen != ceil {
			t.Errorf("attempt %d: waited %s under ceiling %s, want %s under %s", attempt, got, maxSeen, ceil/2, ceil)
		}
	}
}

// TestQueuePermanentFailure: a permanent error fails the item with the
// reason in words and keeps the file; Retry and a reopen queue it again.
func TestQueuePermanentFailure(t *testing.T) {
	sink := &memSink{errs: []error{fmt.Errorf("hub: %w: the hub refused the agent token (401)", ErrPermanent)}}
	dir := t.TempDir()
	q, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	id, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "p.webm", []byte("p")), Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	snap := waitFor(t, q, "failed", allIn(StateFailed))
	if d := snap[0].Describe(time.Now()); !strings.HasPrefix(d, "failed: ") || !strings.Contains(d, "agent token") {
		t.Fatalf("Describe = %q", d)
	}
	if _, err := os.Stat(itemPath(q, snap[0])); err != nil {
		t.Fatalf("failed item's file: %v", err)
	}
	if err := q.Retry(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, q, "done after Retry", allIn(StateDone))
	cancel()
	<-done
	if err := q.Retry("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Retry(unknown) = %v", err)
	}
}

// TestQueueErasesWhatMustNotExist_R_H6: the store says the recording must
// not exist (the customer's deletion was confirmed): the queue deletes the
// local copy, never tries again, and forgets the item when reopened.
func TestQueueErasesWhatMustNotExist_R_H6(t *testing.T) {
	sink := &memSink{errs: []error{fmt.Errorf("hubsink: create: %w: deleted at the customer's request", ErrGone)}}
	dir := t.TempDir()
	q, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "gone.webm", []byte("secret")), Manifest{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	snap := waitFor(t, q, "deleted", allIn(StateDeleted))
	if d := snap[0].Describe(time.Now()); !strings.Contains(d, "deleted, not stored") || !strings.Contains(d, "customer's request") {
		t.Fatalf("Describe = %q", d)
	}
	if _, err := os.Stat(itemPath(q, snap[0])); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the local copy after the store refused it for good: %v", err)
	}
	cancel()
	<-done
	if sink.puts != 1 {
		t.Fatalf("%d attempts, want 1 and no retry", sink.puts)
	}
	q.Close()
	q2, err := Open(dir, Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if n := len(q2.Snapshot()); n != 0 {
		t.Fatalf("%d items after a reopen, want the deleted one forgotten", n)
	}
}

// TestQueueWaitsForWindow proves R-V3 with windows: nothing is sent outside
// them; the panel says until when; the upload starts when one opens.
func TestQueueWaitsForWindow(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.Local)}
	ws, _ := ParseWindows([]string{"01:00-05:00"})
	sink := &memSink{}
	q, err := Open(t.TempDir(), Options{Sink: sink, Clock: clock, Windows: ws})
	if err != nil {
		t.Fatal(err)
	}
	// The first Put blocks until the test has seen the second item go back
	// from "waiting for window" to "queued".
	release := make(chan struct{})
	sink.onPut = func(Item) { <-release }
	for _, name := range []string{"w1.webm", "w2.webm"} {
		if _, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), name, []byte(name)), Manifest{}); err != nil {
			t.Fatal(err)
		}
	}
	runQueue(t, q)
	snap := waitFor(t, q, "waiting", allIn(StateWaiting))
	if d := snap[0].Describe(clock.Now()); d != "waiting for window (until 01:00)" {
		t.Fatalf("Describe = %q", d)
	}
	if sink.count() != 0 {
		t.Fatal("uploaded outside the window")
	}
	clock.Advance(12*time.Hour + 59*time.Minute) // 00:59: still closed
	clock.Advance(time.Minute)                   // 01:00
	waitFor(t, q, "first uploading, second queued", func(s []ItemStatus) bool {
		return len(s) == 2 && s[0].State == StateUploading && s[1].State == StateQueued
	})
	close(release)
	waitFor(t, q, "done in the window", allIn(StateDone))
}

// TestQueueRateLimit: with a cap, sending takes at least size/rate on the
// (virtual) clock, less the bucket's first burst.
func TestQueueRateLimit(t *testing.T) {
	clock := &autoClock{now: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	sink := &memSink{}
	q, err := Open(t.TempDir(), Options{Sink: sink, Clock: clock, RateLimit: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 1<<20)
	start := clock.Now()
	if _, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "r.webm", data), Manifest{}); err != nil {
		t.Fatal(err)
	}
	runQueue(t, q)
	waitFor(t, q, "done", allIn(StateDone))
	el := clock.Now().Sub(start)
	burst := time.Duration(float64(newBucket(clock, 256<<10).burst) / (256 << 10) * float64(time.Second))
	if low, high := 4*time.Second-burst, 4*time.Second+time.Second; el < low || el > high {
		t.Fatalf("1 MiB at 256 KiB/s took %s on the clock, want %s..%s", el, low, high)
	}
	if got, _ := sink.get("r.webm"); !bytes.Equal(got, data) {
		t.Fatal("rate-limited bytes differ")
	}
}

// TestOneQueuePerDirectory: a second Queue on an open directory is refused
// (two workers would send every file twice); Close hands it over.
func TestOneQueuePerDirectory(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(dir, Options{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{Sink: &memSink{}}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := q.Enqueue(context.Background(), writeTemp(t, t.TempDir(), "x", []byte("x")), Manifest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v, want ErrClosed", err)
	}
	if err := q.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
	q2, err := Open(dir, Options{Sink: &memSink{}})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	q2.Close()
}
