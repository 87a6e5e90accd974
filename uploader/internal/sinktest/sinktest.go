// Package sinktest is the contract test suite every uploader.Sink passes,
// in the manner of litestream's ReplicaClient tests: each sink's package
// runs Run against a real store.
package sinktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
)

// Harness is a sink under test and a way to read back what its store holds.
type Harness struct {
	Sink uploader.Sink
	// Fetch returns the bytes the store holds under name in the sub-folder
	// dest ("" for the default place), or an error when it holds none.
	Fetch func(dest, name string) ([]byte, error)
	// Settle, when set, waits until the store has finished with requests
	// the client abandoned (after a broken Put).
	Settle func()
}

// Item builds an item for data, its resume token kept in memory.
func Item(name string, data []byte) *uploader.Item {
	sum, size, _ := uploader.ReaderSum(bytes.NewReader(data))
	it := &uploader.Item{ID: "id-" + name, Name: name, Size: size, SHA256: sum, Manifest: uploader.Manifest{
		Version: uploader.ManifestVersion, Recording: "r1", Interaction: "c-42", Agent: "ada",
		File: name, SHA256: sum, Size: size, Created: time.Unix(1800000000, 0).UTC(),
	}}
	it.SaveResume = func(tok string) error { it.Resume = tok; return nil }
	it.Stored = func(string) {}
	return it
}

// Random returns n random bytes.
func Random(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Run runs the contract against fresh harnesses from newHarness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("PutStoresExactBytes", func(t *testing.T) { testPut(t, newHarness(t)) })
	t.Run("EmptyFile", func(t *testing.T) { testEmpty(t, newHarness(t)) })
	t.Run("DestSubFolder_R-G2", func(t *testing.T) { testDest(t, newHarness(t)) })
	t.Run("CorruptBytesRefused", func(t *testing.T) { testCorrupt(t, newHarness(t)) })
	t.Run("ResumeAfterBrokenRead", func(t *testing.T) { testResume(t, newHarness(t)) })
	t.Run("VerifyUnknown", func(t *testing.T) { testVerifyUnknown(t, newHarness(t)) })
}

func put(t *testing.T, h Harness, it *uploader.Item, r io.ReaderAt) ([]int64, error) {
	t.Helper()
	var seen []int64
	err := h.Sink.Put(context.Background(), *it, r, func(n int64) { seen = append(seen, n) })
	return seen, err
}

func mustStored(t *testing.T, h Harness, dest string, it *uploader.Item, want []byte) {
	t.Helper()
	got, err := h.Fetch(dest, it.Name)
	if err != nil {
		t.Fatalf("stored %s: %v", it.Name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stored %s: %d bytes differ from the %d sent", it.Name, len(got), len(want))
	}
	if v, ok := h.Sink.(uploader.Verifier); ok {
		if _, err := v.Verify(context.Background(), *it); err != nil {
			t.Fatalf("Verify after Put: %v", err)
		}
	}
}

func testPut(t *testing.T, h Harness) {
	data := Random(t, 3<<20+12345)
	it := Item("2026-11-21_090507_general_ada_c-42_record_r1.webm.age", data)
	seen, err := put(t, h, it, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] || seen[i] > it.Size {
			t.Fatalf("progress went %d then %d (size %d)", seen[i-1], seen[i], it.Size)
		}
	}
	if len(seen) == 0 || seen[len(seen)-1] != it.Size {
		t.Fatalf("progress ended at %v, want %d", seen, it.Size)
	}
	mustStored(t, h, "", it, data)
}

func testEmpty(t *testing.T, h Harness) {
	it := Item("empty.webm", nil)
	if _, err := put(t, h, it, bytes.NewReader(nil)); err != nil {
		t.Fatalf("Put of an empty file: %v", err)
	}
	mustStored(t, h, "", it, []byte{})
}

func testDest(t *testing.T, h Harness) {
	data := Random(t, 1000)
	it := Item("dest.webm", data)
	it.Manifest.Dest = "legal-hold"
	if _, err := put(t, h, it, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	mustStored(t, h, "legal-hold", it, data)
}

// testCorrupt sends bytes whose checksum is not the item's: refused with
// ErrChecksumMismatch, nothing stored; the right bytes then go through.
func testCorrupt(t *testing.T, h Harness) {
	data := Random(t, 2<<20)
	it := Item("corrupt.webm", data)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xFF
	_, err := put(t, h, it, bytes.NewReader(bad))
	if !errors.Is(err, uploader.ErrChecksumMismatch) {
		t.Fatalf("Put of corrupt bytes: %v, want ErrChecksumMismatch", err)
	}
	if _, err := h.Fetch("", it.Name); err == nil {
		t.Fatal("corrupt bytes were stored")
	}
	if _, err := put(t, h, it, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put after mismatch: %v", err)
	}
	mustStored(t, h, "", it, data)
}

// brokenReader fails every read at or beyond at.
type brokenReader struct {
	r  io.ReaderAt
	at int64
}

var errBroken = errors.New("sinktest: the disk went away")

func (b brokenReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= b.at {
		return 0, errBroken
	}
	if off+int64(len(p)) > b.at {
		n, _ := b.r.ReadAt(p[:b.at-off], off)
		return n, errBroken
	}
	return b.r.ReadAt(p, off)
}

// testResume breaks the read mid-file; a Resumer then reports an offset no
// further than what was read, and the next Put completes the file.
func testResume(t *testing.T, h Harness) {
	data := Random(t, 12<<20)
	it := Item("resume.webm", data)
	cut := int64(len(data) / 2)
	if _, err := put(t, h, it, brokenReader{bytes.NewReader(data), cut}); err == nil {
		t.Fatal("Put with a broken reader succeeded")
	}
	if h.Settle != nil {
		h.Settle()
	}
	off := int64(-1)
	if r, ok := h.Sink.(uploader.Resumer); ok {
		var err error
		if off, err = r.Offset(context.Background(), *it); err != nil {
			t.Fatalf("Offset: %v", err)
		}
		if off <= 0 || off > cut {
			t.Fatalf("Offset %d after a read broken at %d: want the bytes before the break kept", off, cut)
		}
		t.Logf("resumable at %d of %d", off, len(data))
	}
	seen, err := put(t, h, it, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put after the break: %v", err)
	}
	if len(seen) == 0 {
		t.Fatal("no progress reported")
	}
	// A server may still be saving the broken request's last bytes when
	// Offset asks, so the resumed Put may start a little further on.
	if off > 0 && (seen[0] < off || seen[0] > cut) {
		t.Fatalf("the resumed Put started at byte %d, want %d..%d", seen[0], off, cut)
	}
	mustStored(t, h, "", it, data)
}

func testVerifyUnknown(t *testing.T, h Harness) {
	v, ok := h.Sink.(uploader.Verifier)
	if !ok {
		return
	}
	it := Item("never-sent.webm", []byte("never sent"))
	_, err := v.Verify(context.Background(), *it)
	if !errors.Is(err, uploader.ErrNotStored) {
		t.Fatalf("Verify of a file never sent: %v, want ErrNotStored", err)
	}
}
