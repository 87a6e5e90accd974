package uploader

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/uploader/durable"
)

// Options configures a Queue. Only Sink is required.
type Options struct {
	Sink    Sink     // where files go
	Windows []Window // upload only inside these daily windows (R-V3); none: at once
	// RateLimit caps the upload in bytes a second (token bucket on the
	// reader); 0 means no cap.
	RateLimit int64
	// Backoff between retries: full jitter, a random wait in
	// [0, min(MaxBackoff, MinBackoff·2^(attempt-1))]. Defaults 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	Clock                  Clock // default SystemClock
	// Jitter returns a random duration in [0, d]; default math/rand/v2.
	Jitter func(d time.Duration) time.Duration
	// Logf, when set, receives one line per event worth a log entry.
	Logf func(format string, args ...any)
}

// Queue is a persistent upload queue in a directory. Enqueue moves a file
// in; Run delivers the files one at a time, in order. Safe for concurrent
// use.
type Queue struct {
	dir  string
	opts Options
	lock *os.File // flock on dir/.lock while open

	mu      sync.Mutex
	items   map[string]*entry
	closed  bool
	wake    chan struct{}
	changes chan struct{}
}

// entry is an item's persisted state plus its live status.
type entry struct {
	id    string
	dir   string
	st    itemState
	man   Manifest
	live  State
	sent  int64
	until time.Time
	meter rateMeter
}

// Open opens (creating when missing) the queue directory dir. Items left
// by an earlier process are picked up: half-made ones are finished or
// dropped, delivered ones removed, failed ones queued again (their cause,
// say a wrong token, may have been fixed).
func Open(dir string, opts Options) (*Queue, error) {
	if opts.Sink == nil {
		return nil, errors.New("uploader: Options.Sink is nil")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Minute, opts.MinBackoff)
	}
	if opts.Jitter == nil {
		opts.Jitter = func(d time.Duration) time.Duration { return rand.N(d + 1) }
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uploader: open queue: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	q := &Queue{dir: dir, opts: opts, lock: lock, items: map[string]*entry{},
		wake: make(chan struct{}, 1), changes: make(chan struct{}, 1)}
	if err := q.load(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("uploader: open queue %s: %w", dir, err)
	}
	return q, nil
}

// lockDir takes an exclusive flock on dir/.lock: one Queue per directory.
// The kernel drops it when the process dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("uploader: open queue: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s (%v)", ErrInUse, dir, err)
	}
	return f, nil
}

// Close releases the directory for another Queue. Run (which should be
// stopped first through its context) and Enqueue then return ErrClosed.
// Idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return q.lock.Close()
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

func (q *Queue) load() error {
	des, err := os.ReadDir(q.dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		name := de.Name()
		switch {
		case !de.IsDir():
			continue
		case strings.HasPrefix(name, newPrefix):
			if err := recoverNew(q.dir, name); err != nil {
				return err
			}
		}
	}
	des, err = os.ReadDir(q.dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		if err := q.loadItem(de.Name()); err != nil {
			return err
		}
	}
	return nil
}

// loadItem loads one item. A damaged item never blocks the others: a lost
// state is rebuilt from the manifest; an item without a readable manifest
// is set aside as .broken-<id> for a person to look at, and logged.
func (q *Queue) loadItem(id string) error {
	e := &entry{id: id, dir: filepath.Join(q.dir, id)}
	if err := readJSON(filepath.Join(e.dir, manifestFile), &e.man); err != nil || !ValidName(e.man.File) {
		q.logf("queue item %s has no readable manifest (%v): set aside as .broken-%s", id, err, id)
		return os.Rename(e.dir, filepath.Join(q.dir, ".broken-"+id))
	}
	if err := readJSON(filepath.Join(e.dir, stateFile), &e.st); err != nil || !ValidName(e.st.Name) {
		q.logf("queue item %s: state unreadable (%v); rebuilt from its manifest", id, err)
		e.st = itemState{Name: e.man.File, Size: e.man.Size, SHA256: e.man.SHA256, Status: statusQueued,
			Attempts: 1, Enqueued: e.man.Created} // Attempts 1: ask a Verifier first
	}
	switch e.st.Status {
	case statusDone, statusDeleted:
		return os.RemoveAll(e.dir)
	case statusFailed:
		e.st.Status = statusQueued
	}
	if _, err := os.Stat(filepath.Join(e.dir, e.st.Name)); err != nil {
		e.st.Status = statusFailed
		e.st.LastError = "the local file is missing: " + err.Error()
	}
	e.live = liveOf(e.st.Status)
	q.items[id] = e
	return nil
}

