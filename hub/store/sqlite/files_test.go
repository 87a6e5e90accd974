package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const shaB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

func open(t *testing.T, path string) *Index {
	t.Helper()
	ix, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// TestPutGetRoundTrip_R_V7 writes every field of a file to a real SQLite
// file, reopens it and reads it back: metadata tags and partitions are kept
// (R-V7, R-G3).
func TestPutGetRoundTrip_R_V7(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	ix := open(t, path)
	in := File{
		Name: "2026-11-21_090507_general_ada_c-42_record_r1.webm.age", Path: "billing/x.webm.age",
		SHA256: shaA, Size: 1234, Interaction: "c-42", Recording: "r1", Agent: "ada", Customer: "Bea",
		Queue: "general", Kind: "record", Disposition: "Resolved", Partitions: []string{"sales", "eu"},
		Metadata: json.RawMessage(`{"case":"77"}`), Manifest: json.RawMessage(`{"version":1}`), Encrypted: true,
		Created: time.Date(2026, 11, 21, 9, 5, 7, 0, time.UTC),
	}
	if err := ix.Put(ctx, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.ID) != 16 {
		t.Fatalf("id %q", in.ID)
	}
	ix.Close()
	ix = open(t, path)
	got, err := ix.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("round trip\n got %s\nwant %s", b, a)
	}
	if v, err := ix.Version(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d %v, want %d", v, err, len(migrations))
	}
	var mode string
	if err := ix.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v, want wal", mode, err)
	}
}

func TestBySHAAndSearch(t *testing.T) {
	ctx := context.Background()
	ix := open(t, filepath.Join(t.TempDir(), "index.db"))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []File{
		{Name: "a", Path: "a", SHA256: shaA, Size: 1, Interaction: "c-1", Agent: "ada", Created: t0},
		{Name: "b", Path: "b", SHA256: shaB, Size: 2, Interaction: "c-1", Agent: "grace", Created: t0.Add(time.Second)},
		{Name: "c", Path: "sub/c", SHA256: shaA, Size: 1, Interaction: "c-2", Agent: "ada", Created: t0.Add(2 * time.Second)},
	}
	for i := range files {
		if err := ix.Put(ctx, &files[i]); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := ix.BySHA(ctx, strings.ToUpper(shaA)); err != nil || f.Name != "a" {
		t.Fatalf("BySHA(A) = %+v %v, want the oldest, a", f, err)
	}
	if f, err := ix.BySHA(ctx, shaB); err != nil || f.Name != "b" {
		t.Fatalf("BySHA(B) stored upper case = %+v %v", f, err)
	}
	if _, err := ix.BySHA(ctx, strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BySHA(unknown) err %v", err)
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want string
	}{
		{"all", Filter{}, "a b c"},
		{"interaction", Filter{Interaction: "c-1"}, "a b"},
		{"agent", Filter{Agent: "ada"}, "a c"},
		{"both", Filter{Interaction: "c-1", Agent: "ada"}, "a"},
		{"limit", Filter{Limit: 2}, "a b"},
		{"none", Filter{Agent: "nobody"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ix.Search(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range got {
				names = append(names, f.Name)
			}
			if s := strings.Join(names, " "); s != tc.want {
				t.Fatalf("Search(%+v) = %q, want %q", tc.f, s, tc.want)
			}
		})
	}
}

func TestPutRefuses(t *testing.T) {
	ctx := context.Background()
	ix := open(t, filepath.Join(t.TempDir(), "index.db"))
	ok := File{ID: "one", Name: "n", Path: "p", SHA256: shaA, Size: 3}
	if err := ix.Put(ctx, &ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    File
		want error
	}{
		{"same id", File{ID: "one", Name: "n", Path: "q", SHA256: shaA}, ErrExists},
		{"same path", File{Name: "n", Path: "p", SHA256: shaA}, ErrExists},
		{"no name", File{Path: "r", SHA256: shaA}, ErrBadFile},
		{"no path", File{Name: "r", SHA256: shaA}, ErrBadFile},
		{"short sha", File{Name: "r", Path: "r", SHA256: "abc"}, ErrBadFile},
		{"negative size", File{Name: "r", Path: "r", SHA256: shaA, Size: -1}, ErrBadFile},
		{"bad metadata", File{Name: "r", Path: "r", SHA256: shaA, Metadata: json.RawMessage(`{`)}, ErrBadFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ix.Put(ctx, &tc.f); !errors.Is(err, tc.want) {
				t.Fatalf("Put err %v, want %v", err, tc.want)
			}
		})
	}
	if err := ix.Delete(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Get(ctx, "one"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := ix.Delete(ctx, "one"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
}

// TestNewerSchemaRefused: a database from a newer hub is not touched.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	ix := open(t, path)
	if _, err := ix.db.Exec(`INSERT INTO schema_migrations(version, applied) VALUES (99, 'x')`); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "index.db")); err == nil {
		t.Fatal("Open in a missing folder succeeded")
	}
}
