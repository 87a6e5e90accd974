package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// SortColumn is the recordings column a sort orders by, in both stores'
// schemas; a numeric column's cursors hold numbers.
type SortColumn struct {
	Col string
	Num bool
}

// SortColumnOf maps each sort to its column.
var SortColumnOf = map[string]SortColumn{
	SortFinished: {"finished_ms", true}, SortAgent: {"agent", false}, SortQueue: {"queue", false},
	SortKind: {"kind", false}, SortCustomer: {"customer", false}, SortDuration: {"duration_ms", true},
	SortDisposition: {"disposition", false},
}

// Cursor is where a page of recordings ended, in either store: the sort,
// its direction, the last row's sort value, time finished and n (ties go
// by the time finished, then n). It travels as base64 of its JSON.
type Cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d,omitempty"`
	V    any    `json:"v"`
	F    int64  `json:"f"`
	N    int64  `json:"n"`
}

// String is the cursor as a page hands it out.
func (c Cursor) String() string {
	b, _ := json.Marshal(c) // a string or an int64: never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// ReadCursor reads a cursor handed out for the same sort and direction
// (ErrBadCursor otherwise).
func ReadCursor(s, sort string, desc, num bool) (Cursor, error) {
	var c Cursor
	bad := fmt.Errorf("%w: cursor %.40q", ErrBadCursor, s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, bad
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || c.Sort != sort || c.Desc != desc || c.N < 0 {
		return c, bad
	}
	switch v := c.V.(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil || !num {
			return c, bad
		}
		c.V = n
	case string:
		if num {
			return c, bad
		}
	default:
		return c, bad
	}
	return c, nil
}
