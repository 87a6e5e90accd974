package hub

import (
	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session/upload"

	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// startStoreHub runs a hub with a store in a temp dir; it returns the
// server, its http:// base and the store dir.
func startStoreHub(t *testing.T, mutate func(*Config)) (*Server, string, string) {
	t.Helper()
	dir := t.TempDir()
	s := newHub(t, testConfig(t, func(c *Config) {
		c.Store.Dir = dir
		if mutate != nil {
			mutate(c)
		}
	}))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close(); s.CloseStore() })
	return s, ts.URL, s.cfg.Store.Dir
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// testCtx bounds one test's uploads.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

const fileName = "2026-11-21_090507_general_ada_c-42_record_r1.webm.age"

func recMeta() map[string]string {
	return map[string]string{upload.MetaFilename: fileName, upload.MetaRecording: "r1", upload.MetaInteraction: "c-42", upload.MetaAgent: "ada",
		upload.MetaManifest: `{"version":1,"recording":"r1","interaction":"c-42","agent":"ada","customer":"Bea","queue":"general",` +
			`"kind":"record","disposition":"Resolved","partitions":["sales"],"metadata":{"case":"77"},"encrypted":true}`}
}

// storedFiles lists the files under files/ of a store dir, relative.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dir, "files")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// getFile fetches /v1/files/{id}{query} with token.
func getFile(t *testing.T, base, id, query, token string, hdr map[string]string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/files/"+id+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestUploadStoredAndIndexed_R_V10_R_G2: a tus upload is acknowledged with
// its stored id, lands under the dest sub-folder with the template name,
// is indexed with the manifest's metadata, confirmed by verify, and served
// back byte for byte to its agent and a supervisor.
func TestUploadStoredAndIndexed_R_V10_R_G2(t *testing.T) {
	s, base, dir := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	data := randomBytes(t, 300<<10)
	meta := recMeta()
	meta[upload.MetaDest] = "billing-archive"
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, meta)
	if err != nil {
		t.Fatal(err)
	}
	c := newTusClient(base, "t-ada")
	if v, st, _ := c.verify(ctx, f.sha); st != http.StatusNotFound {
		t.Fatalf("verify before upload: %d %+v", st, v)
	}
	id, err := c.send(ctx, f, 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := storedFiles(t, dir); len(got) != 1 || got[0] != "billing-archive/"+fileName {
		t.Fatalf("stored %v", got)
	}
	rec, err := s.Store().File(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SHA256 != f.sha || rec.Size != f.size || rec.Agent != "ada" || rec.Interaction != "c-42" || rec.Recording != "r1" ||
		rec.Customer != "Bea" || rec.Queue != "general" || rec.Kind != "record" || rec.Disposition != "Resolved" ||
		!rec.Encrypted || len(rec.Partitions) != 1 || string(rec.Metadata) != `{"case":"77"}` || rec.Path != "billing-archive/"+fileName {
		t.Fatalf("indexed %+v", rec)
	}
	v, st, err := c.verify(ctx, strings.ToUpper(f.sha))
	if err != nil || st != http.StatusOK || v.ID != id || v.Size != f.size || v.Name != fileName || v.SHA256 != f.sha {
		t.Fatalf("verify: %d %+v %v", st, v, err)
	}
	for _, tok := range []string{"t-ada", "t-sue"} {
		st, b, h := getFile(t, base, id, "", tok, nil)
		if st != http.StatusOK || string(b) != string(data) {
			t.Fatalf("GET as %s: %d, %d bytes", tok, st, len(b))
		}
		if h.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("content type %q", h.Get("Content-Type"))
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "uploads")); len(ents) != 0 {
		t.Fatalf("uploads/ keeps %d entries after the upload was stored", len(ents))
	}
}

// TestChecksumMismatch_R_V10: bytes that do not hash to the declared
// sha256 are refused with 460 "checksum mismatch", the upload is gone,
// nothing is stored; the same file sent right is stored.
func TestChecksumMismatch_R_V10(t *testing.T) {
	s, base, dir := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	data := randomBytes(t, 64<<10)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, recMeta())
	if err != nil {
		t.Fatal(err)
	}
	c := newTusClient(base, "t-ada")
	loc, resp, b, err := c.create(ctx, f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v %s", err, resp, b)
	}
	bad := append([]byte(nil), data...)
	bad[1000] ^= 0xff // corrupted in transit
	resp, b, err = c.patch(ctx, loc, 0, f.size, strings.NewReader(string(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != upload.StatusChecksumMismatch || string(b) != "checksum mismatch" {
		t.Fatalf("corrupted PATCH: %d %q, want 460 checksum mismatch", resp.StatusCode, b)
	}
	if _, st, _ := c.head(ctx, loc); st != http.StatusNotFound {
		t.Fatalf("HEAD of the refused upload: %d, want 404 (terminated)", st)
	}
	if got := storedFiles(t, dir); len(got) != 0 {
		t.Fatalf("stored after mismatch: %v", got)
	}
	if _, st, _ := c.verify(ctx, f.sha); st != http.StatusNotFound {
		t.Fatalf("verify after mismatch: %d", st)
	}
	// A client whose bytes go bad once starts again at 0 and gets through.
	n := 0
	id, err := c.send(ctx, f, time.Millisecond, func(r io.Reader) io.Reader {
		if n++; n == 1 {
			return corrupt{r}
		}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.failures) != 1 || !strings.Contains(f.failures[0], "460 checksum mismatch") || len(f.resumes) != 1 || f.resumes[0] != 0 {
		t.Fatalf("failures %q resumes %v; want one 460 and a restart at 0", f.failures, f.resumes)
	}
	if got, err := s.Store().File(ctx, id); err != nil || got.SHA256 != f.sha {
		t.Fatalf("stored %+v %v", got, err)
	}
}

// corrupt flips the first byte it reads.
type corrupt struct{ r io.Reader }

func (c corrupt) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		p[0] ^= 0xff
	}
	return n, err
}

// TestUploadAuth: every upload route wants an agent token (401 JSON
// otherwise); supervisors' API tokens cannot upload.
func TestUploadAuth(t *testing.T) {
	_, base, _ := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	good := newTusClient(base, "t-ada")
	loc, resp, _, err := good.create(ctx, 10, map[string]string{upload.MetaFilename: "x", upload.MetaSHA256: strings.Repeat("a", 64)})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v", err, resp)
	}
	for _, tok := range []string{"", "nope", "t-sue"} {
		c := newTusClient(base, tok)
		for _, tc := range []struct {
			method, url string
		}{
			{http.MethodPost, base + "/v1/uploads/"}, {http.MethodHead, loc}, {http.MethodPatch, loc},
			{http.MethodDelete, loc}, {http.MethodGet, base + "/v1/uploads/verify/" + strings.Repeat("a", 64)},
		} {
			resp, b, err := c.do(ctx, tc.method, tc.url, nil, map[string]string{"Upload-Length": "10", "Upload-Offset": "0",
				"Content-Type": "application/offset+octet-stream"})
			if err != nil {
				t.Fatal(err)
			}
			var e api.Error
			if resp.StatusCode != http.StatusUnauthorized || (tc.method != http.MethodHead && (json.Unmarshal(b, &e) != nil || e.Error.Code != api.ErrUnauthorized)) {
				t.Fatalf("%s %s with token %q: %d %s, want 401 unauthorized", tc.method, tc.url, tok, resp.StatusCode, b)
			}
		}
	}
	if off, st, err := good.head(ctx, loc); err != nil || st != http.StatusOK || off != 0 {
		t.Fatalf("the agent's HEAD: %d %d %v", off, st, err)
	}
	resp, _, err = good.do(ctx, http.MethodDelete, loc, nil, nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("termination: %v %v", err, resp)
	}
	if _, st, _ := good.head(ctx, loc); st != http.StatusNotFound {
		t.Fatalf("HEAD after DELETE: %d", st)
	}
}

// TestUploadRefusedAtCreation: metadata that breaks the contract and
// uploads over store.max_upload_bytes are refused before any byte.
func TestUploadRefusedAtCreation(t *testing.T) {
	_, base, _ := startStoreHub(t, func(c *Config) { c.Store.MaxUploadBytes = 1000 })
	ctx := testCtx(t, wait)
	sha := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name   string
		size   int64
		meta   map[string]string
		status int
		words  string
	}{
		{"no filename", 10, map[string]string{upload.MetaSHA256: sha}, 400, "filename"},
		{"bad sha", 10, map[string]string{upload.MetaFilename: "f", upload.MetaSHA256: "xyz"}, 400, "64 hex"},
		{"size differs", 10, map[string]string{upload.MetaFilename: "f", upload.MetaSHA256: sha, upload.MetaSize: "11"}, 400, "differs"},
		{"bad manifest", 10, map[string]string{upload.MetaFilename: "f", upload.MetaSHA256: sha, upload.MetaManifest: "{"}, 400, "manifest"},
		{"another agent's", 10, map[string]string{upload.MetaFilename: "f", upload.MetaSHA256: sha, upload.MetaAgent: "grace"}, 403, `"grace"`},
		{"too large", 2000, map[string]string{upload.MetaFilename: "f", upload.MetaSHA256: sha}, 413, "maximum size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, b, err := newTusClient(base, "t-ada").create(ctx, tc.size, tc.meta)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.words) {
				t.Fatalf("create: %d %q, want %d with %q", resp.StatusCode, b, tc.status, tc.words)
			}
		})
	}
}

