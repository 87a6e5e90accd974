// Package tusserial runs the requests of one tus upload one after another.
//
// tusd v2.10.0 lets a new request take an upload over from one still
// writing it (lock release) and then reads the old request's body field
// without synchronisation: a data race the race detector reports (about one
// run in 45 in our upload fault tests). With the requests for one upload in
// series that hand-over never happens. The price: a new PATCH for an upload
// whose previous PATCH hangs on a dead connection waits until that read
// fails (the client's stall timeout or the server's read timeout).
package tusserial

import (
	"net/http"
	"sync"
)

// Handler wraps h so that requests for the same upload URL path, other than
// creation (POST) and reads (GET), run in series, in arrival order.
func Handler(h http.Handler) http.Handler { return New(h) }

// Serial is Handler with a way in for others: TryLock holds an upload's
// turn so no request for it runs meanwhile.
type Serial struct {
	h     http.Handler
	mu    sync.Mutex
	locks map[string]*pathLock
}

// New wraps h (see Handler).
func New(h http.Handler) *Serial { return &Serial{h: h, locks: map[string]*pathLock{}} }

// ServeHTTP runs r in its upload's turn.
func (s *Serial) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost || r.Method == http.MethodGet {
		s.h.ServeHTTP(w, r)
		return
	}
	l := s.ref(r.URL.Path)
	l.mu.Lock()
	defer s.unref(r.URL.Path, l)
	s.h.ServeHTTP(w, r)
}

// TryLock takes the turn of the upload at path when no request holds it or
// waits for it: requests that come meanwhile wait until unlock is called.
// It reports false, and holds nothing, when the upload is busy.
func (s *Serial) TryLock(path string) (unlock func(), ok bool) {
	s.mu.Lock()
	if s.locks[path] != nil {
		s.mu.Unlock()
		return nil, false
	}
	l := &pathLock{refs: 1}
	l.mu.Lock()
	s.locks[path] = l
	s.mu.Unlock()
	return func() { s.unref(path, l) }, true
}

func (s *Serial) ref(key string) *pathLock {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.locks[key]
	if l == nil {
		l = &pathLock{}
		s.locks[key] = l
	}
	l.refs++
	return l
}

// unref ends a turn: l.mu is held by the caller.
func (s *Serial) unref(key string, l *pathLock) {
	l.mu.Unlock()
	s.mu.Lock()
	if l.refs--; l.refs == 0 {
		delete(s.locks, key)
	}
	s.mu.Unlock()
}

type pathLock struct {
	mu   sync.Mutex
	refs int
}
