package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// flakyStore is a store whose writes fail while fail is set, and which
// counts its writes and checkpoints.
type flakyStore struct {
	store.Store
	mu          sync.Mutex
	fail        bool
	applied     int
	checkpoints int
}

func (f *flakyStore) Apply(ctx context.Context, b *store.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("disk on fire")
	}
	f.applied += b.Rows()
	return f.Store.Apply(ctx, b)
}

func (f *flakyStore) Checkpoint(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkpoints++
	return nil
}

func (f *flakyStore) counts() (applied, checkpoints int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied, f.checkpoints
}

func newTestJournal(t *testing.T) (*journal, *flakyStore) {
	db, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	f := &flakyStore{Store: db}
	j := newJournal(f, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { j.close(); db.Close() })
	return j, f
}

func contactRow(id string) func(b *store.Batch) {
	return func(b *store.Batch) { b.Contacts = append(b.Contacts, store.Contact{ID: id}) }
}

// TestJournalHoldsUntilStored: nothing is durable before the store has it;
// a failing store holds everything back (and says so), keeps it, and
// stores it once it works again; a burst of changes is one write or a few.
func TestJournalHoldsUntilStored(t *testing.T) {
	j, f := newTestJournal(t)
	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
	j.add(contactRow("a"))
	time.Sleep(100 * time.Millisecond)
	if j.durable.Load() != 0 || j.err() == nil {
		t.Fatalf("durable %d, err %v while the store fails", j.durable.Load(), j.err())
	}
	for range 100 {
		j.add(contactRow("b"))
	}
	f.mu.Lock()
	f.fail = false
	f.mu.Unlock()
	j.sync()
	if got, want := j.durable.Load(), j.next.Load(); got != want || j.err() != nil {
		t.Fatalf("durable %d of %d, err %v after the store works again", got, want, j.err())
	}
	if applied, _ := f.counts(); applied != 101 {
		t.Fatalf("the store got %d rows, want all 101", applied)
	}
}

// TestJournalSections: a section's rows and epoch are one; an empty
// section is durable once everything before it is.
func TestJournalSections(t *testing.T) {
	j, f := newTestJournal(t)
	j.begin()
	j.add(contactRow("x"))
	e := j.next.Load()
	if j.durable.Load() >= e {
		t.Fatal("an open section's epoch is durable")
	}
	j.end(func(b *store.Batch) { b.Contacts = append(b.Contacts, store.Contact{ID: "y"}) })
	j.sync()
	if applied, _ := f.counts(); applied != 2 || j.durable.Load() < e {
		t.Fatalf("applied %d, durable %d < %d", applied, j.durable.Load(), e)
	}
	j.begin()
	e = j.next.Load()
	j.end(nil)
	if j.durable.Load() < e {
		t.Fatal("an empty section after everything stored is not durable at once")
	}
}

// TestJournalTidiesWhenIdle: the store's log is checkpointed once after a
// stretch of writes, when the journal has been idle, not in between.
func TestJournalTidiesWhenIdle(t *testing.T) {
	j, f := newTestJournal(t)
	for range 5 {
		j.add(contactRow("a"))
		time.Sleep(idleTidy / 10)
	}
	if _, cp := f.counts(); cp != 0 {
		t.Fatalf("%d checkpoints while writing", cp)
	}
	time.Sleep(3 * idleTidy)
	if _, cp := f.counts(); cp != 1 {
		t.Fatalf("%d checkpoints after going idle, want 1", cp)
	}
	time.Sleep(2 * idleTidy)
	if _, cp := f.counts(); cp != 1 {
		t.Fatalf("%d checkpoints with nothing written since, want still 1", cp)
	}
}
