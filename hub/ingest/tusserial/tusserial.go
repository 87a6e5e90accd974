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
func Handler(h http.Handler) http.Handler {
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
