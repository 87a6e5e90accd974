package capture

import (
	"sync"
	"time"
)

// Clock is the recording's media clock: monotonic time since an origin.
// Both streams take their time from it (R-V2, R-G5).
//
// After returns a channel that is closed once Now() >= t; it never blocks.
type Clock interface {
	Now() time.Duration
	After(t time.Duration) <-chan struct{}
}

// WallClock is the real media clock: the monotonic clock since its
// creation.
type WallClock struct{ origin time.Time }

// NewWallClock starts a wall clock at zero now.
func NewWallClock() *WallClock { return &WallClock{origin: time.Now()} }

// Now is the monotonic time since the clock was made.
func (c *WallClock) Now() time.Duration { return time.Since(c.origin) }

// After closes its channel once Now() >= t.
func (c *WallClock) After(t time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	d := t - c.Now()
	if d <= 0 {
		close(ch)
		return ch
	}
	time.AfterFunc(d, func() { close(ch) })
	return ch
}

// ManualClock is a clock for tests: it moves only when told to.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Duration
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Duration
	ch chan struct{}
}

// NewManualClock makes a manual clock at zero.
func NewManualClock() *ManualClock { return &ManualClock{} }

// Now is the clock's time.
func (c *ManualClock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After closes its channel once the clock has been moved to t or later.
func (c *ManualClock) After(t time.Duration) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	if t <= c.now {
		close(ch)
		return ch
	}
	c.waiters = append(c.waiters, manualWaiter{t, ch})
	return ch
}

// Advance moves the clock forward by d, waking what became due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now += d
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at <= c.now {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}

var (
	_ Clock = (*WallClock)(nil)
	_ Clock = (*ManualClock)(nil)
)
