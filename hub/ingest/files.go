package ingest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session/upload"
)

// serveVerify answers whether a file with the checksum is stored (agent
// token): 200 Verified, 404 when not, 400 for a malformed checksum.
func (in *Ingest) serveVerify(w http.ResponseWriter, r *http.Request) {
	c, ok := in.tokens.FromRequest(r, false)
	if !ok || !c.Agent() {
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "verify needs Authorization: Bearer <agent token>")
		return
	}
	raw := strings.TrimPrefix(r.URL.Path, upload.VerifyPath)
	sha := strings.ToLower(raw)
	if !isSHA256(sha) {
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%q is not a SHA-256 (64 hex digits)", raw)
		return
	}
	f, err := in.index.FileBySHA(r.Context(), sha, c.ID) // only the caller's own files
	if err == nil {
		if fi, serr := os.Stat(in.path(f)); serr != nil || fi.Size() != f.Size {
			err = store.ErrNotFound // indexed but not (wholly) on disk: not a confirmation
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no stored file has sha256 %s", sha)
	case err != nil:
		api.WriteError(w, http.StatusInternalServerError, api.ErrInternal, "index: %v", err)
	default:
		api.WriteJSON(w, http.StatusOK, upload.Verified{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size})
	}
}

// path is a stored file's place on disk.
func (in *Ingest) path(f store.File) string {
	return filepath.Join(in.files, filepath.FromSlash(f.Path))
}

// serveFile serves a stored file's bytes (Range supported) to a supervisor
// API token or the agent who uploaded it; the token may come as
// Authorization: Bearer or ?access_token= (for <video src>). With
// ?decrypt=1 an age-encrypted file is decrypted with the hub's identity.
func (in *Ingest) serveFile(w http.ResponseWriter, r *http.Request) {
	c, ok := in.tokens.FromRequest(r, true)
	if !ok {
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "files need a supervisor API token or the uploading agent's token (Authorization: Bearer or ?access_token=)")
		return
	}
	f, err := in.index.File(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no stored file has id %q", r.PathValue("id"))
		return
	}
	if err != nil {
		api.WriteError(w, http.StatusInternalServerError, api.ErrInternal, "index: %v", err)
		return
	}
	if !c.Supervisor() && (!c.Agent() || c.ID != f.Agent) {
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "only supervisors and the agent who uploaded it may fetch file %s", f.ID)
		return
	}
	src, err := os.Open(in.path(f))
	if err != nil {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "file %s is indexed but missing on disk", f.ID)
		return
	}
	defer src.Close()
	name := f.Name
	if r.URL.Query().Get("decrypt") == "1" && f.Encrypted {
		plain, err := in.decrypt(r.Context(), src)
		if err != nil {
			if errors.Is(err, errNoIdentity) {
				api.WriteError(w, http.StatusConflict, api.ErrNoIdentity, "the hub holds no age identity (store.identity_file) to decrypt file %s", f.ID)
			} else {
				api.WriteError(w, http.StatusConflict, api.ErrCannotDecrypt, "cannot decrypt file %s: %v", f.ID, err)
			}
			return
		}
		defer func() { plain.Close(); os.Remove(plain.Name()) }()
		src, name = plain, strings.TrimSuffix(name, ".age")
	}
	w.Header().Set("Content-Type", contentType(name))
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	fi, _ := src.Stat()
	http.ServeContent(w, r, "", fi.ModTime(), src)
}

var errNoIdentity = errors.New("hub: no age identity")

// decrypt writes src decrypted into a temp file under tmp/ and returns it
// rewound; the caller closes and removes it.
func (in *Ingest) decrypt(ctx context.Context, src io.Reader) (*os.File, error) {
	if len(in.ids) == 0 {
		return nil, errNoIdentity
	}
	dec, err := age.Decrypt(src, in.ids...)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(in.tmp, "play-*")
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(tmp, ctxReader{ctx, dec})
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

// ctxReader stops a long copy when the request is gone.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".webm"):
		return "video/webm"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	}
	return "application/octet-stream"
}
