package hub

import (
	"github.com/agentdesk/agentdesk/session/upload"

	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// outage is how long faultPortClosed keeps the hub's port closed: a
// minute under CI (issue 6: "hub port closed for a minute"), 3 s
// elsewhere so that a local run stays quick.
func outage() time.Duration {
	if os.Getenv("CI") != "" {
		return time.Minute
	}
	return 3 * time.Second
}

// refusals records when the queue's attempts met a refused connection.
type refusals struct {
	mu sync.Mutex
	at []time.Time
}

func (r *refusals) logf(t *testing.T) func(string, ...any) {
	return func(format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		if strings.Contains(line, "attempt") && strings.Contains(line, "connection refused") {
			r.mu.Lock()
			r.at = append(r.at, time.Now())
			r.mu.Unlock()
		}
		t.Log(line)
	}
}

// in counts the refusals in [from, to).
func (r *refusals) in(from, to time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, at := range r.at {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// faultPortClosed: the hub's port is closed (the process gone) for
// outage() while the desktop's upload queue (uploader.Queue with
// uploader/hubsink, backoff with full jitter capped at a sixth of the
// outage) holds a recording. The queue keeps retrying throughout (refused
// attempts in every stretch of twice the backoff cap), and once the hub
// listens again on the same port the file is stored byte-identical.
func faultPortClosed(t *testing.T, bin string, l *ledger) {
	h := newHubProc(t, bin, t.TempDir())
	h.start("127.0.0.1:0")
	h.kill() // the hub's port is closed
	f := l.newFile(t, 2<<20, "later")
	src := filepath.Join(t.TempDir(), f.meta[upload.MetaFilename])
	if err := os.Rename(f.path, src); err != nil {
		t.Fatal(err)
	}
	out := outage()
	ceiling := min(4*time.Second, out/6)
	var r refusals
	sink, err := hubsink.New(h.base(), "t-ada", hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := uploader.Open(t.TempDir(), uploader.Options{Sink: sink, MinBackoff: ceiling / 8, MaxBackoff: ceiling, Logf: r.logf(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	if _, err := q.Enqueue(ctx, src, uploader.Manifest{Recording: "r1", Interaction: "c-later", Agent: "ada", Encrypted: true}); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	go func() { defer close(done); q.Run(ctx) }()
	time.Sleep(out) // the outage itself (the fault, not an assertion)
	reopened := time.Now()
	h.start(h.addr)
	st := awaitQueue(t, q, 2*ceiling+30*time.Second, func(s uploader.ItemStatus) bool {
		return s.State == uploader.StateDone || s.State == uploader.StateFailed
	})
	if st.State != uploader.StateDone {
		t.Fatalf("after the port opened again: %s", st.Describe(time.Now()))
	}
	total := r.in(closed, reopened)
	for from := closed; from.Add(2 * ceiling).Before(reopened); from = from.Add(2 * ceiling) {
		if n := r.in(from, from.Add(2*ceiling)); n == 0 {
			t.Errorf("no refused attempt between %s and %s of the %s outage: the queue stopped retrying",
				from.Sub(closed).Round(time.Millisecond), from.Add(2*ceiling).Sub(closed).Round(time.Millisecond), out)
		}
	}
	if total < 3 || st.Attempt < total {
		t.Errorf("%d attempts refused, %d made in all; want several refused, each counted by the queue", total, st.Attempt)
	}
	t.Logf("port closed for %s: %d refused attempts (backoff up to %s), then stored as %s", out, total, ceiling, st.Stored)
	l.confirm(t, h.base(), f)
}

// awaitQueue waits on q's changes until its one item satisfies cond.
func awaitQueue(t *testing.T, q *uploader.Queue, guard time.Duration, cond func(uploader.ItemStatus) bool) uploader.ItemStatus {
	t.Helper()
	deadline := time.After(guard)
	for {
		if s := q.Snapshot(); len(s) == 1 && cond(s[0]) {
			return s[0]
		}
		select {
		case <-q.Changes():
		case <-deadline:
			t.Fatalf("timed out waiting for the queue: %+v", q.Snapshot())
		}
	}
}
