package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
)

// TestMigrationsOneHubAtATime (issue 16): hubs started together on an
// empty database each open it; the advisory lock lets one migrate and the
// others find the schema made, every migration applied once.
func TestMigrationsOneHubAtATime(t *testing.T) {
	dsn := pgtest.Need(t, srv).Database(t)
	const hubs = 4
	var wg sync.WaitGroup
	errs := make([]error, hubs)
	dbs := make([]*DB, hubs)
	for i := range hubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = Open(context.Background(), dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("hub %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	ctx := context.Background()
	var rows, max int
	if err := dbs[0].pool.QueryRow(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) || max != len(migrations) {
		t.Fatalf("schema_migrations: %d rows up to %d, want %d", rows, max, len(migrations))
	}
	if err := dbs[1].Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	dbs[1].Close()
	if err := dbs[1].Ping(ctx); err == nil {
		t.Fatal("a closed store answers its ping")
	}
}

// TestNewerSchema: a database a newer hub migrated is refused, not
// written to.
func TestNewerSchema(t *testing.T) {
	dsn := pgtest.Need(t, srv).Database(t)
	db := openDSN(t, dsn)
	if _, err := db.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version, applied) VALUES ($1, 'later')`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), dsn); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
}

// TestPasswordNeverShown: neither Redact nor a failed Open's error carries
// the DSN's password.
func TestPasswordNeverShown(t *testing.T) {
	for _, dsn := range []string{
		"postgres://hub:s3cret-pw@127.0.0.1:1/agentdesk?sslmode=disable&connect_timeout=1",
		"host=127.0.0.1 port=1 user=hub password=s3cret-pw dbname=agentdesk sslmode=disable connect_timeout=1",
		"postgres://hub:s3cret-pw@[bad",
	} {
		if r := Redact(dsn); strings.Contains(r, "s3cret") {
			t.Errorf("Redact(%q) = %q", dsn, r)
		}
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("open %q: no error", dsn)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("open: the error shows the password: %v", err)
		}
	}
	if r := Redact("postgres://hub:pw@db.example:5433/agentdesk"); r != "postgres://hub@db.example:5433/agentdesk" {
		t.Errorf("Redact: %q", r)
	}
}

// TestLockHub: one hub per database: a second LockHub is ErrLocked until
// the first store closes (or its hub dies: the session ends); a Probe
// sees the lock come and go.
func TestLockHub(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Need(t, srv).Database(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	p := NewProbe(dsn)
	defer p.Close()
	if held, err := p.Held(ctx); err != nil || held {
		t.Fatalf("before any lock the probe says held %v, %v", held, err)
	}
	if err := a.LockHub(ctx); err != nil {
		t.Fatal(err)
	}
	if held, err := p.Held(ctx); err != nil || !held {
		t.Fatalf("with a hub holding it the probe says held %v, %v", held, err)
	}
	if err := b.LockHub(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second hub: %v, want ErrLocked", err)
	}
	a.Close()
	if held, err := p.Held(ctx); err != nil || held {
		t.Fatalf("after the hub closed the probe says held %v, %v", held, err)
	}
	if err := b.LockHub(ctx); err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
}
