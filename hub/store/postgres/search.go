package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/store"
)

// cursor is the stores' keyset cursor (store.Cursor).
type cursor = store.Cursor

// where builds the WHERE clause of f's filters (not its cursor). The
// planner chooses between the sort's index and the filters' own (a rare
// word's GIN entries, a rare tag) from the table's statistics.
func where(f store.RecordingFilter) *clause {
	c := &clause{}
	for _, e := range []struct{ col, v string }{{"id", f.ID}, {"interaction", f.Interaction}, {"agent", f.Agent},
		{"queue", f.Queue}, {"kind", f.Kind}, {"customer", f.Customer}, {"contact", f.Contact}, {"disposition", f.Disposition}} {
		if e.v != "" {
			c.add(e.col+" = ?", e.v)
		}
	}
	for _, set := range []struct {
		col string
		vs  []string
	}{{"agent", f.AgentIn}, {"kind", f.KindIn}} {
		switch {
		case set.vs == nil:
		case len(set.vs) == 0:
			c.add("false") // an empty set matches nothing
		default:
			c.add(set.col+" = ANY(?)", set.vs)
		}
	}
	if len(f.Partitions) > 0 {
		c.add("n IN (SELECT n FROM recording_partitions WHERE partition = ANY(?))", f.Partitions)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		c.add("EXISTS (SELECT 1 FROM recording_tags x WHERE x.n = recordings.n AND x.name = ? AND x.value = ?)", k, f.Tags[k])
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
			c.add(fl.col)
		case store.Without:
			c.add("NOT " + fl.col)
		}
	}
	if !f.From.IsZero() {
		c.add("finished_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		c.add("finished_ms < ?", f.To.UnixMilli())
	}
	if strings.TrimSpace(f.Text) != "" {
		// Every word must occur; plainto_tsquery reads no syntax (quotes,
		// OR, NEAR are words or nothing). Only produced recordings have
		// words.
		c.add("words @@ plainto_tsquery('simple', agentdesk_fold(?))", f.Text)
	}
	return c
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
	c := where(f)
	if f.Count {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM recordings`+c.sql(), custom(c.args)...).Scan(&page.Total); err != nil { // #nosec G202 -- the columns are constants; every value is a parameter
			return page, fmt.Errorf("postgres: count recordings: %w", err)
		}
	}
	if cond, args := pg.After(); cond != "" {
		c.add(cond, args...)
	}
	order := pg.OrderBy()
	q := `SELECT ` + recCols + `, ` + sc.Col + ` FROM recordings` + c.sql() + ` ORDER BY ` + order + ` LIMIT ` + c.next(limit+1) // #nosec G202 -- the columns are constants; every value is a parameter
	rows, err := s.pool.Query(ctx, q, custom(c.args)...)
	if err != nil {
		return page, fmt.Errorf("postgres: recordings: %w", err)
	}
	var keys []cursor
	for rows.Next() {
		r, k, err := scanRecording(rows, sc.Num)
		if err != nil {
			rows.Close()
			return page, err
		}
		k.Sort, k.Desc = sort, f.Desc
		page.Recordings = append(page.Recordings, r)
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: recordings: %w", err)
	}
	if len(page.Recordings) > limit {
		page.Recordings = page.Recordings[:limit]
		page.Next = keys[limit-1].String()
	}
	return page, s.fillRecordings(ctx, page.Recordings, !f.NoLines)
}

// custom runs a search with a plan made for its values: a cached
// statement's generic plan, made once for any values, walks the sort's
// index checking a common tag row by row as readily as it lists a rare
// one's recordings (pgx's QueryExecModeExec: an unnamed statement,
// planned each time it runs).
func custom(args []any) []any { return append([]any{pgx.QueryExecModeExec}, args...) }

// scanRecording reads a row of recCols and the sort value (its cursor but
// the sort and direction).
func scanRecording(rows interface{ Scan(...any) error }, num bool) (store.Recording, cursor, error) {
	var r store.Recording
	var k cursor
	var partitions, parts, log, finished, tags, agents, sv string
	var durMS, nv int64
	dst := []any{&k.N, &r.ID, &r.Interaction, &r.Name, &r.Queue, &r.Customer, &r.Agent, &r.Kind, &r.State,
		&r.Delivery, &r.Side, &r.Dest, &partitions, &r.Screen, &parts, &log, &r.Produced, &r.Why, &finished,
		&r.Contact, &r.Disposition, &durMS, &r.Voice, &tags, &agents, &k.F, &sv}
	if num {
		dst[len(dst)-1] = &nv
	}
	if err := rows.Scan(dst...); err != nil {
		return r, k, fmt.Errorf("postgres: recordings: scan: %w", err)
	}
	k.V = sv
	if num {
		k.V = nv
	}
	if err := unmarshalAll("recording "+r.ID, partitions, &r.Partitions, parts, &r.Parts, log, &r.Log,
		tags, &r.Tags, agents, &r.Agents); err != nil {
		return r, k, fmt.Errorf("postgres: %w", err)
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
	r.DurationSeconds = float64(durMS) / 1000
	var err error
	if r.FinishedAt, err = parseTS(finished); err != nil {
		return r, k, fmt.Errorf("postgres: recording %s: %w", r.ID, err)
	}
	return r, k, nil
}
