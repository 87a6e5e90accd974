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

// Page is what every store makes of a RecordingFilter's text limit, sort,
// page size and cursor before it builds its query: the sort's column, the
// direction, and the keyset condition that starts the page after the
// cursor (sort value, time finished, n).
type Page struct {
	Sort   string
	Col    SortColumn
	Limit  int
	Desc   bool
	Cursor *Cursor // nil: the first page
}

// PageOf checks f's text, sort and cursor (ErrBadFilter, ErrBadCursor)
// and gives its page.
func PageOf(f RecordingFilter) (Page, error) {
	if len(f.Text) > MaxTextQuery {
		return Page{}, fmt.Errorf("%w: the text to find is longer than %d bytes", ErrBadFilter, MaxTextQuery)
	}
	p := Page{Sort: f.Sort, Limit: f.Limit, Desc: f.Desc}
	if p.Sort == "" {
		p.Sort = SortFinished
	}
	var ok bool
	if p.Col, ok = SortColumnOf[p.Sort]; !ok {
		return Page{}, fmt.Errorf("%w: sort by %q: want one of %s", ErrBadFilter, f.Sort, strings.Join(SortColumns, ", "))
	}
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	if f.Cursor != "" {
		k, err := ReadCursor(f.Cursor, p.Sort, f.Desc, p.Col.Num)
		if err != nil {
			return Page{}, err
		}
		p.Cursor = &k
	}
	return p, nil
}

// After is the condition (with ? for its values) that keeps the rows
// after the cursor, and its values; "" on the first page.
func (p Page) After() (string, []any) {
	if p.Cursor == nil {
		return "", nil
	}
	cmp := ">"
	if p.Desc {
		cmp = "<"
	}
	k := p.Cursor
	if p.Sort == SortFinished {
		return "(finished_ms, n) " + cmp + " (?, ?)", []any{k.F, k.N}
	}
	return "(" + p.Col.Col + ", finished_ms, n) " + cmp + " (?, ?, ?)", []any{k.V, k.F, k.N}
}

// OrderBy is the ORDER BY of the page's rows.
func (p Page) OrderBy() string {
	dir := ""
	if p.Desc {
		dir = " DESC"
	}
	order := `finished_ms` + dir + `, n` + dir
	if p.Sort != SortFinished {
		order = p.Col.Col + dir + `, ` + order
	}
	return order
}
