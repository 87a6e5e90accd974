package hub

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/agentdesk/agentdesk/hub/tusserial"
	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	expslog "golang.org/x/exp/slog"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Upload-Metadata keys of the upload contract (issue 6, docs/protocol.md).
const (
	MetaFilename    = "filename"
	MetaSHA256      = "sha256"
	MetaSize        = "size"
	MetaRecording   = "recording"
	MetaInteraction = "interaction"
	MetaAgent       = "agent"
	MetaDest        = "dest"
	MetaManifest    = "manifest"
)

// HeaderStored carries the stored file's id on the 204 that acknowledges an
// upload's final PATCH.
const HeaderStored = "Agentdesk-Stored"

// StatusChecksumMismatch answers a final PATCH whose bytes do not hash to
// the upload's sha256; the upload is gone and must start again at byte 0.
const StatusChecksumMismatch = 460

// Error codes of the upload and file API, beside the recording API's.
const (
	APIErrNoStore       = "no_store"       // 503: the hub runs without store.dir
	APIErrForbidden     = "forbidden"      // 403: the caller may not see that file
	APIErrNoSuchFile    = "no_such_file"   // 404
	APIErrNoIdentity    = "no_identity"    // 409: ?decrypt=1 but the hub holds no age identity
	APIErrCannotDecrypt = "cannot_decrypt" // 409: the hub's identity does not open the file
)

// ErrStore is wrapped by the errors of opening the recording store.
var ErrStore = errors.New("hub: recording store")

// ingest is the upload ingest and the recording store of a hub: tusd on
// uploads/, the files under files/, the index in index.db (issue 6).
type ingest struct {
	dir     string // absolute
	files   string // dir/files
	uploads string // dir/uploads
	tmp     string // dir/tmp: decrypted copies being served
	index   *store.Index
	fstore  filestore.FileStore
	tus     http.Handler
	ids     []age.Identity // nil: no playback decryption
	agents  []AgentConfig
	api     []APIToken
	locker  *memorylocker.MemoryLocker // tusd's, so the janitor never deletes an upload a request holds
	stop    chan struct{}              // closed by CloseStore: ends the janitor
}

// OpenStore opens the recording store of the config's store section
// (creating its folders and index) and mounts the upload ingest. Without
// store.dir it does nothing and the upload and file routes answer 503.
// Call it once, before serving Handler; CloseStore closes it.
func (s *Server) OpenStore() error {
	sc := s.cfg.Store
	if sc.Dir == "" {
		return nil
	}
	dir, err := filepath.Abs(sc.Dir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	in := &ingest{dir: dir, files: filepath.Join(dir, "files"), uploads: filepath.Join(dir, "uploads"),
		tmp: filepath.Join(dir, "tmp"), agents: s.cfg.Agents, api: s.cfg.Recording.APITokens}
	for _, d := range []string{in.files, in.uploads, in.tmp} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("%w: %v", ErrStore, err)
		}
	}
	if sc.IdentityFile != "" {
		if in.ids, err = readIdentities(sc.IdentityFile); err != nil {
			return fmt.Errorf("%w: store.identity_file: %v", ErrStore, err)
		}
	}
	if in.index, err = store.Open(filepath.Join(dir, "index.db")); err != nil {
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	if err := in.mountTus(sc.MaxUploadBytes); err != nil {
		in.index.Close()
		return fmt.Errorf("%w: %v", ErrStore, err)
	}
	stored, dropped := in.recoverUploads(context.Background())
	expired := in.expireUploads(context.Background(), time.Now(), sc.PartialExpiry)
	in.stop = make(chan struct{})
	go in.janitor(sc.PartialExpiry, in.stop, func(n int) {
		s.log.Info("unfinished uploads expired", "count", n, "idle_for", sc.PartialExpiry)
	})
	s.ingest.Store(in)
	s.log.Info("recording store open", "dir", dir, "decrypt", len(in.ids) > 0,
		"recovered_stored", stored, "recovered_dropped", dropped, "expired", expired)
	return nil
}

// CloseStore closes the store's index. Call it after the HTTP server has
// stopped; it is idempotent.
func (s *Server) CloseStore() error {
	if in := s.ingest.Swap(nil); in != nil {
		close(in.stop)
		return in.index.Close()
	}
	return nil
}

// Index is the recording store's index, nil when the hub has no store.
func (s *Server) Index() *store.Index {
	if in := s.ingest.Load(); in != nil {
		return in.index
	}
	return nil
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v (want an age identity file: AGE-SECRET-KEY-1… lines, e.g. from age-keygen)", path, err)
	}
	return ids, nil
}

