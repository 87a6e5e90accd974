package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestContractMemoryChecks runs the contract with every partition and tag
// filter written as a check of each row (what a common value gets).
func TestContractMemoryChecks(t *testing.T) { storetest.Run(t, checkOpener{}) }

type checkOpener struct{ memOpener }

func (o checkOpener) Open(t *testing.T) store.Store {
	db := o.memOpener.Open(t).(*DB)
	db.sideScan = -1
	return db
}

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
	if held, err := Held(path); err != nil || held {
		t.Fatalf("before Open: Held %v, %v", held, err)
	}
	db := openFile(t, path)
	if held, err := Held(path); err != nil || !held {
		t.Fatalf("while open: Held %v, %v", held, err)
	}
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

// TestCheckpointBesideWriter: the WAL is copied into the database on a
// connection of its own, while the writer holds a transaction open (a
// commit in progress): the checkpoint neither waits for it nor blocks it,
// and commits gathered are copied a little later without being asked.
func TestCheckpointBesideWriter(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "index.db"))
	ctx := context.Background()
	if err := db.Apply(ctx, &store.Batch{ChatSeq: 1}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('x', 'y')`); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := db.Checkpoint(cctx); err != nil {
		t.Fatalf("checkpoint beside an open write: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Commits are copied in the background: the log ends up wholly copied.
	for i := range 20 {
		if err := db.Apply(ctx, &store.Batch{ChatSeq: int64(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var busy, logged, copied int
		db.ckMu.Lock()
		err := db.ckpt.QueryRowContext(ctx, `PRAGMA wal_checkpoint(NOOP)`).Scan(&busy, &logged, &copied)
		db.ckMu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if logged > 0 && copied == logged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("WAL %d frames, %d copied: the checkpointer did not run", logged, copied)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOpenTwiceInOneProcess: the lock file refuses a second Open of the
// same store in this process too, and is let go at Close.
func TestOpenTwiceInOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db := openFile(t, path)
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	openFile(t, path)
}

// oldStore makes a database at schema version v, as a hub of that
// version left it, runs setup on it (raw SQL of that version) and closes
// it.
func oldStore(t *testing.T, path string, v int, setup string, args ...any) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	old := &DB{db: raw}
	ctx := context.Background()
	if err := old.migrateTo(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, setup, args...); err != nil {
		t.Fatal(err)
	}
}

// TestSearchIndexesEarlierRecordings: schema 4 indexes the text of the
// recordings finished before it.
func TestSearchIndexesEarlierRecordings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	oldStore(t, path, 3, `INSERT INTO lines (chat, id, sender, text, at) VALUES ('chat-1', 1, 'customer', 'where is my parcel', ?);
		INSERT INTO took (chat, recording, line) VALUES ('chat-1', 'r1', 1);
		INSERT INTO recordings (id, interaction, kind, state, delivery, produced, finished_at)
			VALUES ('r1', 'chat-1', 'record', 'final', 'store', 1, ?)`, time.Now().UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(time.RFC3339Nano))
	db := openFile(t, path)
	ctx := context.Background()
	if v, err := db.Version(ctx); err != nil || v != len(migrations) {
		t.Fatalf("schema %d %v", v, err)
	}
	page, err := db.Recordings(ctx, store.RecordingFilter{Text: "parcel"})
	if err != nil || len(page.Recordings) != 1 || page.Recordings[0].ID != "r1" {
		t.Fatalf("the earlier recording by its text: %+v %v", page, err)
	}
}
