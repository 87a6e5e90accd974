package hub

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// journal is the hub's write-through to its store (issue 9). Every change
// joins the pending batch with an epoch; one writer goroutine applies
// pending batches to the store as they come (group commit: a burst of
// messages costs one transaction). A frame queued on a socket carries the
// epoch handed out last when it was queued, and leaves only once that
// epoch is durable: nothing is acknowledged before it is stored, and a
// kill -9 loses only what nobody was told.
//
// Changes come two ways. The relay hot path (a message under the hub's
// shared lock) adds its line with a fresh epoch at once. A change under the
// hub's exclusive lock opens a section (begin): its rows and the frames it
// queues share one epoch, and end submits the rows when the lock is let go.
// Sections never overlap each other or the hot path, so epochs are
// submitted in order.
type journal struct {
	st  store.Store
	log *slog.Logger

	next    atomic.Uint64 // the last epoch handed out
	durable atomic.Uint64 // every change up to this epoch is stored

	mu        sync.Mutex
	open      uint64      // the open section's epoch; 0 when none
	section   store.Batch // the open section's rows
	pending   store.Batch // submitted, not yet taken by the writer
	pendEpoch uint64      // the highest epoch submitted
	busy      bool        // the writer is applying a batch
	waiters   []*peer     // sockets waiting for durable to move
	m         *metrics    // nil in tests that build a journal alone
	failing   error       // the last write error; nil while writes work
	closed    bool
	dirty     bool          // written since the store's last checkpoint
	wake      chan struct{} // cap 1: the writer has work
	idle      *sync.Cond    // signalled whenever durable moves or the writer stops
	done      chan struct{} // closed when the writer has stopped
}

// maxBacklog bounds the rows waiting while the store cannot write: beyond
// it new messages are refused (session.ErrCodeUnavailable) instead of
// growing the hub's memory.
const maxBacklog = 200_000

func newJournal(st store.Store, log *slog.Logger) *journal {
	j := &journal{st: st, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	j.idle = sync.NewCond(&j.mu)
	go j.writer()
	return j
}

// begin opens a section. The caller holds the hub's exclusive lock.
func (j *journal) begin() {
	j.mu.Lock()
	j.open = j.next.Add(1)
	j.mu.Unlock()
}

// add records a change: into the open section, or with a fresh epoch.
func (j *journal) add(f func(b *store.Batch)) {
	j.mu.Lock()
	if j.open != 0 {
		f(&j.section)
		j.mu.Unlock()
		return
	}
	f(&j.pending)
	j.pendEpoch = j.next.Add(1)
	j.mu.Unlock()
	j.signal()
}

// end closes the open section: flush adds the section's last rows (the
// chats it changed). A section that wrote nothing is durable as soon as
// everything before it is.
func (j *journal) end(flush func(b *store.Batch)) {
	j.mu.Lock()
	e := j.open
	if flush != nil {
		flush(&j.section)
	}
	j.open = 0
	if !j.section.Empty() {
		j.pending.Append(&j.section)
		j.section = store.Batch{}
		j.pendEpoch = e
		j.mu.Unlock()
		j.signal()
		return
	}
	if !j.busy && j.pending.Empty() && j.failing == nil {
		j.markLocked(e) // nothing in flight before it
		j.mu.Unlock()
		return
	}
	j.pendEpoch = e
	j.mu.Unlock()
	j.signal()
}

func (j *journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// backlog reports whether too much waits for a failing store.
func (j *journal) backlog() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failing != nil && j.pending.Rows() > maxBacklog
}

// err is the store's last write error, nil while writes work.
func (j *journal) err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failing
}

// markLocked makes epoch e durable and wakes the sockets waiting for it.
// The caller holds j.mu.
func (j *journal) markLocked(e uint64) {
	if e <= j.durable.Load() {
		return
	}
	j.durable.Store(e)
	ws := j.waiters
	j.waiters = nil
	j.idle.Broadcast()
	for _, p := range ws {
		p.resume()
	}
}

// park registers p to be resumed when epoch need is durable; false when it
// already is (the caller goes on writing).
func (j *journal) park(p *peer, need uint64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.durable.Load() >= need {
		return false
	}
	j.waiters = append(j.waiters, p)
	return true
}

// sync waits until everything handed out so far, but an open section, is
// durable: a read of the store then sees every earlier change. It gives up
// when the journal is closed.
func (j *journal) sync() {
	j.mu.Lock()
	defer j.mu.Unlock()
	target := j.next.Load()
	if j.open != 0 {
		target = j.open - 1
	}
	for j.durable.Load() < target && !j.closed {
		j.idle.Wait()
	}
}

// writer applies pending batches until close; a failed batch is retried,
// with the rows submitted meanwhile after it, until it is stored.
func (j *journal) writer() {
	defer close(j.done)
	var batch store.Batch
	var epoch uint64
	backoff := 50 * time.Millisecond
	for {
		j.mu.Lock()
		for j.pending.Empty() && j.pendEpoch <= epoch && batch.Empty() && !j.closed {
			j.mu.Unlock()
			select {
			case <-j.wake:
			case <-time.After(idleTidy):
				j.tidy() // nothing to write for a while: the store's log is tidied now, not in a commit
				<-j.wake
			}
			j.mu.Lock()
		}
		if j.closed && j.pending.Empty() && batch.Empty() {
			j.busy = false
			j.markLocked(j.pendEpoch)
			j.idle.Broadcast()
			j.mu.Unlock()
			return
		}
		batch.Append(&j.pending)
		j.pending = store.Batch{}
		epoch = max(epoch, j.pendEpoch)
		j.busy = true
		j.mu.Unlock()

		began := time.Now()
		err := j.st.Apply(context.Background(), &batch)
		if j.m != nil {
			j.m.storeApply.Observe(since(began))
			if err != nil {
				j.m.storeErrors.Inc()
			}
		}

		j.mu.Lock()
		j.busy = false
		if err != nil {
			if j.failing == nil {
				j.log.Error("store: cannot write; retrying, and holding back what is not stored", "err", err, "rows", batch.Rows())
			}
			j.failing = err
			closed := j.closed
			j.mu.Unlock()
			if closed && backoff > time.Second {
				j.log.Error("store: giving up at shutdown; what was not stored was not acknowledged", "rows", batch.Rows())
				j.mu.Lock()
				j.pending, batch = store.Batch{}, store.Batch{}
				j.idle.Broadcast()
				j.mu.Unlock()
				continue
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		if j.failing != nil {
			j.log.Info("store: writing again")
		}
		j.failing, backoff = nil, 50*time.Millisecond
		batch = store.Batch{}
		j.markLocked(epoch)
		j.dirty = true
		j.mu.Unlock()
	}
}

// idleTidy is how long the journal waits without work before the store
// tidies its log.
const idleTidy = 200 * time.Millisecond

// tidy lets the store checkpoint its log, once after each stretch of
// writes, when the journal has had nothing to write for idleTidy.
func (j *journal) tidy() {
	cp, ok := j.st.(store.Checkpointer)
	j.mu.Lock()
	dirty := j.dirty
	j.dirty = false
	j.mu.Unlock()
	if !ok || !dirty {
		return
	}
	if err := cp.Checkpoint(context.Background()); err != nil {
		j.log.Warn("store: checkpoint", "err", err)
	}
}

// close stores what is pending and stops the writer. It is idempotent.
func (j *journal) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.signal()
	<-j.done
}
