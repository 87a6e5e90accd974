package tusdtest

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/ingest/tusserial"
)

// Tracker counts the requests a handler is serving, so a test can wait
// until the server has finished with a request the client abandoned (tusd
// v2.10.0 reads its request state without a lock when a new request takes
// over an upload still being written: wait for idle before resuming).
type Tracker struct {
	mu     sync.Mutex
	active int
	zero   chan struct{} // closed while active == 0
}

// Track wraps h.
func Track(h http.Handler) (*Tracker, http.Handler) {
	t := &Tracker{zero: make(chan struct{})}
	close(t.zero)
	return t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		if t.active == 0 {
			t.zero = make(chan struct{})
		}
		t.active++
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			t.active--
			if t.active == 0 {
				close(t.zero)
			}
			t.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// WaitIdle waits until no request is being served (failing tb after 20 s).
func (t *Tracker) WaitIdle(tb testing.TB) {
	tb.Helper()
	t.mu.Lock()
	zero := t.zero
	t.mu.Unlock()
	select {
	case <-zero:
	case <-time.After(20 * time.Second):
		tb.Fatal("tusdtest: the server did not finish its requests within 20 s")
	}
}

// Serialize runs the requests for one upload one after another, as the
// hub does (see hub/ingest/tusserial: it avoids a data race in tusd v2.10.0).
func Serialize(h http.Handler) http.Handler { return tusserial.Handler(h) }
