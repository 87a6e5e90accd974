package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/hub/ingest"
)

// TestFolderStorage_R_V6: the default storage links an upload into
// files/[dest/]name (then name-2, … never replacing), reads it back at any
// offset, archives it to archive/ and back (still readable there), removes
// it from both, and takes no key outside the store folder.
func TestFolderStorage_R_V6(t *testing.T) {
	dir := t.TempDir()
	st, err := ingest.NewFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	data := bytes.Repeat([]byte("recording "), 10000)
	if err := os.MkdirAll(filepath.Join(dir, "uploads"), 0o700); err != nil {
		t.Fatal(err)
	}
	up := filepath.Join(dir, "uploads", "abc")
	if err := os.WriteFile(up, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	src := ingest.Upload{Path: up, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	for _, want := range []string{"d/r1.webm.age", "d/r1-2.webm.age"} {
		key, err := st.Put(ctx, src, "d", "r1.webm.age")
		if err != nil || key != want {
			t.Fatalf("put: %q %v, want %q", key, err, want)
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, "files", "d", "r1.webm.age")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("files/d/r1.webm.age: %v", err)
	}
	read := func(key string) []byte {
		t.Helper()
		f, err := st.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p := make([]byte, 10)
		if _, err := f.ReadAt(p, 5); err != nil || f.Size() != int64(len(data)) {
			t.Fatalf("read %s: %v", key, err)
		}
		return p
	}
	if p := read("d/r1.webm.age"); !bytes.Equal(p, data[5:15]) {
		t.Fatalf("read %q", p)
	}
	if err := st.Archive(ctx, "d/r1.webm.age"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "archive", "d", "r1.webm.age")); err != nil {
		t.Fatalf("not in archive/: %v", err)
	}
	if ok, err := st.Archived(ctx, "d/r1.webm.age"); !ok || err != nil {
		t.Fatalf("archived: %v %v", ok, err)
	}
	read("d/r1.webm.age")
	if key, err := st.Put(ctx, src, "d", "r1.webm.age"); err != nil || key != "d/r1-3.webm.age" {
		t.Fatalf("put while r1 is archived: %q %v (an archived name is taken)", key, err)
	}
	if err := st.Restore(ctx, "d/r1.webm.age"); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Archived(ctx, "d/r1.webm.age"); ok || err != nil {
		t.Fatalf("restored: archived %v %v", ok, err)
	}
	if err := st.Remove(ctx, "d/r1.webm.age"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Open(ctx, "d/r1.webm.age"); !errors.Is(err, ingest.ErrNotStored) {
		t.Fatalf("open after remove: %v", err)
	}
	outside := filepath.Join(filepath.Dir(dir), "outside")
	_ = os.WriteFile(outside, data, 0o600)
	defer os.Remove(outside)
	if _, err := st.Open(ctx, "../../outside"); err == nil {
		t.Fatal("a key outside the store folder was opened")
	}
	if _, err := st.Put(ctx, ingest.Upload{Path: outside, Size: src.Size}, "", "x"); err == nil {
		t.Fatal("an upload outside the store folder was linked")
	}
}
