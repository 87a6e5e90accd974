package sqlite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agentdesk/agentdesk/hub/store"
)

// sortCols maps a sort to its column; numeric columns' cursors hold
// numbers.
var sortCols = map[string]struct {
	col string
	num bool
}{
	store.SortFinished: {"finished_ms", true}, store.SortAgent: {"agent", false}, store.SortQueue: {"queue", false},
	store.SortKind: {"kind", false}, store.SortCustomer: {"customer", false}, store.SortDuration: {"duration_ms", true},
	store.SortDisposition: {"disposition", false},
}

// cursor is where a page ended: the sort, its direction, the last row's
// sort value, time finished and n (ties go by the time finished, then n).
// It travels as base64 of its JSON.
type cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d,omitempty"`
	V    any    `json:"v"`
	F    int64  `json:"f"`
	N    int64  `json:"n"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c) // a string or an int64: never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// readCursor reads a cursor handed out for the same sort and direction.
func readCursor(s, sort string, desc, num bool) (cursor, error) {
	var c cursor
	bad := fmt.Errorf("%w: cursor %.40q", store.ErrBadCursor, s)
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

// sideScan is how many rows of a side table (partitions, tags) a filter
// may match and still drive the search: a rarer value lists its
// recordings, which are then sorted; a commoner one is checked row by row
// as the search walks its sort's index, which finds a page's rows early.
// (DB.sideScan; tests set it to -1 to check every row.)
const sideScan = 2000

// where builds the WHERE clause of f's filters (not its cursor). For a
// page (not a count) it asks the side tables how common a partition or
// tag filter is, and writes it as a list or as a check (sideScan).
func (s *DB) where(ctx context.Context, f store.RecordingFilter, count bool) ([]string, []any, error) {
	var w []string
	var args []any
	// A coarse column (a few values: a tenth of the rows or more each)
	// filters a list sorted by another column best as a check of each
	// row while the sort's index is walked: its own index would give
	// thousands of rows to sort. "+col" keeps SQLite off its index.
	sorted := f.Sort != "" && f.Sort != store.SortFinished && !count
	for _, c := range []struct {
		col, v string
		coarse bool
	}{{"id", f.ID, false}, {"interaction", f.Interaction, false}, {"agent", f.Agent, false}, {"queue", f.Queue, true},
		{"kind", f.Kind, true}, {"customer", f.Customer, false}, {"contact", f.Contact, false},
		{"disposition", f.Disposition, true}} {
		if c.v == "" {
			continue
		}
		col := c.col
		if c.coarse && sorted && f.Sort != c.col {
			col = "+" + col
		}
		w, args = append(w, col+" = ?"), append(args, c.v)
	}
	in := func(expr string, vs []string) {
		if vs == nil {
			return
		}
		if len(vs) == 0 {
			w = append(w, "0") // an empty set matches nothing
			return
		}
		w = append(w, expr+" IN ("+marks(len(vs))+")")
		for _, v := range vs {
			args = append(args, v)
		}
	}
	in("agent", f.AgentIn)
	in("kind", f.KindIn)
	// Partitions and tags: a list of the recordings that have them, or a
	// check of each row.
	side := func(table, cond string, vals []any) error {
		list := count
		if !list {
			var n int
			if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+cond, vals...).Scan(&n); err != nil { // #nosec G202 -- constants
				return fmt.Errorf("sqlite: recordings: %s: %w", table, err)
			}
			list = n <= s.sideScan
		}
		if list {
			w = append(w, "n IN (SELECT n FROM "+table+" WHERE "+cond+")")
		} else {
			w = append(w, "EXISTS (SELECT 1 FROM "+table+" x WHERE x.n = recordings.n AND "+cond+")")
		}
		args = append(args, vals...)
		return nil
	}
	if len(f.Partitions) > 0 {
		vals := make([]any, len(f.Partitions))
		for i, p := range f.Partitions {
			vals[i] = p
		}
		if err := side("recording_partitions", "partition IN ("+marks(len(vals))+")", vals); err != nil {
			return nil, nil, err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		if err := side("recording_tags", "name = ? AND value = ?", []any{k, f.Tags[k]}); err != nil {
			return nil, nil, err
		}
	}
	if f.MinDuration > 0 {
		w, args = append(w, "duration_ms >= ?"), append(args, f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		w, args = append(w, "duration_ms <= ?"), append(args, f.MaxDuration.Milliseconds())
	}
	for _, c := range []struct {
		col string
		f   store.Flag
	}{{"screen", f.Screen}, {"voice", f.Voice}} {
		switch c.f {
		case store.With:
			w = append(w, c.col+" = 1")
		case store.Without:
			w = append(w, c.col+" = 0")
		}
	}
	if !f.From.IsZero() {
		w, args = append(w, "finished_ms >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		w, args = append(w, "finished_ms < ?"), append(args, f.To.UnixMilli())
	}
	if q := ftsQuery(f.Text); q != "" {
		// Words many recordings took are checked while the sort's index
		// is walked (rowids only), like a common tag; so are any words
		// when the list is sorted by a column. Rare words list their
		// recordings.
		list := !sorted
		if list && !count {
			var n int
			if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM recordings_text WHERE recordings_text MATCH ?`, q).Scan(&n); err != nil {
				return nil, nil, fmt.Errorf("sqlite: recordings: text: %w", err)
			}
			list = n <= s.sideScan
		}
		n := "+n"
		if list {
			n = "n"
		}
		w, args = append(w, n+" IN (SELECT rowid FROM recordings_text WHERE recordings_text MATCH ?)"), append(args, q)
	}
	return w, args, nil
}

