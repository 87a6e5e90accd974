package uploader

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// memSink is an in-memory Sink: errs are returned by the first Puts, one
// each; it checks the checksum like a real store.
type memSink struct {
	mu     sync.Mutex
	files  map[string][]byte // by name
	errs   []error
	puts   int
	onPut  func(it Item)
	verify bool // act as a Verifier
}

func (m *memSink) Put(ctx context.Context, it Item, r io.ReaderAt, progress func(int64)) error {
	m.mu.Lock()
	m.puts++
	var err error
	if len(m.errs) > 0 {
		err, m.errs = m.errs[0], m.errs[1:]
	}
	on := m.onPut
	m.mu.Unlock()
	if on != nil {
		on(it)
	}
	if err != nil {
		return err
	}
	b, rerr := io.ReadAll(io.NewSectionReader(r, 0, it.Size))
	if rerr != nil {
		return rerr
	}
	sum, _, _ := ReaderSum(bytes.NewReader(b))
	if sum != it.SHA256 {
		return fmt.Errorf("mem: %w", ErrChecksumMismatch)
	}
	progress(int64(len(b)))
	m.mu.Lock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[it.Name] = b
	m.mu.Unlock()
	it.Stored("mem:" + it.Name)
	return nil
}

func (m *memSink) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts
}

func (m *memSink) get(name string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	return b, ok
}

// verifyingSink adds Verifier to memSink.
type verifyingSink struct{ *memSink }

func (v verifyingSink) Verify(ctx context.Context, it Item) (string, error) {
	if b, ok := v.get(it.Name); ok {
		sum, _, _ := ReaderSum(bytes.NewReader(b))
		if sum == it.SHA256 {
			return "mem:" + it.Name, nil
		}
	}
	return "", ErrNotStored
}

// manualClock moves only when the test says so.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// autoClock jumps forward by whatever is waited for, and records it.
type autoClock struct {
	mu     sync.Mutex
	now    time.Time
	waited []time.Duration
}

func (c *autoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *autoClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waited = append(c.waited, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// waitFor waits, on the queue's change signal, until cond holds for a
// snapshot; it fails the test after a generous 20 s.
func waitFor(t *testing.T, q *Queue, what string, cond func([]ItemStatus) bool) []ItemStatus {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s := q.Snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-q.Changes():
		case <-deadline:
			t.Fatalf("timed out waiting for %s; snapshot %+v", what, s)
		}
	}
}

func allIn(st State) func([]ItemStatus) bool {
	return func(s []ItemStatus) bool {
		for _, x := range s {
			if x.State != st {
				return false
			}
		}
		return len(s) > 0
	}
}

// writeTemp writes data to a new file in dir and returns its path.
func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runQueue runs q until the test ends or stop is called; Run must end
// with context.Canceled.
func runQueue(t *testing.T, q *Queue) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
