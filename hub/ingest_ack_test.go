package hub

import (
	"github.com/agentdesk/agentdesk/session/upload"

	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// dropAck cuts the connection instead of sending the first acknowledgement
// of a stored upload: the hub stored it, the client never heard.
type dropAck struct {
	http.ResponseWriter
	dropped *atomic.Bool
	cut     bool
}

func (d *dropAck) WriteHeader(code int) {
	if d.Header().Get(upload.HeaderStored) != "" && d.dropped.CompareAndSwap(false, true) {
		if conn, _, err := http.NewResponseController(d.ResponseWriter).Hijack(); err == nil {
			conn.Close()
			d.cut = true
			return
		}
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *dropAck) Write(p []byte) (int, error) {
	if d.cut {
		return 0, http.ErrHijacked
	}
	return d.ResponseWriter.Write(p)
}

func (d *dropAck) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// TestLostAcknowledgement_R_V10: the hub stores a file but the 204 never
// reaches the client; the client's HEAD finds the upload gone, verify
// confirms the checksum, and the file is stored exactly once.
func TestLostAcknowledgement_R_V10(t *testing.T) {
	dir := t.TempDir()
	s := newHub(t, testConfig(t, func(c *Config) { c.Store.Dir = dir }))
	var dropped atomic.Bool
	h := s.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&dropAck{ResponseWriter: w, dropped: &dropped}, r)
	}))
	t.Cleanup(func() { s.Close(); ts.Close(); s.CloseStore() })
	ctx := testCtx(t, wait)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), randomBytes(t, 200<<10), recMeta())
	if err != nil {
		t.Fatal(err)
	}
	id, err := newTusClient(ts.URL, "t-ada").send(ctx, f, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !dropped.Load() || len(f.failures) != 1 || !strings.Contains(f.failures[0], "patch:") || len(f.resumes) != 0 {
		t.Fatalf("dropped %v, failures %q, resent from %v: want the one lost acknowledgement, confirmed by verify without resending",
			dropped.Load(), f.failures, f.resumes)
	}
	all, err := s.Store().SearchFiles(ctx, store.FileFilter{})
	if err != nil || len(all) != 1 || all[0].ID != id || all[0].SHA256 != f.sha {
		t.Fatalf("indexed %+v %v; want the one file %s", all, err, id)
	}
	if got := storedFiles(t, dir); len(got) != 1 {
		t.Fatalf("on disk %v", got)
	}
}
