package ingest

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

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
// Authorization: Bearer or ?access_token= (for <video src>, where a
// browser cannot send the header). Anyone else gets the 404 an unknown id
// gets: a file's existence does not leak (issue 10). With ?decrypt=1 an
// age-encrypted file is decrypted with the hub's identity, for supervisors
// only: the agent who uploaded a recording gets its sealed bytes, never
// the plaintext. Decryption streams: only the 64 KiB chunks a range needs
// are read and opened, nothing is written to disk, and a client that
// takes nothing for the stall timeout is cut off.
func (in *Ingest) serveFile(w http.ResponseWriter, r *http.Request) {
	c, ok := in.tokens.FromRequest(r, true)
	if !ok {
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "files need a supervisor API token or the uploading agent's token (Authorization: Bearer, or ?access_token= where a browser cannot send it)")
		return
	}
	id := r.PathValue("id")
	f, err := in.index.File(r.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		api.WriteError(w, http.StatusInternalServerError, api.ErrInternal, "the store's index cannot be read just now")
		in.log.Error("file index", "err", err)
		return
	}
	access := in.access
	if access == nil {
		access = defaultAccess
	}
	var see, mayDecrypt bool
	if err == nil {
		see, mayDecrypt = access(c, f)
	}
	if !see {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no stored file has id %q", id)
		return
	}
	decrypt := r.URL.Query().Get("decrypt") == "1" && f.Encrypted
	if decrypt && !mayDecrypt {
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "you may not have the hub decrypt file %s; the sealed file is served without decrypt=1", f.ID)
		return
	}
	if !in.takeSlot(w) {
		return
	}
	defer in.giveSlot()
	src, err := os.Open(in.path(f))
	if err != nil {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "file %s is indexed but missing on disk", f.ID)
		return
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		api.WriteError(w, http.StatusInternalServerError, api.ErrInternal, "cannot read file %s", f.ID)
		return
	}
	var content io.ReadSeeker = src
	name := f.Name
	if decrypt {
		if len(in.ids) == 0 {
			api.WriteError(w, http.StatusConflict, api.ErrNoIdentity, "the hub holds no age identity (store.identity_file) to decrypt file %s", f.ID)
			return
		}
		plain, size, err := age.DecryptReaderAt(src, fi.Size(), in.ids...)
		if err != nil {
			api.WriteError(w, http.StatusConflict, api.ErrCannotDecrypt, "cannot decrypt file %s: %v", f.ID, err)
			return
		}
		content, name = io.NewSectionReader(plain, 0, size), strings.TrimSuffix(name, ".age")
	}
	w.Header().Set("Content-Type", contentType(name))
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(stallWriter(w, in.stall), r, "", fi.ModTime(), content)
}

// stallWriter gives each write to w a deadline of d from when it starts:
// a client that takes nothing for d is cut off (a fixed write timeout
// would cut off a long download that is moving).
func stallWriter(w http.ResponseWriter, d time.Duration) http.ResponseWriter {
	if d <= 0 {
		return w
	}
	return &stalled{ResponseWriter: w, rc: http.NewResponseController(w), d: d}
}

type stalled struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (s *stalled) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.d))
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *stalled) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".webm"):
		return "video/webm"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	}
	return "application/octet-stream"
}
