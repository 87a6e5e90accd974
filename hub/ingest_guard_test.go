package hub

import (
	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session/upload"

	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// TestUploadOwnership: an agent cannot look at, append to or delete
// another agent's upload, and is told exactly what an unknown upload
// gets: 404 no_such_upload (issue 10, point 7). The hostile-client suite
// runs the same through X-HTTP-Method-Override against a real chathub.
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
	unknown := base + "/v1/uploads/0123456789abcdef0123456789abcdef"
	for _, m := range []string{http.MethodHead, http.MethodPatch, http.MethodDelete} {
		hdr := map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
		resp, b, err := grace.do(ctx, m, loc, nil, hdr)
		if err != nil {
			t.Fatal(err)
		}
		uresp, ub, err := grace.do(ctx, m, unknown, nil, hdr)
		if err != nil {
			t.Fatal(err)
		}
		var e api.Error
		if resp.StatusCode != http.StatusNotFound || (m != http.MethodHead && (json.Unmarshal(b, &e) != nil || e.Error.Code != api.ErrNoSuchUpload)) {
			t.Fatalf("%s by another agent: %d %s, want 404 no_such_upload", m, resp.StatusCode, b)
		}
		if uresp.StatusCode != resp.StatusCode || !bytes.Equal(ub, b) {
			t.Fatalf("%s: another's upload answers %d %q, an unknown one %d %q: existence leaks", m, resp.StatusCode, b, uresp.StatusCode, ub)
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
	s := newHub(t, cfg)
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
		f, err := newTestFile(filepath.Join(t.TempDir(), name), data, map[string]string{upload.MetaFilename: name + ".webm"})
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

	s2 := newHub(t, cfg)
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

// TestExpireIdleUploads: an unfinished upload untouched for longer than
// store.partial_expiry is deleted; a fresh one, a complete one and one a
// request holds are kept. The desktop that comes back with the expired
// upload's URL sends the whole file again and it is stored: nothing
// recorded is lost (R-V10).
func TestExpireIdleUploads(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, func(c *Config) { c.Store.Dir = dir })
	if cfg.Store.PartialExpiry != DefaultPartialExpiry {
		t.Fatalf("partial_expiry default %s, want %s", cfg.Store.PartialExpiry, DefaultPartialExpiry)
	}
	s := newHub(t, cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close(); s.CloseStore() })
	ctx := testCtx(t, wait)
	c := newTusClient(ts.URL, "t-ada")
	week := 7 * 24 * time.Hour
	old := time.Now().Add(-week - time.Hour)
	type upl struct {
		f    *testFile
		loc  string
		data []byte
		have int64
	}
	// mk creates an upload holding its first `have` bytes, last written at `at`.
	mk := func(name string, have int, at time.Time) upl {
		data := randomBytes(t, 64<<10)
		f, err := newTestFile(filepath.Join(t.TempDir(), name), data, map[string]string{upload.MetaFilename: name + ".webm"})
		if err != nil {
			t.Fatal(err)
		}
		loc, resp, _, err := c.create(ctx, f.size, f.meta)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %v %v", name, err, resp)
		}
		if have > 0 {
			if resp, _, err := c.patch(ctx, loc, 0, int64(have), bytes.NewReader(data[:have])); err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("patch %s: %v %v", name, err, resp)
			}
		}
		bin := filepath.Join(dir, "uploads", path.Base(loc))
		if err := os.Chtimes(bin, at, at); err != nil {
			t.Fatal(err)
		}
		return upl{f, loc, data, int64(have)}
	}
	stale := mk("stale", 1000, old)
	empty := mk("empty", 0, old)
	fresh := mk("fresh", 2000, time.Now().Add(-time.Hour))
	held := mk("held", 3000, old)

	// A request holds the held upload: a PATCH that sent a few bytes and
	// waits for more. Its file is made to look old again, so only the
	// request's hold keeps it.
	pr, pw := io.Pipe()
	patched := make(chan struct{})
	go func() {
		defer close(patched)
		c.patch(ctx, held.loc, held.have, 10, pr)
	}()
	heldBin := filepath.Join(dir, "uploads", path.Base(held.loc))
	if _, err := pw.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	for fi, _ := os.Stat(heldBin); fi == nil || fi.Size() < held.have+3; fi, _ = os.Stat(heldBin) {
		if ctx.Err() != nil {
			t.Fatal("the held PATCH's bytes never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.Chtimes(heldBin, old, old); err != nil {
		t.Fatal(err)
	}
	if n := s.in.ExpireUploads(ctx, time.Now(), week); n != 2 {
		t.Fatalf("expired %d uploads, want 2 (stale and empty)", n)
	}
	pw.CloseWithError(errors.New("the desktop went away")) // the request ends
	<-patched
	held.have += 3
	for _, u := range []upl{stale, empty} {
		if _, st, _ := c.head(ctx, u.loc); st != http.StatusNotFound {
			t.Fatalf("%s: HEAD %d after expiry, want 404", u.f.meta[upload.MetaFilename], st)
		}
	}
	for _, u := range []upl{fresh, held} {
		if off, st, _ := c.head(ctx, u.loc); st != http.StatusOK || off != u.have {
			t.Fatalf("%s: HEAD %d offset %d, want 200 at %d", u.f.meta[upload.MetaFilename], st, off, u.have)
		}
	}
	if err := os.Chtimes(heldBin, old, old); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < 100 && n == 0; i++ { // the lock goes when tusd's handler returns
		n = s.in.ExpireUploads(ctx, time.Now(), week)
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n != 1 {
		t.Fatalf("second pass expired %d, want 1 (held, now released)", n)
	}

	// The desktop comes back with the stale upload's URL: a new upload, from byte 0.
	sink, err := hubsink.New(ts.URL, "t-ada", hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	item := uploader.Item{ID: "q1", Name: "stale.webm", Size: stale.f.size, SHA256: stale.f.sha, Resume: stale.loc,
		Manifest:   uploader.Manifest{Version: 1, Recording: "r1", Interaction: "c-stale", Agent: "ada"},
		SaveResume: func(string) error { return nil }, Stored: func(id string) { stored = id }}
	if err := sink.Put(ctx, item, bytes.NewReader(stale.data), nil); err != nil || stored == "" {
		t.Fatalf("Put after expiry: %v (stored %q)", err, stored)
	}
	if v, st, _ := c.verify(ctx, stale.f.sha); st != http.StatusOK || v.Name != "stale.webm" {
		t.Fatalf("verify after the new upload: %d %+v", st, v)
	}
}

// TestDedupePerOwner (issue 10, points 6 and 7): two agents upload the
// same bytes; each gets a file of their own that they can fetch, and
// verify answers each with their own file and nobody else with either.
func TestDedupePerOwner(t *testing.T) {
	_, base, _ := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	data := randomBytes(t, 4000)
	ada := uploadFile(t, ctx, base, "t-ada", "same.webm", data)
	grace := uploadFile(t, ctx, base, "t-grace", "same.webm", data)
	if ada == grace {
		t.Fatalf("grace was handed ada's file %s", ada)
	}
	again := uploadFile(t, ctx, base, "t-ada", "same.webm", data)
	if again != ada {
		t.Fatalf("ada's own re-upload got %s, want her file %s", again, ada)
	}
	for tok, id := range map[string]string{"t-ada": ada, "t-grace": grace} {
		if st, b, _ := getFile(t, base, id, "", tok, nil); st != http.StatusOK || !bytes.Equal(b, data) {
			t.Fatalf("%s fetches their own file %s: %d", tok, id, st)
		}
		sum := sha256.Sum256(data)
		v, st, err := newTusClient(base, tok).verify(ctx, hex.EncodeToString(sum[:]))
		if err != nil || st != http.StatusOK || v.ID != id {
			t.Fatalf("%s verify: %d %+v %v, want their own %s", tok, st, v, err, id)
		}
	}
	sum := sha256.Sum256(data)
	if _, st, _ := newTusClient(base, "t-alan").verify(ctx, hex.EncodeToString(sum[:])); st != http.StatusNotFound {
		t.Fatalf("alan verifies others' bytes: %d, want 404", st)
	}
}

// TestOverrideWaitsItsTurn (issue 10, point 1): a PATCH asked for
// through X-HTTP-Method-Override runs in its upload's turn like a PATCH:
// while one PATCH holds the upload, the overridden one waits for it and
// then goes on from the offset the first reached. (Before, a POST passed
// the serialisation: tusd handed the upload over, stopping the first
// PATCH midway, and the second was refused for its offset.)
func TestOverrideWaitsItsTurn(t *testing.T) {
	_, base, dir := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	ada := newTusClient(base, "t-ada")
	data := randomBytes(t, 64<<10)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, recMeta())
	if err != nil {
		t.Fatal(err)
	}
	loc, resp, _, err := ada.create(ctx, f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v", err, resp)
	}
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		resp, _, err := ada.patch(ctx, loc, 0, 1000, pr)
		if err != nil {
			first <- -1
			return
		}
		first <- resp.StatusCode
	}()
	if _, err := pw.Write(data[:500]); err != nil {
		t.Fatal(err)
	}
	// Its bytes are on disk: the PATCH is in tusd, holding the upload's turn.
	bin := filepath.Join(dir, "uploads", path.Base(loc))
	for fi, _ := os.Stat(bin); fi == nil || fi.Size() < 500; fi, _ = os.Stat(bin) {
		if ctx.Err() != nil {
			t.Fatal("the first PATCH's bytes never arrived")
		}
		time.Sleep(2 * time.Millisecond)
	}
	second := make(chan *http.Response, 1)
	go func() {
		resp, b, err := ada.do(ctx, http.MethodPost, loc, bytes.NewReader(data[1000:]), map[string]string{
			"X-HTTP-Method-Override": http.MethodPatch, "Upload-Offset": "1000",
			"Content-Type": "application/offset+octet-stream", "Content-Length": strconv.Itoa(len(data) - 1000)})
		if err != nil {
			t.Errorf("the overridden PATCH: %v %s", err, b)
		}
		second <- resp
	}()
	select {
	case resp := <-second:
		t.Fatalf("the overridden PATCH ran (%v) while another PATCH held the upload", resp)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := pw.Write(data[500:1000]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if st := <-first; st != http.StatusNoContent {
		t.Fatalf("the first PATCH: %d", st)
	}
	resp = <-second
	if resp == nil || resp.StatusCode != http.StatusNoContent || resp.Header.Get(upload.HeaderStored) == "" {
		t.Fatalf("the overridden PATCH after the first: %v", resp)
	}
}