// TestStoredNames_R_H4_R_G2: client names and dests are sanitised with
// session.FileName's rules (never a path out of the store), a taken name
// gets -2 before its extension, and the same bytes twice are stored once.
func TestStoredNames_R_H4_R_G2(t *testing.T) {
	s, base, dir := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	c := newTusClient(base, "t-ada")
	for _, tc := range []struct {
		name, filename, dest, want string
		same                       bool // the bytes of the previous case
	}{
		{"plain", fileName, "", fileName, false},
		{"taken", fileName, "", strings.Replace(fileName, ".webm.age", "-2.webm.age", 1), false},
		{"escape", "../../etc/passwd", "", "etc_passwd", false},
		{"dest escape", "a.webm", "../../tmp", "tmp/a.webm", false},
		{"dest slash", "b.webm", "x/y", "x_y/b.webm", false},
		{"hidden", ".hidden", ".uploads", "uploads/hidden", false},
		{"reserved", "CON.webm", "", "_CON.webm", false},
		{"same bytes again", "other.webm", "", "_CON.webm", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.same {
				prev := randomBytes(t, 1000)
				os.WriteFile(filepath.Join(dir, "..", "last"), prev, 0o600)
			}
			data, _ := os.ReadFile(filepath.Join(dir, "..", "last"))
			m := map[string]string{upload.MetaFilename: tc.filename, upload.MetaDest: tc.dest}
			f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, m)
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.send(ctx, f, time.Millisecond, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Store().File(ctx, id)
			if err != nil || got.Path != tc.want {
				t.Fatalf("stored at %q (%v), want %q", got.Path, err, tc.want)
			}
			b, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(got.Path)))
			if err != nil || string(b) != string(data) {
				t.Fatalf("stored bytes: %v", err)
			}
		})
	}
	if all, _ := s.Store().SearchFiles(ctx, store.FileFilter{}); len(all) != 7 {
		t.Fatalf("%d files indexed, want 7 (the repeat is the same file)", len(all))
	}
	if got := storedFiles(t, dir); len(got) != 7 {
		t.Fatalf("files on disk %v", got)
	}
}

