package tusserial

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSamePathRunsInSeries(t *testing.T) {
	var inside, most atomic.Int32
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inside.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inside.Add(-1)
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/v1/uploads/abc", nil))
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d PATCHes of one upload ran at once, want 1", most.Load())
	}
}

func TestOtherPathsAndCreationRunTogether(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 2)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.URL.Path
		<-release
	}))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/u/1", nil))
	go h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/u/2", nil))
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("requests for different uploads did not run at the same time")
		}
	}
	close(release)
}

// TestTryLock: the janitor's turn is refused while a request holds or
// waits for an upload, and a request that comes during the janitor's turn
// waits for it.
func TestTryLock(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	held := make(chan struct{})
	go func() {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/up1", nil))
		close(held)
	}()
	<-entered
	if _, ok := s.TryLock("/up1"); ok {
		t.Fatal("TryLock took an upload a request holds")
	}
	unlock, ok := s.TryLock("/up2")
	if !ok {
		t.Fatal("TryLock refused an idle upload")
	}
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodHead, "/up2", nil))
		close(done)
	}()
	select {
	case <-entered:
		t.Fatal("a request ran during the janitor's turn")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	<-entered
	release <- struct{}{}
	release <- struct{}{}
	<-done
	<-held // both requests have ended, not only answered
	if _, ok := s.TryLock("/up1"); !ok {
		t.Fatal("TryLock refused after the requests ended")
	}
}
