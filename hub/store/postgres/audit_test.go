package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
)

// TestAuditLog (issue 13 on issue 16's store, R-V9): hub/audit's log on
// PostgreSQL: appended in batches and checkpointed, verified whole after
// a restart, an entry proved against the last checkpoint; an append that
// does not follow the last leaf (another hub's, on the same database) is
// ErrAuditSeq and writes nothing.
func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Need(t, srv).Database(t)
	db := openDSN(t, dsn)
	signer, vkey, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), audit.KeyFile), audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	v, err := audit.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(i int) audit.Entry {
		return audit.FromAccess(store.Access{ID: "acc-" + strconv.Itoa(i), At: time.Date(2026, 12, 3, 8, 0, i, 0, time.UTC),
			User: "sue", Role: "supervisor", Action: store.ActionPlay, Recording: "rec-1", Outcome: store.OutcomeOK})
	}
	l, err := audit.Open(ctx, db, audit.Options{Signer: signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := l.Append(ctx, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.AppendBatch(ctx, []audit.Entry{entry(5), entry(6), entry(7)}); err != nil {
		t.Fatal(err)
	}
	if _, made, err := l.Checkpoint(ctx); err != nil || !made {
		t.Fatal(made, err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Another hub on the same database, stale about the log's size.
	other := openDSN(t, dsn)
	if err := other.AppendAudit(ctx, 3, []store.AuditLeaf{{N: 3, Entry: []byte("{}")}}, nil); !errors.Is(err, store.ErrAuditSeq) {
		t.Fatalf("a stale append: %v, want ErrAuditSeq", err)
	}
	if n, err := other.AuditSize(ctx); err != nil || n != 8 {
		t.Fatalf("size %d %v, want 8", n, err)
	}
	db.Close()
	rep, err := audit.Verify(ctx, other, v, nil)
	if err != nil || !rep.OK() || rep.Size != 8 || rep.Checkpoints < 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	last, err := audit.LatestCheckpoint(ctx, other, v, -1)
	if err != nil || last.Size != 8 {
		t.Fatal(last.Size, err)
	}
	p, err := audit.Prove(ctx, other, last, 6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AuditHashes(ctx, []int64{1 << 40}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a hash never stored: %v", err)
	}
	b, _ := json.Marshal(p)
	if e, _, err := audit.CheckProof(b, v); err != nil || e.Seq != 6 {
		t.Fatalf("the proof of 6: %v", err)
	}
	for range 3 {
		a := store.Access{User: "sue", Action: store.ActionView, Outcome: store.OutcomeOK}
		if err := other.LogAccess(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	all, err := other.AccessesAfter(ctx, "", 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("accesses after the start: %d %v", len(all), err)
	}
	if rest, err := other.AccessesAfter(ctx, all[0].ID, 10); err != nil || len(rest) != 2 || rest[0].ID != all[1].ID {
		t.Fatalf("accesses after the first: %+v %v", rest, err)
	}
	if _, err := other.AccessesAfter(ctx, "nope", 10); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after an unknown access: %v", err)
	}
}
