package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

var _ store.Retention = (*DB)(nil)

// PlaceHold keeps a legal hold (store.Retention).
func (s *DB) PlaceHold(ctx context.Context, h *store.Hold) error {
	if err := store.CheckHold(h); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO holds (id, matter, recording, interaction, query, search, placed_by, placed_at, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.ID, h.Matter, h.Recording, h.Interaction, h.Query, h.Search, h.PlacedBy, ts(h.PlacedAt), h.Reason)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: hold %s", store.ErrExists, h.ID)
		}
		return fmt.Errorf("sqlite: place hold: %w", err)
	}
	s.wrote()
	return nil
}

// LiftHold ends a legal hold (store.Retention).
func (s *DB) LiftHold(ctx context.Context, id, by, why string, at time.Time) (store.Hold, error) {
	at, err := store.CheckLift(by, why, at)
	if err != nil {
		return store.Hold{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE holds SET lifted_by = ?, lifted_at = ?, lift_reason = ? WHERE id = ? AND lifted_at = ''`,
		by, ts(at), why, id)
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: lift hold %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return store.Hold{}, fmt.Errorf("sqlite: lift hold %s: %w", id, err)
	}
	hs, err := s.queryHolds(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.Hold{}, err
	}
	switch {
	case len(hs) == 0:
		return store.Hold{}, fmt.Errorf("%w: hold %s", store.ErrNotFound, id)
	case n == 0:
		return hs[0], fmt.Errorf("%w: hold %s, on %s", store.ErrLifted, id, ts(hs[0].LiftedAt))
	}
	s.wrote()
	return hs[0], nil
}

// Holds lists the legal holds, active ones unless all (store.Retention).
func (s *DB) Holds(ctx context.Context, all bool) ([]store.Hold, error) {
	if all {
		return s.queryHolds(ctx, ``)
	}
	return s.queryHolds(ctx, `WHERE lifted_at = ''`)
}

func (s *DB) queryHolds(ctx context.Context, where string, args ...any) ([]store.Hold, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, matter, recording, interaction, query, search, placed_by, placed_at, reason,
		lifted_by, lifted_at, lift_reason FROM holds `+where+` ORDER BY n`, args...) // #nosec G202 -- where is a constant of this file
	if err != nil {
		return nil, fmt.Errorf("sqlite: holds: %w", err)
	}
	defer rows.Close()
	var out []store.Hold
	for rows.Next() {
		var h store.Hold
		var placed, lifted string
		if err := rows.Scan(&h.ID, &h.Matter, &h.Recording, &h.Interaction, &h.Query, &h.Search, &h.PlacedBy, &placed, &h.Reason,
			&h.LiftedBy, &lifted, &h.LiftReason); err != nil {
			return nil, fmt.Errorf("sqlite: holds: %w", err)
		}
		if h.PlacedAt, err = parseTS(placed); err != nil {
			return nil, fmt.Errorf("sqlite: hold %s: %w", h.ID, err)
		}
		if h.LiftedAt, err = parseTS(lifted); err != nil {
			return nil, fmt.Errorf("sqlite: hold %s: %w", h.ID, err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SetArchived marks a stored file archived, or restored (store.Retention).
func (s *DB) SetArchived(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE files SET archived = ? WHERE id = ?`, ts(at), id)
	if err != nil {
		return fmt.Errorf("sqlite: archive file %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("%w: file %s", store.ErrNotFound, id)
	}
	s.wrote()
	return nil
}

// PurgeRecording deletes a recording and what is only its, keeping
// tombstones (store.Retention).
func (s *DB) PurgeRecording(ctx context.Context, p store.Purge) ([]store.Tombstone, error) {
	if p.At.IsZero() {
		p.At = time.Now().UTC()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge %s/%s: %w", p.Interaction, p.Recording, err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int64
	err = tx.QueryRowContext(ctx, `SELECT n FROM recordings WHERE interaction = ? AND id = ?`, p.Interaction, p.Recording).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: recording %s of %s", store.ErrNotFound, p.Recording, p.Interaction)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge %s/%s: %w", p.Interaction, p.Recording, err)
	}
	stones, err := purgeFiles(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	steps := []struct{ what, q string }{
		// The lines it took that no other recording took: its transcript.
		{"lines", `DELETE FROM lines WHERE chat = ?1 AND id IN (SELECT t.line FROM took t WHERE t.chat = ?1 AND t.recording = ?2)
			AND NOT EXISTS (SELECT 1 FROM took o WHERE o.chat = ?1 AND o.line = lines.id AND o.recording <> ?2)`},
		{"takes", `DELETE FROM took WHERE chat = ?1 AND recording = ?2`},
		{"row", `DELETE FROM recordings WHERE interaction = ?1 AND id = ?2`}, // its text, partitions, tags, bookmarks: recordings_gone
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.q, p.Interaction, p.Recording); err != nil {
			if strings.Contains(err.Error(), "legal hold:") {
				return nil, fmt.Errorf("%w: recording %s of %s", store.ErrHeld, p.Recording, p.Interaction)
			}
			return nil, fmt.Errorf("sqlite: purge %s/%s: %s: %w", p.Interaction, p.Recording, st.what, err)
		}
	}
	for _, t := range stones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (at, interaction, recording, file, sha256, size, by, why)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ts(t.At), t.Interaction, t.Recording, t.File, t.SHA256, t.Size, t.By, t.Why); err != nil {
			return nil, fmt.Errorf("sqlite: purge %s/%s: tombstone: %w", p.Interaction, p.Recording, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: purge %s/%s: %w", p.Interaction, p.Recording, err)
	}
	s.wrote()
	return stones, nil
}

// purgeFiles deletes the index rows of a purged recording's files and
// returns their tombstones (one for the recording when it had none).
func purgeFiles(ctx context.Context, tx *sql.Tx, p store.Purge) ([]store.Tombstone, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM files WHERE recording = ?2 AND (interaction = ?1 OR interaction = '')
		RETURNING id, sha256, size`, p.Interaction, p.Recording)
	if err != nil {
		return nil, fmt.Errorf("sqlite: purge %s/%s: files: %w", p.Interaction, p.Recording, err)
	}
	defer rows.Close()
	var stones []store.Tombstone
	for rows.Next() {
		t := store.Tombstone{At: p.At, Interaction: p.Interaction, Recording: p.Recording, By: p.By, Why: p.Why}
		if err := rows.Scan(&t.File, &t.SHA256, &t.Size); err != nil {
			return nil, fmt.Errorf("sqlite: purge %s/%s: files: %w", p.Interaction, p.Recording, err)
		}
		stones = append(stones, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: purge %s/%s: files: %w", p.Interaction, p.Recording, err)
	}
	if len(stones) == 0 {
		stones = append(stones, store.Tombstone{At: p.At, Interaction: p.Interaction, Recording: p.Recording, By: p.By, Why: p.Why})
	}
	return stones, nil
}