// TestNoStore: a hub without store.dir says so on every store route.
func TestNoStore(t *testing.T) {
	s := newHub(t, testConfig(t, nil))
	if s.in != nil {
		t.Fatal("a hub without store.dir mounted the ingest")
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	for _, p := range []string{"/v1/uploads/", "/v1/uploads/verify/" + strings.Repeat("a", 64), "/v1/files/x"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var e api.Error
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || e.Error.Code != api.ErrNoStore || !strings.Contains(e.Error.Message, "store.dir") {
			t.Fatalf("%s: %d %+v", p, resp.StatusCode, e)
		}
	}
}

func TestOpenStoreErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "id.txt")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	for _, tc := range []struct {
		name  string
		sc    StoreConfig
		words string
	}{
		{"identity missing", StoreConfig{Dir: dir, IdentityFile: filepath.Join(dir, "nope")}, "identity_file"},
		{"identity garbage", StoreConfig{Dir: dir, IdentityFile: bad}, "AGE-SECRET-KEY"},
		{"dir is a file", StoreConfig{Dir: bad}, "store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(testConfig(t, func(c *Config) { c.Store = tc.sc }), Options{})
			if !errors.Is(err, ErrStore) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("Open: %v, want ErrStore with %q", err, tc.words)
			}
		})
	}
}
