package postgres

import "testing"

// TestChecksum: a table's checksum does not depend on its rows' order,
// reads a SQLite 0/1 as PostgreSQL's boolean and text as bytes, and
// changes with any value (what chathub migrate compares).
func TestChecksum(t *testing.T) {
	sum := func(rows ...[]any) string {
		var c checksum
		for _, r := range rows {
			c.add(r)
		}
		return c.String()
	}
	a := []any{"chat-1", int64(1), []byte{0xff, 0}, nil}
	b := []any{"chat-2", int64(0), []byte("x"), "t"}
	base := sum(a, b)
	if sum(b, a) != base {
		t.Error("the order of rows changed the checksum")
	}
	if sum([]any{"chat-1", true, "\xff\x00", nil}, []any{[]byte("chat-2"), false, "x", []byte("t")}) != base {
		t.Error("PostgreSQL's booleans and text did not sum as SQLite's integers and bytes")
	}
	for name, other := range map[string][][]any{
		"a value":       {{"chat-1", int64(2), []byte{0xff, 0}, nil}, b},
		"a null":        {{"chat-1", int64(1), []byte{0xff, 0}, ""}, b},
		"a row missing": {a},
		"a row twice":   {a, b, b},
		"values moved":  {{int64(1), "chat-1", []byte{0xff, 0}, nil}, b},
	} {
		if sum(other...) == base {
			t.Errorf("%s left the checksum unchanged", name)
		}
	}
}
