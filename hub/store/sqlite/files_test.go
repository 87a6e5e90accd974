package sqlite

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/storetest"
)

// fileOpener runs the contract on a real SQLite file, reopened as a
// restarted hub reopens it.
type fileOpener struct{}

func (fileOpener) Open(t *testing.T) store.Store {
	return openFile(t, filepath.Join(t.TempDir(), "index.db"))
}

func (fileOpener) Reopen(t *testing.T, s store.Store) store.Store {
	path := s.(*DB).path
	s.Close()
	return openFile(t, path)
}

type memOpener struct{}

func (memOpener) Open(t *testing.T) store.Store {
	db, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (memOpener) Reopen(*testing.T, store.Store) store.Store { return nil }

func openFile(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContractFile(t *testing.T)   { storetest.Run(t, fileOpener{}) }
func TestContractMemory(t *testing.T) { storetest.Run(t, memOpener{}) }

// TestWALAndSchema: the file is in WAL mode at the newest schema.
func TestWALAndSchema(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "index.db"))
	ctx := context.Background()
	if v, err := db.Version(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d %v, want %d", v, err, len(migrations))
	}
	var mode string
	if err := db.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v, want wal", mode, err)
	}
}

// TestNewerSchemaRefused: a database from a newer hub is not touched.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db := openFile(t, path)
	if _, err := db.db.Exec(`INSERT INTO schema_migrations(version, applied) VALUES (99, 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path); !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "no", "such", "dir", "index.db")); err == nil {
		t.Fatal("Open in a missing folder succeeded")
	}
}

// TestSecondProcessRefused: a second hub process on the same store folder
// is refused with words that say so; the first one keeps working.
func TestSecondProcessRefused(t *testing.T) {
	if os.Getenv("SQLITE_SECOND") != "" {
		_, err := Open(os.Getenv("SQLITE_SECOND"))
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Exit(4)
	}
	path := filepath.Join(t.TempDir(), "index.db")
	db := openFile(t, path)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessRefused$")
	cmd.Env = append(os.Environ(), "SQLITE_SECOND="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second process: %v, want exit 3 (ErrLocked)", err)
	}
	if err := db.Apply(context.Background(), &store.Batch{ChatSeq: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ErrLocked.Error(), "second hub") {
		t.Fatal(ErrLocked)
	}
}
