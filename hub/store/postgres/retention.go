package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentdesk/agentdesk/hub/store"
)

var _ store.Retention = (*DB)(nil)

// heldCode is the SQLSTATE the hold trigger raises (migration 2).
const heldCode = "AD001"

// PlaceHold keeps a legal hold (store.Retention).
func (s *DB) PlaceHold(ctx context.Context, h *store.Hold) error {
	if err := store.CheckHold(h); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO holds (id, matter, recording, interaction, query, search, placed_by, placed_at, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, h.ID, h.Matter, h.Recording, h.Interaction, h.Query, h.Search, h.PlacedBy, ts(h.PlacedAt), h.Reason)
	if unique(err) {
		return fmt.Errorf("%w: hold %s", store.ErrExists, h.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: place hold: %w", err)
	}
	return nil
}

// LiftHold ends a legal hold (store.Retention).
func (s *DB) LiftHold(ctx context.Context, id, by, why string, at time.Time) (store.Hold, error) {
	at, err := store.CheckLift(by, why, at)
	if err != nil {
		return store.Hold{}, err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE holds SET lifted_by = $1, lifted_at = $2, lift_reason = $3 WHERE id = $4 AND lifted_at = ''`,
		by, ts(at), why, id)
	if err != nil {
		return store.Hold{}, fmt.Errorf("postgres: lift hold %s: %w", id, err)
	}
	hs, err := s.queryHolds(ctx, `WHERE id = $1`, id)
	if err != nil {
		return store.Hold{}, err
	}
	switch {
	case len(hs) == 0:
		return store.Hold{}, fmt.Errorf("%w: hold %s", store.ErrNotFound, id)
	case tag.RowsAffected() == 0:
		return hs[0], fmt.Errorf("%w: hold %s, on %s", store.ErrLifted, id, ts(hs[0].LiftedAt))
	}
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
	var out []store.Hold
	var h store.Hold
	var placed, lifted string
	_, err := forEach(ctx, s.pool, `SELECT id, matter, recording, interaction, query, search, placed_by, placed_at, reason,
		lifted_by, lifted_at, lift_reason FROM holds `+where+` ORDER BY n`, args, // #nosec G202 -- where is a constant of this file
		[]any{&h.ID, &h.Matter, &h.Recording, &h.Interaction, &h.Query, &h.Search, &h.PlacedBy, &placed, &h.Reason,
			&h.LiftedBy, &lifted, &h.LiftReason}, func() error {
			var err error
			if h.PlacedAt, err = parseTS(placed); err != nil {
				return fmt.Errorf("hold %s: %w", h.ID, err)
			}
			if h.LiftedAt, err = parseTS(lifted); err != nil {
				return fmt.Errorf("hold %s: %w", h.ID, err)
			}
			out = append(out, h)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: holds: %w", err)
	}
	return out, nil
}

// SetArchived marks a stored file archived, or restored (store.Retention).
func (s *DB) SetArchived(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE files SET archived = $1 WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("postgres: archive file %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: file %s", store.ErrNotFound, id)
	}
	return nil
}

// PurgeRecording deletes a recording and what is only its, keeping
// tombstones, in one transaction (store.Retention).
func (s *DB) PurgeRecording(ctx context.Context, p store.Purge) ([]store.Tombstone, error) {
	if p.At.IsZero() {
		p.At = time.Now().UTC()
	}
	var stones []store.Tombstone
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int64
		err := tx.QueryRow(ctx, `SELECT n FROM recordings WHERE interaction = $1 AND id = $2`, p.Interaction, p.Recording).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: recording %s of %s", store.ErrNotFound, p.Recording, p.Interaction)
		}
		if err != nil {
			return err
		}
		if stones, err = purgeFiles(ctx, tx, p); err != nil {
			return err
		}
		for _, st := range []struct{ what, q string }{
			// The lines it took that no other recording took: its transcript.
			{"lines", `DELETE FROM lines WHERE chat = $1 AND id IN (SELECT t.line FROM took t WHERE t.chat = $1 AND t.recording = $2)
				AND NOT EXISTS (SELECT 1 FROM took o WHERE o.chat = $1 AND o.line = lines.id AND o.recording <> $2)`},
			{"takes", `DELETE FROM took WHERE chat = $1 AND recording = $2`},
			// Its words go with the row; its partitions and tags by their
			// foreign keys, its bookmarks by recordings_gone.
			{"row", `DELETE FROM recordings WHERE interaction = $1 AND id = $2`},
		} {
			if _, err := tx.Exec(ctx, st.q, p.Interaction, p.Recording); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == heldCode {
					return fmt.Errorf("%w: recording %s of %s", store.ErrHeld, p.Recording, p.Interaction)
				}
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		for _, t := range stones {
			if _, err := tx.Exec(ctx, `INSERT INTO tombstones (at, interaction, recording, file, sha256, size, "by", why)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ts(t.At), t.Interaction, t.Recording, t.File, t.SHA256, t.Size, t.By, t.Why); err != nil {
				return fmt.Errorf("tombstone: %w", err)
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return stones, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrHeld):
		return nil, err
	}
	return nil, fmt.Errorf("postgres: purge %s/%s: %w", p.Interaction, p.Recording, err)
}

// purgeFiles deletes the index rows of a purged recording's files and
// returns their tombstones (one for the recording when it had none).
func purgeFiles(ctx context.Context, tx pgx.Tx, p store.Purge) ([]store.Tombstone, error) {
	var stones []store.Tombstone
	t := store.Tombstone{At: p.At, Interaction: p.Interaction, Recording: p.Recording, By: p.By, Why: p.Why}
	_, err := forEach(ctx, tx, `DELETE FROM files WHERE recording = $2 AND (interaction = $1 OR interaction = '')
		RETURNING id, sha256, size`, []any{p.Interaction, p.Recording}, []any{&t.File, &t.SHA256, &t.Size}, func() error {
		stones = append(stones, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	if len(stones) == 0 {
		stones = append(stones, store.Tombstone{At: p.At, Interaction: p.Interaction, Recording: p.Recording, By: p.By, Why: p.Why})
	}
	return stones, nil
}
