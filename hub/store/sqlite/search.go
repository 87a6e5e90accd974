package sqlite

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
// sort value and its n (ties go by n). It travels as base64 of its JSON.
type cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d,omitempty"`
	V    any    `json:"v"`
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

// where builds the WHERE clause of f's filters (not its cursor).
func where(f store.RecordingFilter) ([]string, []any) {
	var w []string
	var args []any
	for _, c := range []struct{ col, v string }{{"interaction", f.Interaction}, {"agent", f.Agent}, {"queue", f.Queue},
		{"kind", f.Kind}, {"customer", f.Customer}, {"contact", f.Contact}, {"disposition", f.Disposition}} {
		if c.v != "" {
			w, args = append(w, c.col+" = ?"), append(args, c.v)
		}
	}
	in := func(expr string, vs []string) {
		if vs == nil {
			return
		}
		if len(vs) == 0 {
			w = append(w, "0") // an empty set matches nothing
			return
		}
		w = append(w, expr+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(vs)), ", ")+")")
		for _, v := range vs {
			args = append(args, v)
		}
	}
	in("agent", f.AgentIn)
	in("kind", f.KindIn)
	if len(f.Partitions) > 0 {
		in("n IN (SELECT n FROM recording_partitions WHERE partition", f.Partitions)
		w[len(w)-1] += ")"
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
	for k, v := range f.Tags {
		w, args = append(w, "n IN (SELECT n FROM recording_tags WHERE name = ? AND value = ?)"), append(args, k, v)
	}
	if !f.From.IsZero() {
		w, args = append(w, "finished_ms >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		w, args = append(w, "finished_ms < ?"), append(args, f.To.UnixMilli())
	}
	if q := ftsQuery(f.Text); q != "" {
		w, args = append(w, "n IN (SELECT rowid FROM recordings_text WHERE recordings_text MATCH ?)"), append(args, q)
	}
	return w, args
}

const recCols = `n, id, interaction, name, queue, customer, agent, kind, state, delivery, side, dest, partitions,
	screen, parts, log, produced, why, finished_at, contact, disposition, duration_ms, voice, tags`

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
	w, args := where(f)
	if f.Count {
		q := `SELECT count(*) FROM recordings`
		if len(w) > 0 {
			q += ` WHERE ` + strings.Join(w, " AND ")
		}
		if err := s.db.QueryRowContext(ctx, q, args...).Scan(&page.Total); err != nil { // #nosec G202 -- the columns are constants; every value is a parameter
			return page, fmt.Errorf("sqlite: count recordings: %w", err)
		}
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
		w, args = append(w, "("+sc.col+", n) "+cmp+" (?, ?)"), append(args, c.V, c.N)
	}
	q := `SELECT ` + recCols + `, ` + sc.col + ` FROM recordings` // #nosec G202 -- the columns are constants; every value is a parameter
	if len(w) > 0 {
		q += ` WHERE ` + strings.Join(w, " AND ")
	}
	q += ` ORDER BY ` + sc.col + dir + `, n` + dir + ` LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, limit+1)...) // #nosec G202 -- the columns are constants; every value is a parameter
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
	for i := range page.Recordings {
		if err := s.fillRecording(ctx, &page.Recordings[i]); err != nil {
			return page, err
		}
	}
	return page, nil
}

// scanRecording reads a row of recCols and the sort value.
func scanRecording(rows interface{ Scan(...any) error }) (store.Recording, cursor, error) {
	var r store.Recording
	var k cursor
	var partitions, parts, log, finished, tags string
	var durMS int64
	if err := rows.Scan(&k.N, &r.ID, &r.Interaction, &r.Name, &r.Queue, &r.Customer, &r.Agent, &r.Kind, &r.State,
		&r.Delivery, &r.Side, &r.Dest, &partitions, &r.Screen, &parts, &log, &r.Produced, &r.Why, &finished,
		&r.Contact, &r.Disposition, &durMS, &r.Voice, &tags, &k.V); err != nil {
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