func liveOf(status string) State {
	switch status {
	case statusDone:
		return StateDone
	case statusFailed:
		return StateFailed
	case statusDeleted:
		return StateDeleted
	}
	return StateQueued
}

// Enqueue moves the file at path into the queue with its manifest and
// returns the item's id. The file is renamed (copied when on another file
// system) so it survives a crash the moment Enqueue returns. The manifest's
// File (default: the base name of path), SHA256 and Size are set from the
// file; a SHA256 given that does not match is an error.
func (q *Queue) Enqueue(ctx context.Context, path string, m Manifest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if q.isClosed() {
		return "", ErrClosed
	}
	if m.File == "" {
		m.File = filepath.Base(path)
	}
	if !ValidName(m.File) || m.File == manifestFile || m.File == stateFile {
		return "", fmt.Errorf("uploader: enqueue: %q is not a usable file name", m.File)
	}
	if m.Dest != "" && !ValidName(m.Dest) {
		return "", fmt.Errorf("uploader: enqueue: dest %q is not a folder name", m.Dest)
	}
	sum, size, err := FileSum(path)
	if err != nil {
		return "", fmt.Errorf("uploader: enqueue: %w", err)
	}
	if m.SHA256 != "" && !strings.EqualFold(m.SHA256, sum) {
		return "", fmt.Errorf("uploader: enqueue %s: manifest says sha256 %s, the file has %s", path, m.SHA256, sum)
	}
	m.SHA256, m.Size, m.Version = sum, size, ManifestVersion
	now := q.opts.Clock.Now()
	id := newID(now)
	e := &entry{id: id, dir: filepath.Join(q.dir, id), man: m, live: StateQueued, st: itemState{
		Name: m.File, Size: size, SHA256: sum, Status: statusQueued, Enqueued: now, Updated: now}}
	if err := q.create(e, path); err != nil {
		return "", fmt.Errorf("uploader: enqueue %s: %w", path, err)
	}
	q.mu.Lock()
	q.items[id] = e
	q.mu.Unlock()
	q.logf("queued %s (%d bytes, sha256 %s)", m.File, size, sum)
	q.poke()
	return id, nil
}

// create builds the item in .new-<id> (manifest and state first, then the
// file) and renames it into place.
func (q *Queue) create(e *entry, path string) error {
	tmp := filepath.Join(q.dir, newPrefix+e.id)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	mb, err := MarshalManifest(e.man)
	if err == nil {
		err = writeFileAtomic(filepath.Join(tmp, manifestFile), mb)
	}
	if err == nil {
		err = writeJSONAtomic(filepath.Join(tmp, stateFile), e.st)
	}
	if err == nil {
		err = moveFile(path, filepath.Join(tmp, e.st.Name))
	}
	if err == nil {
		err = durable.SyncDir(tmp)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, e.dir); err != nil {
		return err
	}
	return durable.SyncDir(q.dir)
}

// save persists e.st; the caller holds no lock on q.mu.
func (q *Queue) save(e *entry) error {
	q.mu.Lock()
	e.st.Updated = q.opts.Clock.Now()
	st := e.st
	q.mu.Unlock()
	if err := writeJSONAtomic(filepath.Join(e.dir, stateFile), st); err != nil {
		return fmt.Errorf("uploader: save state of %s: %w", e.id, err)
	}
	return nil
}

// Retry queues a failed item again.
func (q *Queue) Retry(id string) error {
	q.mu.Lock()
	e, ok := q.items[id]
	if !ok {
		q.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if e.st.Status != statusFailed {
		q.mu.Unlock()
		return nil
	}
	e.st.Status, e.live = statusQueued, StateQueued
	q.mu.Unlock()
	if err := q.save(e); err != nil {
		return err
	}
	q.poke()
	return nil
}

// Changes returns a channel that receives (coalesced) whenever Snapshot
// would show something new: redraw on it.
func (q *Queue) Changes() <-chan struct{} { return q.changes }

// poke wakes the worker and signals a change.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
	q.changed()
}

func (q *Queue) changed() {
	select {
	case q.changes <- struct{}{}:
	default:
	}
}

func (q *Queue) logf(format string, args ...any) {
	if q.opts.Logf != nil {
		q.opts.Logf(format, args...)
	}
}

// next returns the oldest queued item, or nil.
func (q *Queue) next() *entry {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]string, 0, len(q.items))
	for id, e := range q.items {
		if e.st.Status == statusQueued {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	return q.items[ids[0]]
}
