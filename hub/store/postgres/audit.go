package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/store"
)

// AppendAudit stores audit leaves and the tree hashes they complete in one
// transaction, one hub at a time (store.AuditLog).
func (s *DB) AppendAudit(ctx context.Context, first int64, leaves []store.AuditLeaf, hashes []store.AuditHash) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
			return err
		}
		var size int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(n) + 1, 0) FROM audit_leaves`).Scan(&size); err != nil {
			return err
		}
		if size != first {
			return fmt.Errorf("%w: the log holds %d entries, the append starts at %d", store.ErrAuditSeq, size, first)
		}
		q := &pgx.Batch{}
		for i, l := range leaves {
			if l.N != first+int64(i) {
				return fmt.Errorf("%w: leaf %d given as %d", store.ErrAuditSeq, first+int64(i), l.N)
			}
			q.Queue(`INSERT INTO audit_leaves (n, hash, entry) VALUES ($1, $2, $3)`, l.N, l.Hash[:], l.Entry)
		}
		for _, h := range hashes {
			q.Queue(`INSERT INTO audit_hashes (i, hash) VALUES ($1, $2)`, h.Index, h.Hash[:])
		}
		return tx.SendBatch(ctx, q).Close()
	})
	if err != nil && !errors.Is(err, store.ErrAuditSeq) {
		return fmt.Errorf("postgres: audit append: %w", err)
	}
	return err
}

// AuditSize is the number of audit leaves stored (store.AuditLog).
func (s *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(n) + 1, 0) FROM audit_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: audit size: %w", err)
	}
	return n, nil
}

// AuditHashes returns stored tree hashes (store.AuditLog).
func (s *DB) AuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	got := make(map[int64][]byte, len(indexes))
	var i int64
	var h []byte
	_, err := forEach(ctx, s.pool, `SELECT i, hash FROM audit_hashes WHERE i = ANY($1)`, []any{indexes}, []any{&i, &h}, func() error {
		got[i] = append([]byte(nil), h...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: audit hashes: %w", err)
	}
	out := make([][32]byte, len(indexes))
	for k, x := range indexes {
		b, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("%w: audit hash %d", store.ErrNotFound, x)
		}
		if len(b) != 32 {
			return nil, fmt.Errorf("postgres: audit hash %d is %d bytes, not 32", x, len(b))
		}
		copy(out[k][:], b)
	}
	return out, nil
}

// ScanAudit calls f for each leaf from position from on, in order
// (store.AuditLog).
func (s *DB) ScanAudit(ctx context.Context, from int64, f func(store.AuditLeaf) error) error {
	var l store.AuditLeaf
	var h, entry []byte
	var ferr error
	_, err := forEach(ctx, s.pool, `SELECT n, hash, entry FROM audit_leaves WHERE n >= $1 ORDER BY n`, []any{from},
		[]any{&l.N, &h, &entry}, func() error {
			leaf := store.AuditLeaf{N: l.N, Entry: append([]byte(nil), entry...)}
			copy(leaf.Hash[:], h) // a hash of the wrong length reads as a mismatch
			ferr = f(leaf)
			return ferr
		})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("postgres: audit scan: %w", err)
	}
	return nil
}

// AddAuditCheckpoint keeps a signed checkpoint (store.AuditLog).
func (s *DB) AddAuditCheckpoint(ctx context.Context, c store.AuditCheckpoint) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit_checkpoints (size, at, note) VALUES ($1, $2, $3)`,
		c.Size, ts(c.At), c.Note); err != nil {
		return fmt.Errorf("postgres: audit checkpoint: %w", err)
	}
	return nil
}

// AuditCheckpoints lists the kept checkpoints, oldest first
// (store.AuditLog).
func (s *DB) AuditCheckpoints(ctx context.Context) ([]store.AuditCheckpoint, error) {
	var out []store.AuditCheckpoint
	var c store.AuditCheckpoint
	var at string
	var note []byte
	_, err := forEach(ctx, s.pool, `SELECT size, at, note FROM audit_checkpoints ORDER BY k`, nil, []any{&c.Size, &at, &note}, func() error {
		c.At, _ = parseTS(at) // a mangled time does not hide the checkpoint
		c.Note = append([]byte(nil), note...)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: audit checkpoints: %w", err)
	}
	return out, nil
}

// AccessesAfter lists the accesses kept after the one with id, oldest
// first (store.AuditLog).
func (s *DB) AccessesAfter(ctx context.Context, id string, limit int) ([]store.Access, error) {
	var after int64
	if id != "" {
		err := s.pool.QueryRow(ctx, `SELECT n FROM accesses WHERE id = $1`, id).Scan(&after)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("%w: access %s", store.ErrNotFound, id)
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: accesses after %s: %w", id, err)
		}
	}
	var out []store.Access
	var a store.Access
	var at string
	_, err := forEach(ctx, s.pool, `SELECT `+accessCols+` FROM accesses WHERE n > $1 ORDER BY n LIMIT $2`,
		[]any{after, limit}, accessRow(&a, &at), func() error {
			a.At, _ = parseTS(at)
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: accesses after %s: %w", id, err)
	}
	return out, nil
}
