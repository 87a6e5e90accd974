package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

const dayMS = 24 * 60 * 60 * 1000

// hasFile is true for a recording row r with a stored file.
const hasFile = `EXISTS (SELECT 1 FROM files f WHERE f.recording = r.id AND (f.interaction = r.interaction OR f.interaction = ''))`

// Stats computes the dashboard's figures in four queries: recordings by
// day, kind, queue and coverage; bytes stored before the span and by day;
// the gaps (store.Dashboard).
func (s *DB) Stats(ctx context.Context, from, to time.Time) (store.Stats, error) {
	st, first, end, err := store.StatsDays(from, to)
	if err != nil || len(st.Days) == 0 {
		return st, err
	}
	var ms int64
	var kind, queue string
	var produced, stored bool
	_, err = forEach(ctx, s.pool, `SELECT r.finished_ms, r.kind, r.queue, r.produced, `+hasFile+`
		FROM recordings r WHERE r.finished_ms >= $1 AND r.finished_ms < $2`, []any{first.UnixMilli(), end.UnixMilli()},
		[]any{&ms, &kind, &queue, &produced, &stored}, func() error {
			d := &st.Days[int((ms-first.UnixMilli())/dayMS)]
			d.Required++
			if produced {
				d.ByKind[kind]++
				d.ByQueue[queue]++
				if stored {
					d.Stored++
				}
			}
			return nil
		})
	if err != nil {
		return st, fmt.Errorf("postgres: stats: %w", err)
	}
	if err := s.statsBytes(ctx, &st, first, end); err != nil {
		return st, err
	}
	return st, s.statsGaps(ctx, &st, first, end)
}

// statsBytes fills each day's bytes stored and the running total.
func (s *DB) statsBytes(ctx context.Context, st *store.Stats, first, end time.Time) error {
	var before int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0)::bigint FROM files WHERE created < $1`,
		first.Format(time.DateOnly)).Scan(&before); err != nil {
		return fmt.Errorf("postgres: stats: bytes: %w", err)
	}
	var day string
	var n int64
	_, err := forEach(ctx, s.pool, `SELECT substr(created, 1, 10), SUM(size)::bigint FROM files
		WHERE created >= $1 AND created < $2 GROUP BY 1`, []any{first.Format(time.DateOnly), end.Format(time.DateOnly)},
		[]any{&day, &n}, func() error {
			d, err := time.Parse(time.DateOnly, day)
			if err != nil {
				return fmt.Errorf("day %q: %w", day, err)
			}
			st.Days[int(d.Sub(first).Hours()/24)].Bytes = n
			return nil
		})
	if err != nil {
		return fmt.Errorf("postgres: stats: bytes: %w", err)
	}
	for i := range st.Days {
		before += st.Days[i].Bytes
		st.Days[i].Total = before
	}
	return nil
}

// statsGaps lists the recordings that had to be made and are not stored,
// with their cause (R-V10).
func (s *DB) statsGaps(ctx context.Context, st *store.Stats, first, end time.Time) error {
	var g store.Gap
	var finished, why string
	var produced, tombstoned bool
	_, err := forEach(ctx, s.pool, `SELECT r.id, r.interaction, r.agent, r.queue, r.kind, r.finished_at, r.produced, r.why,
		EXISTS (SELECT 1 FROM tombstones t WHERE t.interaction = r.interaction)
		FROM recordings r WHERE r.finished_ms >= $1 AND r.finished_ms < $2 AND (NOT r.produced OR NOT `+hasFile+`)
		ORDER BY r.finished_ms, r.n LIMIT $3`, []any{first.UnixMilli(), end.UnixMilli(), store.MaxGaps + 1},
		[]any{&g.Recording, &g.Interaction, &g.Agent, &g.Queue, &g.Kind, &finished, &produced, &why, &tombstoned}, func() error {
			var err error
			if g.FinishedAt, err = parseTS(finished); err != nil {
				return fmt.Errorf("gap %s: %w", g.Recording, err)
			}
			g.Cause = gapCause(produced, why, tombstoned)
			if len(st.Gaps) == store.MaxGaps {
				st.MoreGaps = true
				return nil
			}
			st.Gaps = append(st.Gaps, g)
			return nil
		})
	if err != nil {
		return fmt.Errorf("postgres: stats: gaps: %w", err)
	}
	return nil
}

// gapCause says why a recording that had to be made is not stored (the
// SQLite store's rule).
func gapCause(produced bool, why string, tombstoned bool) string {
	switch {
	case why == session.ErrDeleted.Error() || (tombstoned && (produced || why == "")):
		return store.CauseDeletion
	case why == session.ErrConsentDeclined.Error():
		return store.CauseConsent
	case !produced && why != "":
		return why
	case !produced:
		return "not produced"
	}
	return store.CauseNoFile
}
