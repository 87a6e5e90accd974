// Package sqlite is the hub's embedded store: one SQLite database
// (modernc.org/sqlite, pure Go) in the store folder, or in memory when the
// hub has no folder. It implements store.Store.
//
// The database has one connection, in WAL mode with the exclusive locking
// mode: the hub writes in batches (group commit), a commit costs a WAL
// append and no file locks, a kill -9 loses nothing committed
// (synchronous=NORMAL keeps commits in the WAL; only a power loss may lose
// the last ones), and a second hub on the same folder is refused instead of
// sharing it.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/agentdesk/agentdesk/hub/store"
)

// DB is an open store. It is safe for concurrent use: every call takes the
// one connection in turn.
type DB struct {
	path     string
	db       *sql.DB
	insLine  *sql.Stmt
	insTook  *sql.Stmt
	upChat   *sql.Stmt
	closeErr error
	closed   bool
}

var (
	_ store.Store        = (*DB)(nil)
	_ store.Checkpointer = (*DB)(nil)
)

// autoCheckpoint is the WAL size (in pages) at which SQLite checkpoints by
// itself, in the middle of a commit: a backstop. The hub checkpoints when
// it is idle (Checkpoint), so that work does not delay the messages it
// acknowledges.
const autoCheckpoint = 8192

// ErrLocked: another process (a second hub) holds the database.
var ErrLocked = errors.New("sqlite: the store is in use by another process (is a second hub running on the same store folder?)")

// Open opens (creating when missing) the database at path and brings its
// schema up to date.
func Open(path string) (*DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(2000)&_pragma=locking_mode(EXCLUSIVE)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(autoCheckpoint) + ")&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-512)"
	db, err := open(dsn, path)
	if db != nil {
		db.path = path
	}
	return db, err
}

// OpenMemory opens a database that lives in memory and is gone at Close:
// for a hub without a store folder, and for tests.
func OpenMemory() (*DB, error) {
	return open("file::memory:?_pragma=synchronous(OFF)", ":memory:")
}

func open(dsn, name string) (*DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", name, err)
	}
	// One connection: the exclusive lock and an in-memory database both
	// belong to a connection, and SQLite writes one at a time anyway.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &DB{db: db}
	ctx := context.Background()
	if err := s.migrate(ctx); err != nil {
		db.Close()
		if strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY") {
			return nil, fmt.Errorf("sqlite: open %s: %w", name, ErrLocked)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", name, err)
	}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", name, err)
	}
	return s, nil
}

// Close closes the database. It is idempotent.
func (s *DB) Close() error {
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	for _, st := range []*sql.Stmt{s.insLine, s.insTook, s.upChat} {
		if st != nil {
			st.Close()
		}
	}
	s.closeErr = s.db.Close()
	return s.closeErr
}

// Checkpoint copies what the WAL holds into the database file and
// restarts the log (store.Checkpointer).
func (s *DB) Checkpoint(ctx context.Context) error {
	if s.path == "" {
		return nil // in memory: no log to tidy
	}
	_, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(RESTART)`)
	return err
}

// Version is the schema version of the open database.
func (s *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate applies the migrations not yet recorded in schema_migrations.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	have, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("%w: schema version %d, this hub knows %d: upgrade the hub", store.ErrNewerSchema, have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied) VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// prepare makes the statements of the hot path once.
func (s *DB) prepare(ctx context.Context) error {
	var err error
	if s.insLine, err = s.db.PrepareContext(ctx, insLineSQL); err != nil {
		return err
	}
	if s.insTook, err = s.db.PrepareContext(ctx, insTookSQL); err != nil {
		return err
	}
	s.upChat, err = s.db.PrepareContext(ctx, upChatSQL)
	return err
}

// ts writes a time as RFC 3339 with nanoseconds in UTC; zero is "".
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTS reads what ts wrote.
func parseTS(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
