package tusdtest

import (
	"net/http"
	"sync"
	"testing"
	"time"
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

// Serialize runs the requests for one upload (the same URL path) one after
// another, in arrival order. tusd v2.10.0 lets a new request interrupt one
// still writing the same upload (lock release) and then reads the old
// request's body field without synchronisation, a data race the race
// detector reports; with the requests in series that hand-over never
// happens. The hub's ingest would want the same.
func Serialize(h http.Handler) http.Handler {
	var mu sync.Mutex
	locks := map[string]*pathLock{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		key := r.URL.Path
		mu.Lock()
		l := locks[key]
		if l == nil {
			l = &pathLock{}
			locks[key] = l
		}
		l.refs++
		mu.Unlock()
		l.mu.Lock()
		defer func() {
			l.mu.Unlock()
			mu.Lock()
			if l.refs--; l.refs == 0 {
				delete(locks, key)
			}
			mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

type pathLock struct {
	mu   sync.Mutex
	refs int
}
