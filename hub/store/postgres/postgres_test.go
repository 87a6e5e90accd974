package postgres

import (
	"context"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/hub/store/storetest"
)

// srv is the package's PostgreSQL server (pgtest.Main).
var srv *pgtest.Server

func TestMain(m *testing.M) { pgtest.Main(m, &srv) }

// opener runs the contract on a fresh database of the test server,
// reopened as a restarted hub reopens it.
type opener struct{}

// dsns remembers each open store's DSN, for Reopen.
var dsns = map[*DB]string{}

func (opener) Open(t *testing.T) store.Store {
	return openDSN(t, pgtest.Need(t, srv).Database(t))
}

func (opener) Reopen(t *testing.T, s store.Store) store.Store {
	db := s.(*DB)
	dsn := dsns[db]
	db.Close()
	return openDSN(t, dsn)
}

func openDSN(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	dsns[db] = dsn
	t.Cleanup(func() { db.Close() })
	return db
}

// TestContract: the SQLite store's contract, on PostgreSQL (issue 16).
func TestContract(t *testing.T) { storetest.Run(t, opener{}) }
