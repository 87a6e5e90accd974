package uploader

import (
	"fmt"
	"sort"
	"time"
)

// State is an item's state as the Uploads panel shows it.
type State int

// The states of an item.
const (
	StateQueued    State = iota // waiting its turn
	StateWaiting                // outside the upload windows, until ItemStatus.Until
	StateUploading              // bytes are moving
	StateRetrying               // an attempt failed; the next one at ItemStatus.Until
	StateDone                   // stored, checksum confirmed, local copy deleted
	StateFailed                 // a permanent error; ItemStatus.Err says why
	StateDeleted                // the store said it must not exist (R-H6): local copy deleted, never stored
)

// String returns the state in words.
func (s State) String() string {
	switch s {
	case StateQueued:
		return "queued"
	case StateWaiting:
		return "waiting for window"
	case StateUploading:
		return "uploading"
	case StateRetrying:
		return "retrying"
	case StateDone:
		return "done"
	case StateFailed:
		return "failed"
	case StateDeleted:
		return "deleted"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ItemStatus is one row of the Uploads panel.
type ItemStatus struct {
	ID      string
	Name    string
	Size    int64   // bytes
	Sent    int64   // bytes the store holds or has been sent
	Rate    float64 // bytes a second, moving average over the last seconds
	State   State
	Until   time.Time // StateWaiting: the window opens; StateRetrying: the next attempt
	Attempt int       // attempts made so far
	Err     string    // the last error in words (StateRetrying, StateFailed)
	Stored  string    // the store's id for the file (StateDone)
	// Enqueued is when the file entered the queue; Updated its last
	// change of state (for StateDone: when it was stored).
	Enqueued, Updated time.Time
}

// Describe returns the state in words, e.g. "retrying in 12 s (attempt 3,
// connection refused)" or "waiting for window (until 01:00)".
func (s ItemStatus) Describe(now time.Time) string {
	switch s.State {
	case StateWaiting:
		return fmt.Sprintf("waiting for window (until %s)", s.Until.Format("15:04"))
	case StateRetrying:
		in := max(s.Until.Sub(now), 0).Round(time.Second)
		return fmt.Sprintf("retrying in %d s (attempt %d, %s)", int(in/time.Second), s.Attempt, s.Err)
	case StateFailed:
		return "failed: " + s.Err
	case StateDeleted:
		return "deleted, not stored: " + s.Err
	case StateUploading:
		pct := 0
		if s.Size > 0 {
			pct = int(s.Sent * 100 / s.Size)
		}
		return fmt.Sprintf("uploading %d%% at %.1f MB/s", pct, s.Rate/1e6)
	}
	return s.State.String()
}

// Snapshot returns every item's status, oldest first.
func (q *Queue) Snapshot() []ItemStatus {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.opts.Clock.Now()
	out := make([]ItemStatus, 0, len(q.items))
	for _, e := range q.items {
		out = append(out, ItemStatus{
			ID: e.id, Name: e.st.Name, Size: e.st.Size, Sent: e.sent, Rate: e.meter.rate(now),
			State: e.live, Until: e.until, Attempt: e.st.Attempts, Err: e.st.LastError, Stored: e.st.Stored,
			Enqueued: e.st.Enqueued, Updated: e.st.Updated,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// rateMeter is a moving average of a byte count's growth over the last
// few seconds.
type rateMeter struct {
	samples [16]sample
	n, head int
}

type sample struct {
	t time.Time
	b int64
}

const rateSpan = 3 * time.Second

func (m *rateMeter) add(t time.Time, b int64) {
	step := rateSpan / time.Duration(len(m.samples))
	if m.n > 1 && t.Sub(m.at(m.n-2).t) < step {
		m.samples[(m.head+m.n-1)%len(m.samples)] = sample{t, b} // keep the newest current
		return
	}
	if m.n == len(m.samples) {
		m.head = (m.head + 1) % len(m.samples)
		m.n--
	}
	m.samples[(m.head+m.n)%len(m.samples)] = sample{t, b}
	m.n++
}

func (m *rateMeter) at(i int) sample { return m.samples[(m.head+i)%len(m.samples)] }

// rate is bytes a second from the oldest sample within rateSpan of now
// (or the one just before, when only the newest is that recent) to the
// newest; 0 when nothing moved for rateSpan.
func (m *rateMeter) rate(now time.Time) float64 {
	if m.n < 2 {
		return 0
	}
	newest := m.at(m.n - 1)
	if now.Sub(newest.t) > rateSpan {
		return 0
	}
	i := 0
	for i < m.n-2 && now.Sub(m.at(i).t) > rateSpan {
		i++
	}
	old := m.at(i)
	dt := newest.t.Sub(old.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(newest.b-old.b) / dt
}
