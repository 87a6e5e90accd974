// Package postgres is the hub's store on PostgreSQL (github.com/jackc/pgx/v5,
// a pgxpool of connections): what several hubs share when one machine is
// not enough (issue 16). It implements store.Store and passes the same
// contract suite (hub/store/storetest) as the SQLite store.
//
// Open brings the schema up to date: the numbered migrations not yet
// applied, each in its own transaction, by one hub at a time (a session
// advisory lock: hubs started together wait for each other). Full text
// search is PostgreSQL's own (a tsvector per recording, GIN-indexed,
// queried with plainto_tsquery: every word must occur, nothing typed is
// query syntax, case and accents folded). The database must be UTF-8.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentdesk/agentdesk/hub/store"
)

// DB is an open store on a PostgreSQL database. It is safe for concurrent
// use, by several hubs on the same database too.
type DB struct {
	pool      *pgxpool.Pool
	closeOnce sync.Once
	hub       *pgxpool.Conn // LockHub's connection, holding the lock
}

var (
	_ store.Store    = (*DB)(nil)
	_ store.AuditLog = (*DB)(nil)
	_ store.Pinger   = (*DB)(nil)
)

// migrateLock is the advisory lock key under which a hub migrates the
// schema ("agentdesk" in ASCII, as a number).
const migrateLock = 0x6167656e746465

// auditLock serializes audit appends across hubs.
const auditLock = migrateLock + 1

// hubLock is the advisory lock a hub holds on its database (LockHub).
const hubLock = migrateLock + 2

// ErrLocked: another hub holds the database (LockHub). It is
// store.ErrInUse: a cluster's hub that finds it held stays an edge.
var ErrLocked = fmt.Errorf("postgres: the database is in use by another hub (its core): %w", store.ErrInUse)

// Open connects to the database of dsn (a PostgreSQL URL or key=value
// string) and brings its schema up to date. Errors never carry the
// password.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgconn redacts the password
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "chathub"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &DB{pool: pool}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", Redact(dsn), err)
	}
	return s, nil
}

// Redact is dsn without its password, to log or show.
func Redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(a DSN that does not parse)"
	}
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "unix:" + host
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, host, cfg.Port, cfg.Database)
}

// LockHub makes this store's hub the database's only one, its core, until
// Close: a session advisory lock on a connection of its own, which goes
// with the session when the hub dies. Another hub holding it is ErrLocked
// (store.ErrInUse: with cluster role auto the others are edges).
func (s *DB) LockHub(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: lock: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(hubLock)).Scan(&got); err != nil {
		conn.Release()
		return fmt.Errorf("postgres: lock: %w", err)
	}
	if !got {
		conn.Release()
		return ErrLocked
	}
	s.hub = conn
	return nil
}

// Probe tells whether a hub holds the database (LockHub), on one
// connection it keeps: what a cluster's edge asks twice a second before
// it tries to become the core, instead of opening a pool, checking the
// migrations and trying the lock each time. It reads pg_locks and takes
// no lock. Not safe for concurrent use.
type Probe struct {
	dsn  string
	conn *pgx.Conn
}

// NewProbe makes a Probe of the database dsn names; it connects when
// first asked.
func NewProbe(dsn string) *Probe { return &Probe{dsn: dsn} }

// Held reports whether a session holds LockHub's lock. A failed
// connection is dropped and made again at the next ask.
func (p *Probe) Held(ctx context.Context) (bool, error) {
	if p.conn == nil || p.conn.IsClosed() {
		cfg, err := pgx.ParseConfig(p.dsn)
		if err != nil {
			return false, fmt.Errorf("postgres: probe: %w", err)
		}
		cfg.RuntimeParams["application_name"] = "chathub-probe"
		if p.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			return false, fmt.Errorf("postgres: probe %s: %w", Redact(p.dsn), err)
		}
	}
	// A bigint advisory lock is classid (its high half), objid (its low
	// half) and objsubid 1 in pg_locks.
	var held bool
	err := p.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1)`,
		int64(hubLock)>>32, int64(hubLock)&0xffffffff).Scan(&held)
	if err != nil {
		_ = p.Close()
		return false, fmt.Errorf("postgres: probe: %w", err)
	}
	return held, nil
}

// Close drops the probe's connection.
func (p *Probe) Close() error {
	if p.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.conn.Close(ctx)
	p.conn = nil
	return err
}

// Close closes the pool (and so ends LockHub's lock). It is idempotent.
func (s *DB) Close() error {
	s.closeOnce.Do(func() {
		if s.hub != nil {
			// Unlocked before the close returns (a closed session's locks
			// go only when the server notices); the session's end is the
			// backstop.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = s.hub.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(hubLock))
			_ = s.hub.Conn().Close(ctx)
			cancel()
			s.hub.Release()
		}
		s.pool.Close()
	})
	return nil
}

// Ping reads from the database: the hub's /readyz (store.Pinger).
func (s *DB) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Pool is the store's connection pool (for tools: chathub migrate).
func (s *DB) Pool() *pgxpool.Pool { return s.pool }

// Version is the schema version of the database.
func (s *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate applies the migrations up to version to under the advisory
// lock, on one connection held for the while.
func (s *DB) migrate(ctx context.Context, to int) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx has ended.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, int64(migrateLock)); err != nil {
			_ = conn.Conn().Close(uctx) // the session, and with it the lock, ends
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied text NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("%w: schema version %d, this hub knows %d: upgrade the hub", store.ErrNewerSchema, have, len(migrations))
	}
	for v := have + 1; v <= to; v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v, ts(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
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

// unique reports whether err is a unique constraint's violation.
func unique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// clause is a WHERE clause in the making: conditions joined by AND, and
// their parameters, numbered $1, $2, … in order.
type clause struct {
	conds []string
	args  []any
}

// add appends cond, whose "?" marks become the next parameters' numbers.
func (c *clause) add(cond string, args ...any) {
	var b strings.Builder
	k := len(c.args)
	for _, r := range cond {
		if r == '?' {
			k++
			fmt.Fprintf(&b, "$%d", k)
			continue
		}
		b.WriteRune(r)
	}
	c.conds, c.args = append(c.conds, b.String()), append(c.args, args...)
}

// next is the mark of one more parameter, v, for a clause's tail (LIMIT).
func (c *clause) next(v any) string {
	c.args = append(c.args, v)
	return fmt.Sprintf("$%d", len(c.args))
}

// sql is " WHERE …", or "" for no condition.
func (c *clause) sql() string {
	if len(c.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.conds, " AND ")
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
