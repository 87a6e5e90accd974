package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/agentdesk/agentdesk/hub/store"
)

var _ store.AuditLog = (*DB)(nil)

// AppendAudit stores audit leaves and the tree hashes they complete in one
// transaction (store.AuditLog).
func (s *DB) AppendAudit(ctx context.Context, first int64, leaves []store.AuditLeaf, hashes []store.AuditHash) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(n) + 1, 0) FROM audit_leaves`).Scan(&size); err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	if size != first {
		return fmt.Errorf("%w: the log holds %d entries, the append starts at %d", store.ErrAuditSeq, size, first)
	}
	for i, l := range leaves {
		if l.N != first+int64(i) {
			return fmt.Errorf("%w: leaf %d given as %d", store.ErrAuditSeq, first+int64(i), l.N)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_leaves (n, hash, entry) VALUES (?, ?, ?)`, l.N, l.Hash[:], l.Entry); err != nil {
			return fmt.Errorf("sqlite: audit append: %w", err)
		}
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_hashes (i, hash) VALUES (?, ?)`, h.Index, h.Hash[:]); err != nil {
			return fmt.Errorf("sqlite: audit append: hash %d: %w", h.Index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	s.wrote()
	return nil
}

// AuditSize is the number of audit leaves stored (store.AuditLog).
func (s *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(n) + 1, 0) FROM audit_leaves`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: audit size: %w", err)
	}
	return n, nil
}

// AuditHashes returns stored tree hashes (store.AuditLog).
func (s *DB) AuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	for i, x := range indexes {
		var b []byte
		err := s.db.QueryRowContext(ctx, `SELECT hash FROM audit_hashes WHERE i = ?`, x).Scan(&b)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: audit hash %d", store.ErrNotFound, x)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: audit hashes: %w", err)
		}
		if len(b) != 32 {
			return nil, fmt.Errorf("sqlite: audit hash %d is %d bytes, not 32", x, len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// ScanAudit calls f for each leaf from position from on, in order
// (store.AuditLog).
func (s *DB) ScanAudit(ctx context.Context, from int64, f func(store.AuditLeaf) error) error {
	rows, err := s.rd.QueryContext(ctx, `SELECT n, hash, entry FROM audit_leaves WHERE n >= ? ORDER BY n`, from)
	if err != nil {
		return fmt.Errorf("sqlite: audit scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l store.AuditLeaf
		var h []byte
		if err := rows.Scan(&l.N, &h, &l.Entry); err != nil {
			return fmt.Errorf("sqlite: audit scan: %w", err)
		}
		copy(l.Hash[:], h) // a hash of the wrong length reads as a mismatch
		if err := f(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: audit scan: %w", err)
	}
	return nil
}

// AddAuditCheckpoint keeps a signed checkpoint (store.AuditLog).
func (s *DB) AddAuditCheckpoint(ctx context.Context, c store.AuditCheckpoint) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, at, note) VALUES (?, ?, ?)`,
		c.Size, ts(c.At), c.Note); err != nil {
		return fmt.Errorf("sqlite: audit checkpoint: %w", err)
	}
	s.wrote()
	return nil
}

// AuditCheckpoints lists the kept checkpoints, oldest first
// (store.AuditLog).
func (s *DB) AuditCheckpoints(ctx context.Context) ([]store.AuditCheckpoint, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT size, at, note FROM audit_checkpoints ORDER BY k`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit checkpoints: %w", err)
	}
	defer rows.Close()
	var out []store.AuditCheckpoint
	for rows.Next() {
		var c store.AuditCheckpoint
		var at string
		if err := rows.Scan(&c.Size, &at, &c.Note); err != nil {
			return nil, fmt.Errorf("sqlite: audit checkpoints: %w", err)
		}
		c.At, _ = parseTS(at) // a mangled time does not hide the checkpoint
		out = append(out, c)
	}
	return out, rows.Err()
}

// AccessesAfter lists the accesses kept after the one with id, oldest
// first (store.AuditLog).
func (s *DB) AccessesAfter(ctx context.Context, id string, limit int) ([]store.Access, error) {
	var after int64
	if id != "" {
		err := s.db.QueryRowContext(ctx, `SELECT n FROM accesses WHERE id = ?`, id).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: access %s", store.ErrNotFound, id)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: accesses after %s: %w", id, err)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, user, role, from_addr, action, recording, interaction, customer,
		kind, reason, query, outcome FROM accesses WHERE n > ? ORDER BY n LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: accesses after %s: %w", id, err)
	}
	defer rows.Close()
	var out []store.Access
	for rows.Next() {
		var a store.Access
		var at string
		if err := rows.Scan(&a.ID, &at, &a.User, &a.Role, &a.From, &a.Action, &a.Recording, &a.Interaction,
			&a.Customer, &a.Kind, &a.Reason, &a.Query, &a.Outcome); err != nil {
			return nil, fmt.Errorf("sqlite: accesses after %s: %w", id, err)
		}
		a.At, _ = parseTS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenReadOnly opens an existing store file for reading only, without its
// lock and without migrating it: for `chathub audit verify` and `prove`,
// which may read a copy or a store whose hub is stopped. Writes fail.
func OpenReadOnly(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	s := &DB{path: path, db: db, rd: db}
	var v int
	if err := db.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		_ = db.Close()
		if strings.Contains(err.Error(), "no such table") {
			return nil, fmt.Errorf("sqlite: %s is not a hub store", path)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if v < auditSchema {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: %s is at schema %d, before the audit log (%d): start the hub on it once", path, v, auditSchema)
	}
	return s, nil
}

// auditSchema is the migration that made the audit tables.
const auditSchema = 7
