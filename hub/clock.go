package hub

import "time"

// Clock is where the hub's core gets the time and its timers: the real one
// in production, a hand-moved one in tests of timers that outlive a
// restart.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Stopper
}

// Stopper stops a timer; it reports whether it stopped it before it fired.
type Stopper interface{ Stop() bool }

// RealClock is the system's clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }
