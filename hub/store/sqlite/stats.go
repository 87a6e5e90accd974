package sqlite

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

// Stats computes the dashboard's figures in three queries: recordings by
// day, kind, queue and coverage; bytes stored by day; the gaps
// (store.Dashboard).
func (s *DB) Stats(ctx context.Context, from, to time.Time) (store.Stats, error) {
	st, first, end, err := store.StatsDays(from, to)
	if err != nil || len(st.Days) == 0 {
		return st, err
	}
	idx := func(ms int64) int { return int((ms - first.UnixMilli()) / dayMS) }
	rows, err := s.rd.QueryContext(ctx, `SELECT r.finished_ms, r.kind, r.queue, r.produced, `+hasFile+`
		FROM recordings r WHERE r.finished_ms >= ? AND r.finished_ms < ?`, first.UnixMilli(), end.UnixMilli())
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	for rows.Next() {
		var ms int64
		var kind, queue string
		var produced, stored bool
		if err := rows.Scan(&ms, &kind, &queue, &produced, &stored); err != nil {
			_ = rows.Close()
			return st, fmt.Errorf("sqlite: stats: %w", err)
		}
		d := &st.Days[idx(ms)]
		d.Required++
		if produced {
			d.ByKind[kind]++
			d.ByQueue[queue]++
			if stored {
				d.Stored++
			}
		}
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	if err := s.statsBytes(ctx, &st, first, end); err != nil {
		return st, err
	}
	return st, s.statsGaps(ctx, &st, first, end)
}

// statsBytes fills each day's bytes stored and the running total.
func (s *DB) statsBytes(ctx context.Context, st *store.Stats, first, end time.Time) error {
	var before int64
	if err := s.rd.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM files WHERE substr(created, 1, 10) < ?`,
		first.Format(time.DateOnly)).Scan(&before); err != nil {
		return fmt.Errorf("sqlite: stats: bytes: %w", err)
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT substr(created, 1, 10) AS day, SUM(size) FROM files
		WHERE day >= ? AND day < ? GROUP BY day`, first.Format(time.DateOnly), end.Format(time.DateOnly))
	if err != nil {
		return fmt.Errorf("sqlite: stats: bytes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			return fmt.Errorf("sqlite: stats: bytes: %w", err)
		}
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return fmt.Errorf("sqlite: stats: bytes: day %q: %w", day, err)
		}
		st.Days[int(d.Sub(first).Hours()/24)].Bytes = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: stats: bytes: %w", err)
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
	rows, err := s.rd.QueryContext(ctx, `SELECT r.id, r.interaction, r.agent, r.queue, r.kind, r.finished_at, r.produced, r.why,
		EXISTS (SELECT 1 FROM tombstones t WHERE t.interaction = r.interaction)
		FROM recordings r WHERE r.finished_ms >= ? AND r.finished_ms < ? AND (NOT r.produced OR NOT `+hasFile+`)
		ORDER BY r.finished_ms, r.n LIMIT ?`, first.UnixMilli(), end.UnixMilli(), store.MaxGaps+1)
	if err != nil {
		return fmt.Errorf("sqlite: stats: gaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g store.Gap
		var finished, why string
		var produced, tombstoned bool
		if err := rows.Scan(&g.Recording, &g.Interaction, &g.Agent, &g.Queue, &g.Kind, &finished, &produced, &why, &tombstoned); err != nil {
			return fmt.Errorf("sqlite: stats: gaps: %w", err)
		}
		if g.FinishedAt, err = parseTS(finished); err != nil {
			return fmt.Errorf("sqlite: stats: gap %s: %w", g.Recording, err)
		}
		g.Cause = gapCause(produced, why, tombstoned)
		if len(st.Gaps) == store.MaxGaps {
			st.MoreGaps = true
			break
		}
		st.Gaps = append(st.Gaps, g)
	}
	return rows.Err()
}

// gapCause says why a recording that had to be made is not stored.
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
