package sqlite

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agentdesk/agentdesk/hub/store"
)

// cursor is the stores' keyset cursor (store.Cursor).
type cursor = store.Cursor

// sideScan is how many rows of a side table (partitions, tags) a filter
// may match and still drive the search: a rarer value lists its
// recordings, which are then sorted; a commoner one is checked row by row
// as the search walks its sort's index, which finds a page's rows early.
// (DB.sideScan; tests set it to -1 to check every row.)
const sideScan = 2000

// clause is a WHERE clause in the making: conditions joined by AND, and
// their parameters in order.
type clause struct {
	conds []string
	args  []any
}

func (c *clause) add(cond string, args ...any) {
	c.conds, c.args = append(c.conds, cond), append(c.args, args...)
}

// sql is " WHERE …", or "" for no condition.
func (c *clause) sql() string {
	if len(c.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.conds, " AND ")
}

// where builds the WHERE clause of f's filters (not its cursor), for a
// page or for its count.
func (s *DB) where(ctx context.Context, f store.RecordingFilter, count bool) (*clause, error) {
	c := &clause{}
	sorted := f.Sort != "" && f.Sort != store.SortFinished && !count
	columns(c, f, sorted)
	if err := s.sideFilters(ctx, c, f, count); err != nil {
		return nil, err
	}
	if f.MinDuration > 0 {
		c.add("duration_ms >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		c.add("duration_ms <= ?", f.MaxDuration.Milliseconds())
	}
	for _, fl := range []struct {
		col string
		f   store.Flag
	}{{"screen", f.Screen}, {"voice", f.Voice}} {
		switch fl.f {
		case store.With:
			c.add(fl.col + " = 1")
		case store.Without:
			c.add(fl.col + " = 0")
		}
	}
	if !f.From.IsZero() {
		c.add("finished_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		c.add("finished_ms < ?", f.To.UnixMilli())
	}
	return c, s.textFilter(ctx, c, f, sorted, count)
}

// columns adds f's exact values and sets. A coarse column (a few values:
// a tenth of the rows or more each) filters a list sorted by another
// column best as a check of each row while the sort's index is walked:
// its own index would give thousands of rows to sort. "+col" keeps SQLite
// off its index.
func columns(c *clause, f store.RecordingFilter, sorted bool) {
	for _, e := range []struct {
		col, v string
		coarse bool
	}{{"id", f.ID, false}, {"interaction", f.Interaction, false}, {"agent", f.Agent, false}, {"queue", f.Queue, true},
		{"kind", f.Kind, true}, {"customer", f.Customer, false}, {"contact", f.Contact, false},
		{"disposition", f.Disposition, true}} {
		if e.v == "" {
			continue
		}
		col := e.col
		if e.coarse && sorted && f.Sort != e.col {
			col = "+" + col
		}
		c.add(col+" = ?", e.v)
	}
	for _, set := range []struct {
		col string
		vs  []string
	}{{"agent", f.AgentIn}, {"kind", f.KindIn}} {
		switch {
		case set.vs == nil:
		case len(set.vs) == 0:
			c.add("0") // an empty set matches nothing
		default:
			c.add(set.col+" IN ("+marks(len(set.vs))+")", anys(set.vs)...)
		}
	}
}

// sideFilters adds the partitions and tags: each a list of the recordings
// that have it when it is rare (or for a count), else a check of each row.
func (s *DB) sideFilters(ctx context.Context, c *clause, f store.RecordingFilter, count bool) error {
	side := func(table, cond string, vals []any) error {
		list := count
		if !list {
			n, err := s.countWhere(ctx, table, cond, vals)
			if err != nil {
				return err
			}
			list = n <= s.sideScan
		}
		if list {
			c.add("n IN (SELECT n FROM "+table+" WHERE "+cond+")", vals...)
		} else {
			c.add("EXISTS (SELECT 1 FROM "+table+" x WHERE x.n = recordings.n AND "+cond+")", vals...)
		}
		return nil
	}
	if len(f.Partitions) > 0 {
		if err := side("recording_partitions", "partition IN ("+marks(len(f.Partitions))+")", anys(f.Partitions)); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		if err := side("recording_tags", "name = ? AND value = ?", []any{k, f.Tags[k]}); err != nil {
			return err
		}
	}
	return nil
}

// textFilter adds the words of f.Text. Words many recordings took are
// checked while the sort's index is walked (rowids only), like a common
// tag; so are any words when the list is sorted by a column. Rare words
// list their recordings.
func (s *DB) textFilter(ctx context.Context, c *clause, f store.RecordingFilter, sorted, count bool) error {
	q := ftsQuery(f.Text)
	if q == "" {
		return nil
	}
	list := !sorted
	if list && !count {
		n, err := s.countWhere(ctx, "recordings_text", "recordings_text MATCH ?", []any{q})
		if err != nil {
			return err
		}
		list = n <= s.sideScan
	}
	n := "+n"
	if list {
		n = "n"
	}
	c.add(n+" IN (SELECT rowid FROM recordings_text WHERE recordings_text MATCH ?)", q)
	return nil
}

// countWhere counts the rows of a side table that match cond.
func (s *DB) countWhere(ctx context.Context, table, cond string, vals []any) (int, error) {
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+cond, vals...).Scan(&n); err != nil { // #nosec G202 -- constants
		return 0, fmt.Errorf("sqlite: recordings: %s: %w", table, err)
	}
	return n, nil
}

// marks is n comma-separated parameters.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func anys(vs []string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

const recCols = `n, id, interaction, name, queue, customer, agent, kind, state, delivery, side, dest, partitions,
	screen, parts, log, produced, why, finished_at, contact, disposition, duration_ms, voice, tags, agents, finished_ms`

// Recordings lists the finished recordings f selects, sorted, with their
// lines and files, a page at a time, keyset-paged on (sort value, time
// finished, n) (store.Store).
func (s *DB) Recordings(ctx context.Context, f store.RecordingFilter) (store.RecordingPage, error) {
	var page store.RecordingPage
	pg, err := store.PageOf(f)
	if err != nil {
		return page, err
	}
	sort, sc, limit := pg.Sort, pg.Col, pg.Limit
	if f.Count {
		if page.Total, err = s.countRecordings(ctx, f); err != nil {
			return page, err
		}
	}
	c, err := s.where(ctx, f, false)
	if err != nil {
		return page, err
	}
	if cond, args := pg.After(); cond != "" {
		c.add(cond, args...)
	}
	order := pg.OrderBy()
	// The page's rows are found first, by their keys alone (an index
	// holds them all for most filters), and only then read whole: sorting
	// whole rows would read every row that matches.
	q := `SELECT ` + recCols + `, ` + sc.Col + ` FROM recordings WHERE n IN (SELECT n FROM recordings` + c.sql() + // #nosec G202 -- the columns are constants; every value is a parameter
		` ORDER BY ` + order + ` LIMIT ?) ORDER BY ` + order
	rows, err := s.rd.QueryContext(ctx, q, append(c.args, limit+1)...)
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

// countRecordings counts what f selects, every page together.
func (s *DB) countRecordings(ctx context.Context, f store.RecordingFilter) (int, error) {
	c, err := s.where(ctx, f, true)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM recordings`+c.sql(), c.args...).Scan(&n); err != nil { // #nosec G202 -- the columns are constants; every value is a parameter
		return 0, fmt.Errorf("sqlite: count recordings: %w", err)
	}
	return n, nil
}

// scanRecording reads a row of recCols and the sort value (its cursor but
// the sort and direction).
func scanRecording(rows interface{ Scan(...any) error }) (store.Recording, cursor, error) {
	var r store.Recording
	var k cursor
	var partitions, parts, log, finished, tags, agents string
	var durMS int64
	if err := rows.Scan(&k.N, &r.ID, &r.Interaction, &r.Name, &r.Queue, &r.Customer, &r.Agent, &r.Kind, &r.State,
		&r.Delivery, &r.Side, &r.Dest, &partitions, &r.Screen, &parts, &log, &r.Produced, &r.Why, &finished,
		&r.Contact, &r.Disposition, &durMS, &r.Voice, &tags, &agents, &k.F, &k.V); err != nil {
		return r, k, fmt.Errorf("sqlite: recordings: scan: %w", err)
	}
	if err := unmarshalAll(r.Interaction, []byte(partitions), &r.Partitions, []byte(parts), &r.Parts, []byte(log), &r.Log,
		[]byte(tags), &r.Tags, []byte(agents), &r.Agents); err != nil {
		return r, k, err
	}
	if len(r.Agents) == 0 {
		r.Agents = nil
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