// marks is n comma-separated parameters.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

const recCols = `n, id, interaction, name, queue, customer, agent, kind, state, delivery, side, dest, partitions,
	screen, parts, log, produced, why, finished_at, contact, disposition, duration_ms, voice, tags, finished_ms`

// Recordings lists the finished recordings f selects, sorted, with their
// lines and files, a page at a time, keyset-paged on (sort value, n)
// (store.Store).
func (s *DB) Recordings(ctx context.Context, f store.RecordingFilter) (store.RecordingPage, error) {
	var page store.RecordingPage
	if len(f.Text) > store.MaxTextQuery {
		return page, fmt.Errorf("%w: the text to find is longer than %d bytes", store.ErrBadFilter, store.MaxTextQuery)
	}
	sort := f.Sort
	if sort == "" {
		sort = store.SortFinished
	}
	sc, ok := sortCols[sort]
	if !ok {
		return page, fmt.Errorf("%w: sort by %q: want one of %s", store.ErrBadFilter, f.Sort, strings.Join(store.SortColumns, ", "))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	if f.Count {
		w, args, err := s.where(ctx, f, true)
		if err != nil {
			return page, err
		}
		q := `SELECT count(*) FROM recordings`
		if len(w) > 0 {
			q += ` WHERE ` + strings.Join(w, " AND ")
		}
		if err := s.rd.QueryRowContext(ctx, q, args...).Scan(&page.Total); err != nil { // #nosec G202 -- the columns are constants; every value is a parameter
			return page, fmt.Errorf("sqlite: count recordings: %w", err)
		}
	}
	w, args, err := s.where(ctx, f, false)
	if err != nil {
		return page, err
	}
	dir, cmp := "", ">"
	if f.Desc {
		dir, cmp = " DESC", "<"
	}
	if f.Cursor != "" {
		c, err := readCursor(f.Cursor, sort, f.Desc, sc.num)
		if err != nil {
			return page, err
		}
		if sort == store.SortFinished {
			w, args = append(w, "(finished_ms, n) "+cmp+" (?, ?)"), append(args, c.F, c.N)
		} else {
			w, args = append(w, "("+sc.col+", finished_ms, n) "+cmp+" (?, ?, ?)"), append(args, c.V, c.F, c.N)
		}
	}
	order := `finished_ms` + dir + `, n` + dir
	if sort != store.SortFinished {
		order = sc.col + dir + `, ` + order
	}
	// The page's rows are found first, by their keys alone (an index
	// holds them all for most filters), and only then read whole: sorting
	// whole rows would read every row that matches.
	page1 := `SELECT n FROM recordings`
	if len(w) > 0 {
		page1 += ` WHERE ` + strings.Join(w, " AND ")
	}
	page1 += ` ORDER BY ` + order + ` LIMIT ?`
	q := `SELECT ` + recCols + `, ` + sc.col + ` FROM recordings WHERE n IN (` + page1 + `) ORDER BY ` + order // #nosec G202 -- the columns are constants; every value is a parameter

	rows, err := s.rd.QueryContext(ctx, q, append(args, limit+1)...) // #nosec G202 -- the columns are constants; every value is a parameter
	if err != nil {
		return page, fmt.Errorf("sqlite: recordings: %w", err)
	}
	var keys []cursor
	for rows.Next() {
		r, k, err := scanRecording(rows)
		if err != nil {
			_ = rows.Close()
			return page, err
		}
		k.Sort, k.Desc = sort, f.Desc
		page.Recordings = append(page.Recordings, r)
		keys = append(keys, k)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: recordings: %w", err)
	}
	if len(page.Recordings) > limit {
		page.Recordings = page.Recordings[:limit]
		page.Next = keys[limit-1].String()
	}
	return page, s.fillRecordings(ctx, page.Recordings, !f.NoLines)
}

// scanRecording reads a row of recCols and the sort value (its cursor but
// the sort and direction).
func scanRecording(rows interface{ Scan(...any) error }) (store.Recording, cursor, error) {
	var r store.Recording
	var k cursor
	var partitions, parts, log, finished, tags string
	var durMS int64
	if err := rows.Scan(&k.N, &r.ID, &r.Interaction, &r.Name, &r.Queue, &r.Customer, &r.Agent, &r.Kind, &r.State,
		&r.Delivery, &r.Side, &r.Dest, &partitions, &r.Screen, &parts, &log, &r.Produced, &r.Why, &finished,
		&r.Contact, &r.Disposition, &durMS, &r.Voice, &tags, &k.F, &k.V); err != nil {
		return r, k, fmt.Errorf("sqlite: recordings: scan: %w", err)
	}
	if err := unmarshalAll(r.Interaction, []byte(partitions), &r.Partitions, []byte(parts), &r.Parts, []byte(log), &r.Log,
		[]byte(tags), &r.Tags); err != nil {
		return r, k, err
	}
	if len(r.Partitions) == 0 {
		r.Partitions = nil
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if b, ok := k.V.([]byte); ok {
		k.V = string(b)
	}
	r.DurationSeconds = float64(durMS) / 1000
	var err error
	if r.FinishedAt, err = parseTS(finished); err != nil {
		return r, k, fmt.Errorf("sqlite: recording %s: %w", r.ID, err)
	}
	return r, k, nil
}