// mountTus builds the tus handler: filestore in uploads/ behind the
// disk-full mapping, an in-memory locker (one hub process owns the
// folder), creation and termination, no download, no concatenation.
func (in *ingest) mountTus(maxSize int64) error {
	in.fstore = filestore.New(in.uploads)
	comp := tusd.NewStoreComposer()
	ds := fullStore{in.fstore}
	comp.UseCore(ds)
	comp.UseTerminater(ds)
	in.locker = memorylocker.New()
	in.locker.UseIn(comp)
	h, err := tusd.NewHandler(tusd.Config{
		StoreComposer:             comp,
		BasePath:                  "/v1/uploads/",
		MaxSize:                   maxSize,
		DisableDownload:           true,
		DisableConcatenation:      true,
		Logger:                    expslog.New(expslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   in.preCreate,
		PreFinishResponseCallback: in.preFinish,
	})
	if err != nil {
		return err
	}
	in.tus = http.StripPrefix("/v1/uploads/", tusserial.Handler(h))
	return nil
}

// who is an authenticated caller of the upload and file routes.
type who struct {
	agent      string // agent id, or ""
	supervisor bool   // a recording API token of role supervisor
}

// caller looks the bearer token (or access_token query parameter when
// query is true) up among agents and API tokens.
func (in *ingest) caller(r *http.Request, query bool) (who, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && query {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" {
		return who{}, false
	}
	for _, a := range in.agents {
		if subtle.ConstantTimeCompare([]byte(a.Token), []byte(tok)) == 1 {
			return who{agent: a.ID}, true
		}
	}
	for _, t := range in.api {
		if subtle.ConstantTimeCompare([]byte(t.Token), []byte(tok)) == 1 {
			return who{supervisor: t.Role == RoleSupervisor}, true
		}
	}
	return who{}, false
}

// serveUploads is /v1/uploads/: tus for agents only, and the checksum
// confirmation at /v1/uploads/verify/{sha256}.
func (s *Server) serveUploads(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, verifyPrefix) {
		s.serveVerify(w, r)
		return
	}
	in := s.ingest.Load()
	if in == nil {
		apiError(w, http.StatusServiceUnavailable, APIErrNoStore, "this hub has no recording store; set store.dir in its config")
		return
	}
	c, ok := in.caller(r, false)
	if !ok || c.agent == "" {
		w.Header().Set("Tus-Resumable", "1.0.0")
		apiError(w, http.StatusUnauthorized, APIErrUnauthorized, "uploads need Authorization: Bearer <agent token>")
		return
	}
	if !in.ownUpload(w, r, c.agent) {
		return
	}
	in.tus.ServeHTTP(w, r)
}

// uploadMeta is what preCreate checks in an upload's metadata.
type uploadMeta struct {
	filename, sha, dest string
	size                int64
	manifest            *manifest
}

// manifest holds the fields of the uploader's JSON manifest the index keeps.
type manifest struct {
	Version     int             `json:"version"`
	Recording   string          `json:"recording"`
	Interaction string          `json:"interaction"`
	Agent       string          `json:"agent"`
	Customer    string          `json:"customer"`
	Queue       string          `json:"queue"`
	Kind        string          `json:"kind"`
	Disposition string          `json:"disposition"`
	Partitions  []string        `json:"partitions"`
	Metadata    json.RawMessage `json:"metadata"`
	Encrypted   *bool           `json:"encrypted"`
}

// parseMeta checks an upload's metadata against the contract.
func parseMeta(md tusd.MetaData, length int64) (uploadMeta, error) {
	m := uploadMeta{filename: md[MetaFilename], sha: strings.ToLower(md[MetaSHA256]), dest: md[MetaDest]}
	if strings.TrimSpace(m.filename) == "" {
		return m, errors.New("Upload-Metadata needs filename")
	}
	if !isSHA256(m.sha) {
		return m, fmt.Errorf("Upload-Metadata sha256 must be 64 hex digits, got %q", md[MetaSHA256])
	}
	if v, ok := md[MetaSize]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return m, fmt.Errorf("Upload-Metadata size %q is not a byte count", v)
		}
		if n != length {
			return m, fmt.Errorf("Upload-Metadata size %d differs from Upload-Length %d", n, length)
		}
	}
	m.size = length
	if raw := md[MetaManifest]; raw != "" {
		m.manifest = &manifest{}
		if err := json.Unmarshal([]byte(raw), m.manifest); err != nil {
			return m, fmt.Errorf("Upload-Metadata manifest is not the JSON manifest: %v", err)
		}
	}
	return m, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// preCreate refuses uploads whose metadata breaks the contract, and pins
// the agent to the token's agent: an agent uploads only its own files.
func (in *ingest) preCreate(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	r := &http.Request{Header: http.Header(ev.HTTPRequest.Header)}
	c, _ := in.caller(r, false)
	if ev.Upload.SizeIsDeferred {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_BAD_METADATA", "Upload-Length is required (no deferred length)", http.StatusBadRequest)
	}
	if _, err := parseMeta(ev.Upload.MetaData, ev.Upload.Size); err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_BAD_METADATA", err.Error(), http.StatusBadRequest)
	}
	if a := ev.Upload.MetaData[MetaAgent]; a != "" && a != c.agent {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_FORBIDDEN",
			fmt.Sprintf("agent %q may not upload recordings of agent %q", c.agent, a), http.StatusForbidden)
	}
	md := tusd.MetaData{}
	for k, v := range ev.Upload.MetaData {
		md[k] = v
	}
	md[MetaAgent] = c.agent
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{MetaData: md}, nil
}
