package store

import (
	"slices"
	"testing"
	"time"
)

// TestNewIDUniqueAndOrdered: ids never repeat, sort as they were made
// (within a millisecond too, and when the clock steps back), and are 26
// characters of Crockford base 32.
func TestNewIDUniqueAndOrdered(t *testing.T) {
	g := ids{read: func(b []byte) (int, error) { clear(b); b[len(b)-1] = 0xfe; return len(b), nil }}
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var got []string
	for i := range 1000 {
		at := t0.Add(time.Duration(i/10) * time.Millisecond)
		if i == 500 {
			at = t0 // the clock stepped back
		}
		got = append(got, g.next(at))
	}
	seen := map[string]bool{}
	for i, id := range got {
		if len(id) != 26 || seen[id] {
			t.Fatalf("id %d %q: length %d, seen %v", i, id, len(id), seen[id])
		}
		seen[id] = true
		for _, c := range id {
			if !slices.Contains([]rune(crockford), c) {
				t.Fatalf("id %q has %q", id, c)
			}
		}
	}
	if !slices.IsSorted(got) {
		t.Fatal("ids do not sort in the order they were made")
	}
	if a, b := NewID(), NewID(); a == b || a > b {
		t.Fatalf("NewID %s then %s", a, b)
	}
}

func TestEncodeTime(t *testing.T) {
	// The ULID spec's example id 01ARZ3NDEK… starts at 1469922850259 ms.
	if got := encode(1469922850259, 0, 0)[:10]; got != "01ARZ3NDEK" {
		t.Fatalf("time part %s", got)
	}
	if got := encode(0, 0xffff, ^uint64(0)); got != "0000000000ZZZZZZZZZZZZZZZZ" {
		t.Fatalf("random part %s", got)
	}
}
