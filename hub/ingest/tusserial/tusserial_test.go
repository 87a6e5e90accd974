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
