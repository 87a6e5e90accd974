package hub

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"testing"
)

// TestUploadOwnership: an agent cannot look at, append to or delete
// another agent's upload.
func TestUploadOwnership(t *testing.T) {
	_, base, _ := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), randomBytes(t, 1000), recMeta())
	if err != nil {
		t.Fatal(err)
	}
	loc, resp, _, err := newTusClient(base, "t-ada").create(ctx, f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v", err, resp)
	}
	grace := newTusClient(base, "t-grace")
	for _, m := range []string{http.MethodHead, http.MethodPatch, http.MethodDelete} {
		resp, b, err := grace.do(ctx, m, loc, nil, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
		if err != nil {
			t.Fatal(err)
		}
		var e APIError
		if resp.StatusCode != http.StatusForbidden || (m != http.MethodHead && (json.Unmarshal(b, &e) != nil || e.Error.Code != APIErrForbidden)) {
			t.Fatalf("%s by another agent: %d %s, want 403 forbidden", m, resp.StatusCode, b)
		}
	}
	if off, st, err := newTusClient(base, "t-ada").head(ctx, loc); err != nil || st != http.StatusOK || off != 0 {
		t.Fatalf("owner's HEAD: %d %d %v", off, st, err)
	}
}

// TestRecoverCompleteUploads_R_V10: a hub killed after the last byte was
// written but before the file was stored finishes the upload when it
// starts again: good bytes are stored (verify confirms), bad ones dropped,
// unfinished uploads left to resume.
func TestRecoverCompleteUploads_R_V10(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, func(c *Config) { c.Store.Dir = dir })
	s := New(cfg, nil)
	if err := s.OpenStore(); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	ctx := testCtx(t, wait)
	c := newTusClient(ts.URL, "t-ada")
	type upl struct {
		f       *testFile
		loc     string
		written []byte // what the "killed" hub had on disk
	}
	mk := func(name string, write func(data []byte) []byte) upl {
		data := randomBytes(t, 50<<10)
		f, err := newTestFile(filepath.Join(t.TempDir(), name), data, map[string]string{MetaFilename: name + ".webm"})
		if err != nil {
			t.Fatal(err)
		}
		loc, resp, _, err := c.create(ctx, f.size, f.meta)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %v %v", err, resp)
		}
		u := upl{f: f, loc: loc, written: write(data)}
		if err := os.WriteFile(filepath.Join(dir, "uploads", path.Base(loc)), u.written, 0o600); err != nil {
			t.Fatal(err)
		}
		return u
	}
	good := mk("good", func(d []byte) []byte { return d })
	bad := mk("bad", func(d []byte) []byte { b := append([]byte(nil), d...); b[7] ^= 1; return b })
	half := mk("half", func(d []byte) []byte { return d[:len(d)/2] })
	ts.Close()
	s.Close()
	s.CloseStore()

	s2 := New(cfg, nil)
	if err := s2.OpenStore(); err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(s2.Handler())
	t.Cleanup(func() { ts2.Close(); s2.Close(); s2.CloseStore() })
	c2 := newTusClient(ts2.URL, "t-ada")
	// The old upload URLs name the old port: ask by path on the new hub.
	at := func(u upl) string { return ts2.URL + "/v1/uploads/" + path.Base(u.loc) }
	if _, st, _ := c2.head(ctx, at(good)); st != http.StatusNotFound {
		t.Fatalf("good upload still there: %d", st)
	}
	if v, st, _ := c2.verify(ctx, good.f.sha); st != http.StatusOK || v.Name != "good.webm" {
		t.Fatalf("good upload not stored: %d %+v", st, v)
	}
	if _, st, _ := c2.head(ctx, at(bad)); st != http.StatusNotFound {
		t.Fatalf("bad upload still there: %d", st)
	}
	if _, st, _ := c2.verify(ctx, bad.f.sha); st != http.StatusNotFound {
		t.Fatalf("bad upload stored: %d", st)
	}
	if off, st, _ := c2.head(ctx, at(half)); st != http.StatusOK || off != int64(len(half.written)) {
		t.Fatalf("half upload: %d offset %d, want 200 at %d", st, off, len(half.written))
	}
	if got := storedFiles(t, dir); len(got) != 1 || got[0] != "good.webm" {
		t.Fatalf("stored %v", got)
	}
}
