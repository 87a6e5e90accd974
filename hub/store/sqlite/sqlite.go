// Package sqlite is the hub's embedded store: one SQLite database
// (modernc.org/sqlite, pure Go) in the store folder, or in memory when the
// hub has no folder. It implements store.Store.
//
// The database is in WAL mode: the hub writes in batches (group commit) on
// one connection, a commit costs a WAL append, and a kill -9 loses nothing
// committed (synchronous=NORMAL keeps commits in the WAL; only a power loss
// may lose the last ones). A second connection copies the WAL into the
// database beside the writer (a passive checkpoint), so that work, with its
// fsyncs, never sits inside a commit the hub is waiting on. A lock file
// beside the database refuses a second hub on the same store folder.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/agentdesk/agentdesk/hub/store"
)

// DB is an open store. It is safe for concurrent use: every write takes
// the one writing connection in turn; searches (recordings, the access
// log, the dashboard's figures) read on connections of their own in a
// file, so a long search never holds up a commit the hub waits on.
type DB struct {
	path     string
	db       *sql.DB
	rd       *sql.DB // the searches' connections (db itself in memory)
	insLine  *sql.Stmt
	insTook  *sql.Stmt
	upChat   *sql.Stmt
	closeErr error
	closed   bool
	sideScan int // see the constant

	// A store in a file: its lock, and the checkpointer's connection.
	lock   *os.File
	ckpt   *sql.DB
	kick   chan struct{} // cap 1: a commit was made
	stop   chan struct{}
	ckDone chan struct{}
	ckMu   sync.Mutex // one checkpoint at a time
	ckErr  atomic.Value
}

var (
	_ store.Store        = (*DB)(nil)
	_ store.Checkpointer = (*DB)(nil)
	_ store.Pinger       = (*DB)(nil)
)

// autoCheckpoint is the WAL size (in pages) at which the writer
// checkpoints by itself, in the middle of a commit: a backstop for a load
// so steady that the checkpointer never finds the log wholly copied (and
// so never sees it restart from its beginning).
const autoCheckpoint = 32768

// searchConns is how many searches read at once beside the writer.
const searchConns = 2

// checkpointEvery is how long the checkpointer lets commits gather before
// it copies them into the database.
const checkpointEvery = 250 * time.Millisecond

// ErrLocked: another process (a second hub) holds the database.
// It is store.ErrInUse: a cluster's hub that finds the store held stays an
// edge (docs/cluster.md).
var ErrLocked = fmt.Errorf("sqlite: the store is in use by another process (is a second hub running on the same store folder?): %w", store.ErrInUse)

// Open opens (creating when missing) the database at path and brings its
// schema up to date.
func Open(path string) (*DB, error) {
	lock, err := lockStore(path + ".lock")
	if err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(2000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(autoCheckpoint) + ")&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-512)"
	db, err := open(dsn, path)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	ck, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(2000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-64)")
	if err != nil {
		_ = db.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxLifetime(0)
	ck.SetConnMaxIdleTime(0)
	rd, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(2000)&_pragma=query_only(1)&_pragma=cache_size(-2048)")
	if err != nil {
		_ = ck.Close()
		_ = db.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	rd.SetMaxOpenConns(searchConns)
	rd.SetMaxIdleConns(searchConns)
	rd.SetConnMaxIdleTime(time.Minute)
	db.path, db.lock, db.ckpt, db.rd = path, lock, ck, rd
	db.kick, db.stop, db.ckDone = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go db.checkpointer()
	return db, nil
}

// Held reports whether a hub holds the store at path (its lock file),
// without opening the database: what a cluster's edge asks twice a second
// before it tries to become the core (an Open costs far more). Asking
// takes the lock for an instant; a hub opening at that instant is
// ErrLocked and tries again.
func Held(path string) (bool, error) {
	f, err := lockStore(path + ".lock")
	if errors.Is(err, ErrLocked) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, f.Close()
}

// lockStore takes the store's lock file, or reports ErrLocked when another
// process (or another Open in this one) holds it. The lock goes with the
// process: a killed hub leaves nothing to clean up.
func lockStore(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- the store folder's own lock file
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { // #nosec G115 -- a file descriptor
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sqlite: open %s: %w", strings.TrimSuffix(name, ".lock"), ErrLocked)
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", name, err)
	}
	return f, nil
}

// wrote tells the checkpointer that a commit was made.
func (s *DB) wrote() {
	if s.kick == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// checkpointer copies the WAL into the database a little after commits,
// on its own connection, until Close.
func (s *DB) checkpointer() {
	defer close(s.ckDone)
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		select {
		case <-s.stop:
			return
		case <-time.After(checkpointEvery):
		}
		_ = s.Checkpoint(context.Background()) // an error is kept for the next Checkpoint call
	}
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
	// One connection (the checkpointer has its own): an in-memory
	// database belongs to a connection, and SQLite writes one at a time.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &DB{db: db, rd: db, sideScan: sideScan}
	ctx := context.Background()
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		if strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "SQLITE_BUSY") {
			return nil, fmt.Errorf("sqlite: open %s: %w", name, ErrLocked)
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", name, err)
	}
	if err := s.prepare(ctx); err != nil {
		_ = db.Close()
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
	if s.ckpt != nil {
		close(s.stop)
		<-s.ckDone
		_ = s.ckpt.Close()
	}
	if s.rd != s.db {
		_ = s.rd.Close()
	}
	for _, st := range []*sql.Stmt{s.insLine, s.insTook, s.upChat} {
		if st != nil {
			_ = st.Close()
		}
	}
	s.closeErr = s.db.Close() // the last connection: SQLite checkpoints and removes the WAL
	if s.lock != nil {
		_ = s.lock.Close()
	}
	return s.closeErr
}

// Checkpoint copies what the WAL holds into the database file, on the
// checkpointer's connection and without waiting for the writer, which goes
// on committing meanwhile (store.Checkpointer). The writer restarts the
// log from its beginning once it has all been copied. It reports the
// error of a background checkpoint that failed since the last call.
func (s *DB) Checkpoint(ctx context.Context) error {
	if s.ckpt == nil {
		return nil // in memory: no log to tidy
	}
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	var busy, logged, copied int
	err := s.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied)
	if err != nil {
		err = fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	if prev, _ := s.ckErr.Swap(errBox{err}).(errBox); prev.err != nil && err == nil {
		return prev.err
	}
	return err
}

// Ping reads from the database on a search connection: the hub's /readyz.
func (s *DB) Ping(ctx context.Context) error {
	var one int
	return s.rd.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
}

// errBox lets an atomic.Value hold a nil error.
type errBox struct{ err error }

// Version is the schema version of the open database.
func (s *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate applies the migrations not yet recorded in schema_migrations.
func (s *DB) migrate(ctx context.Context) error { return s.migrateTo(ctx, len(migrations)) }

// migrateTo applies the migrations up to version to (tests build the
// databases earlier hubs left with it).
func (s *DB) migrateTo(ctx context.Context, to int) error {
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
	for v := have + 1; v <= to; v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied) VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			_ = tx.Rollback()
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
