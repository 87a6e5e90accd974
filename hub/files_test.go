package hub

import (
	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session/upload"

	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"
)

// ageFile encrypts plain to id's recipient.
func ageFile(t *testing.T, id *age.X25519Identity, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// identityFile writes a fresh age identity to a file and returns both.
func identityFile(t *testing.T) (*age.X25519Identity, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "store.key")
	if err := os.WriteFile(path, []byte("# the store's identity\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return id, path
}

// uploadFile stores data as agent through tus and returns the stored id.
func uploadFile(t *testing.T, ctx context.Context, base, token, name string, data []byte) string {
	t.Helper()
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, map[string]string{upload.MetaFilename: name, upload.MetaInteraction: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := newTusClient(base, token).send(ctx, f, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFileAccess_R_V5_R_V8: stored files go to supervisors and to the
// agent who uploaded them; other agents get 403, flows 403, strangers 401,
// unknown ids 404, each a JSON error.
func TestFileAccess_R_V5_R_V8(t *testing.T) {
	_, base, _ := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	data := []byte("a recording's bytes")
	id := uploadFile(t, ctx, base, "t-ada", "r.webm", data)
	for _, tc := range []struct {
		name, id, query, token string
		status                 int
		code                   string
	}{
		{"uploader", id, "", "t-ada", 200, ""},
		{"supervisor", id, "", "t-sue", 200, ""},
		{"access_token query", id, "?access_token=t-sue", "", 200, ""},
		{"other agent", id, "", "t-grace", 403, api.ErrForbidden},
		{"flow token", id, "", "t-ivr", 403, api.ErrForbidden},
		{"no token", id, "", "", 401, api.ErrUnauthorized},
		{"bad token", id, "", "nope", 401, api.ErrUnauthorized},
		{"unknown id", "0123456789abcdef", "", "t-sue", 404, api.ErrNoSuchFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, b, h := getFile(t, base, tc.id, tc.query, tc.token, nil)
			if st != tc.status {
				t.Fatalf("status %d %s, want %d", st, b, tc.status)
			}
			if tc.code == "" {
				if string(b) != string(data) || h.Get("Content-Type") != "video/webm" {
					t.Fatalf("body %q type %q", b, h.Get("Content-Type"))
				}
				return
			}
			var e api.Error
			if err := json.Unmarshal(b, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("error body %s, want code %s", b, tc.code)
			}
		})
	}
}

// TestFileDecrypt: ?decrypt=1 opens an age-encrypted recording with the
// hub's identity (video/webm, Range served); without an identity, or with
// the wrong one, it is a 409 in words; without decrypt=1 the sealed bytes
// are served.
func TestFileDecrypt(t *testing.T) {
	id, keyPath := identityFile(t)
	plain := bytes.Repeat([]byte("webm!"), 20000)
	sealed := ageFile(t, id, plain)

	_, base, _ := startStoreHub(t, func(c *Config) { c.Store.IdentityFile = keyPath })
	ctx := testCtx(t, wait)
	fid := uploadFile(t, ctx, base, "t-ada", "r.webm.age", sealed)
	st, b, h := getFile(t, base, fid, "?decrypt=1", "t-sue", nil)
	if st != 200 || !bytes.Equal(b, plain) || h.Get("Content-Type") != "video/webm" || h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("decrypt: %d, %d bytes, type %q", st, len(b), h.Get("Content-Type"))
	}
	st, b, h = getFile(t, base, fid, "?decrypt=1", "t-sue", map[string]string{"Range": "bytes=5-9"})
	if st != http.StatusPartialContent || string(b) != "webm!" || h.Get("Content-Range") != "bytes 5-9/100000" {
		t.Fatalf("range: %d %q %q", st, b, h.Get("Content-Range"))
	}
	if st, b, _ = getFile(t, base, fid, "", "t-sue", nil); st != 200 || !bytes.Equal(b, sealed) {
		t.Fatalf("sealed: %d %d bytes", st, len(b))
	}

	other, _ := age.GenerateX25519Identity()
	fid2 := uploadFile(t, ctx, base, "t-ada", "other.webm.age", ageFile(t, other, plain))
	st, b, _ = getFile(t, base, fid2, "?decrypt=1", "t-sue", nil)
	var e api.Error
	if json.Unmarshal(b, &e); st != http.StatusConflict || e.Error.Code != api.ErrCannotDecrypt {
		t.Fatalf("wrong identity: %d %s", st, b)
	}

	_, base2, dir2 := startStoreHub(t, nil)
	fid3 := uploadFile(t, ctx, base2, "t-ada", "r.webm.age", sealed)
	st, b, _ = getFile(t, base2, fid3, "?decrypt=1", "t-ada", nil)
	if json.Unmarshal(b, &e); st != http.StatusConflict || e.Error.Code != api.ErrNoIdentity {
		t.Fatalf("no identity: %d %s", st, b)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir2, "tmp")); len(ents) != 0 {
		t.Fatalf("tmp/ keeps %d decrypted copies", len(ents))
	}
}
