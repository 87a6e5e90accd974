package ingest

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	root := in.files
	if !f.Archived.IsZero() {
		root = filepath.Join(in.dir, ArchiveDir)
	}
	return filepath.Join(root, filepath.FromSlash(f.Path))
}

// ArchiveDir is the store folder's sub-folder that retention moves
// archived files to (R-V6), under the path they had in files/.
const ArchiveDir = "archive"

// StoredPath is where the stored file f lies under the store folder dir:
// files/PATH, or archive/PATH once retention archived it.
func StoredPath(dir string, f store.File) string {
	if !f.Archived.IsZero() {
		return filepath.Join(dir, ArchiveDir, filepath.FromSlash(f.Path))
	}
	return filepath.Join(dir, "files", filepath.FromSlash(f.Path))
}

// serveFile serves a stored file's bytes (Range supported) to a supervisor
// API token or the agent who uploaded it; the token may come as
// Authorization: Bearer or ?access_token= (for <video src>, where a
// browser cannot send the header). Anyone else gets the 404 an unknown id
// gets: a file's existence does not leak (issue 10). With ?decrypt=1 an
// age-encrypted file is decrypted with the hub's identity, for supervisors
// only: the agent who uploaded a recording gets its sealed bytes, never
// the plaintext. ServeStored sends the bytes (Range, streaming
// decryption).
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
	logged := func(f store.File, decrypt bool, outcome string) {
		if in.logged != nil {
			in.logged(r, c, f, decrypt, outcome)
		}
	}
	if !see {
		logged(store.File{}, false, store.OutcomeNotFound)
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no stored file has id %q", id)
		return
	}
	decrypt := r.URL.Query().Get("decrypt") == "1" && f.Encrypted
	if decrypt && !mayDecrypt {
		logged(f, decrypt, store.OutcomeDenied)
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "you may not have the hub decrypt file %s; the sealed file is served without decrypt=1", f.ID)
		return
	}
	if decrypt && in.reason != nil && in.reason(c) && strings.TrimSpace(r.URL.Query().Get("reason")) == "" {
		logged(f, decrypt, store.OutcomeDenied)
		api.WriteError(w, http.StatusForbidden, api.ErrReasonRequired, "a %s gives a reason code to play a recording: add reason=… (it is kept with the access)", c.Role)
		return
	}
	logged(f, decrypt, store.OutcomeOK)
	in.ServeStored(w, r, f, decrypt)
}

// ServeStored streams the stored file f to w as r asks: the whole file,
// or the ranges of its Range header (one range as 206 with Content-Range,
// a suffix "bytes=-N", an open end "bytes=N-", several as
// multipart/byteranges; a range wholly past the end is 416 with
// Content-Range "bytes */size"); If-Range and HEAD as net/http's
// ServeContent answers them. The caller has decided that r may have the
// file: ServeStored checks no token. With decrypt and f age-encrypted, the
// plaintext is served, decrypted with the hub's identity (409 in words
// when the hub holds none, or not the right one). Decryption streams: the
// age header and the last 64 KiB chunk are read and opened to learn the
// size, then only the chunks a range covers, each once; nothing is written
// to disk (DecryptedBytes counts what was read to be opened). A client that
// takes nothing for the stall timeout is cut off; beyond MaxTransfers
// files in flight the answer is 503 busy.
func (in *Ingest) ServeStored(w http.ResponseWriter, r *http.Request, f store.File, decrypt bool) {
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
	if decrypt && f.Encrypted {
		if len(in.ids) == 0 {
			api.WriteError(w, http.StatusConflict, api.ErrNoIdentity, "the hub holds no age identity (store.identity_file) to decrypt file %s", f.ID)
			return
		}
		plain, size, err := age.DecryptReaderAt(countingReaderAt{src, &in.decrypted}, fi.Size(), in.ids...)
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

// DecryptedBytes is how many bytes of sealed files the hub has read to
// decrypt them for playback since it opened: the age header (read in one
// buffer of up to 4 KiB) and every STREAM chunk opened (64 KiB of
// plaintext and its 16-byte tag), each time it was opened. Safe for
// concurrent use.
func (in *Ingest) DecryptedBytes() int64 { return in.decrypted.Load() }

// countingReaderAt adds to n every byte read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	k, err := c.r.ReadAt(p, off)
	c.n.Add(int64(k))
	return k, err
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

// copyRead is how much ReadFrom reads at a time: two of age's chunks, so
// a decrypting reader opens them in one call (net/http's copy reads
// 32 KiB: half a chunk, each read allocating a chunk's buffer). It halves
// the hub's time for a decrypted range (BenchmarkRangeDecrypted) and
// bounds what a cancelled request leaves decrypted but unsent.
const copyRead = 128 << 10

// copyWrite is the most ReadFrom writes at once, each write with its own
// stall deadline.
const copyWrite = 64 << 10

// ReadFrom is what ServeContent's copy uses: it reads copyRead at a time
// and writes copyWrite at a time.
func (s *stalled) ReadFrom(src io.Reader) (int64, error) {
	buf := make([]byte, copyRead)
	var n int64
	for {
		k, rerr := io.ReadFull(src, buf)
		for p := buf[:k]; len(p) > 0; {
			w, err := s.Write(p[:min(len(p), copyWrite)])
			n += int64(w)
			if err != nil {
				return n, err
			}
			p = p[w:]
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return n, nil
		case rerr != nil:
			return n, rerr
		}
	}
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
