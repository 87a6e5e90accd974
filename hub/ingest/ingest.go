// Package ingest is the hub's recording store on disk (issue 6): tus
// uploads on /v1/uploads/ checked against their SHA-256 before they are
// acknowledged, the stored files under the store folder, the checksum
// confirmation at /v1/uploads/verify/{sha256} and the files at
// /v1/files/{id}. The contract with the desktops is package
// session/upload; the index of stored files is a store.Files.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	expslog "golang.org/x/exp/slog"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/ingest/tusserial"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session/upload"
)

// ErrOpen is wrapped by the errors of Open.
var ErrOpen = errors.New("ingest: open the recording store")

// Config is where and how recordings are stored (the hub's "store:"
// section, docs/configuration.md).
type Config struct {
	Dir            string        // holds files/ (one sub-folder per R-G2 dest) and uploads/
	MaxUploadBytes int64         // the largest file one upload may carry
	IdentityFile   string        // an age identity for playback (?decrypt=1); "" for none
	PartialExpiry  time.Duration // unfinished uploads idle this long are deleted
	// StallTimeout cuts off an upload whose body, or a download whose
	// client, has not moved for this long; 0 means a minute.
	StallTimeout time.Duration
	// MaxTransfers bounds the uploads (PATCH, creation with data) and
	// downloads served at once, each holding a file open; beyond it they
	// are answered 503 busy. 0 means 64.
	MaxTransfers int
	// ForwardedHeaders makes upload URLs from X-Forwarded-Proto/-Host or
	// Forwarded: set it only when the hub strips them from requests that
	// do not come through a trusted proxy (the hub's trusted_proxies).
	ForwardedHeaders bool
	// Refused, when set, says why recordings of an interaction must not
	// be stored ("" when they may): the customer's deletion request was
	// confirmed, or consent declined (R-H6). Such an upload is answered
	// 410 Gone, at creation or at its last byte, and never stored.
	Refused func(ctx context.Context, interaction string) string
	// Access, when set, decides who may fetch a stored file and whether
	// the hub decrypts it for them (issue 12, R-V8): the hub's roles and
	// team tree. Nil keeps issue 10's rule: the uploading agent gets the
	// sealed bytes; supervisors may also have them decrypted.
	Access func(c api.Caller, f store.File) (see, decrypt bool)
	// ReasonRequired, when set, says whether the caller must give a reason
	// code (?reason=) before a file is decrypted for them
	// (access.reason_required).
	ReasonRequired func(c api.Caller) bool
	// Accessed, when set, is told of every fetch of a stored file by a
	// known caller: the file (zero when not found or hidden), whether it
	// was decrypted, and the outcome (store.OutcomeOK, OutcomeDenied,
	// OutcomeNotFound), for the access log.
	Accessed func(r *http.Request, c api.Caller, f store.File, decrypt bool, outcome string)
	// Storage keeps the stored files; nil keeps them in Dir/files (a
	// Folder).
	Storage Storage
	// Staging keeps the unfinished uploads; nil keeps them in Dir/uploads.
	Staging Staging
}

// Callers finds who is calling from a request's bearer token or, when
// query is true, its access_token parameter (*api.Tokens, the hub's
// directory of users).
type Callers interface {
	FromRequest(r *http.Request, query bool) (api.Caller, bool)
}

// Ingest serves uploads and stored files. Build it with Open, mount it with
// Register, end it with Close.
type Ingest struct {
	dir     string // absolute
	uploads string // dir/uploads
	storage Storage
	index   store.Files
	tokens  Callers
	access  func(c api.Caller, f store.File) (see, decrypt bool)
	reason  func(c api.Caller) bool
	logged  func(r *http.Request, c api.Caller, f store.File, decrypt bool, outcome string)
	log     *slog.Logger
	staging Staging
	tus     http.Handler
	ids     []age.Identity // nil: no playback decryption
	stall   time.Duration  // a download that takes nothing this long is cut off
	slots   chan struct{}  // one per upload or download in flight (MaxTransfers)
	refused func(ctx context.Context, interaction string) string
	serial  *tusserial.Serial // one request per upload at a time; the janitor takes a turn too
	stop    chan struct{}     // closed by Close: ends the janitor
	once    bool
	// ownFolder: storage is the Folder Open made (Close closes it).
	ownFolder bool

	// decrypted counts the sealed bytes read to be decrypted (DecryptedBytes).
	decrypted atomic.Int64

	backlogMu sync.Mutex // Backlog's last listing of a staging bucket
	backlogAt time.Time
	backlog   []Backlog
}

// defaultAccess is issue 10's rule: supervisors and the uploading agent
// see a file; only supervisors may have it decrypted.
func defaultAccess(c api.Caller, f store.File) (see, decrypt bool) {
	see = c.Supervisor() || c.Agent() && c.ID == f.Agent
	return see, see && c.Supervisor()
}

// Open creates the store's folders, finishes what a killed hub left
// half-stored, deletes expired unfinished uploads and starts the janitor
// that keeps deleting them.
func Open(cfg Config, index store.Files, tokens Callers, log *slog.Logger) (*Ingest, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = time.Minute
	}
	if cfg.MaxTransfers <= 0 {
		cfg.MaxTransfers = 64
	}
	in := &Ingest{dir: dir, uploads: filepath.Join(dir, "uploads"), storage: cfg.Storage,
		index: index, tokens: tokens, access: cfg.Access, reason: cfg.ReasonRequired, logged: cfg.Accessed, log: log, stall: cfg.StallTimeout, slots: make(chan struct{}, cfg.MaxTransfers),
		refused: cfg.Refused, staging: cfg.Staging}
	if err := os.MkdirAll(in.uploads, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	// Hubs before issue 10 decrypted recordings for playback into tmp/;
	// one killed mid-request left plaintext there. Decryption streams now.
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		log.Warn("cannot remove the old playback copies in tmp/", "err", err)
	}
	if cfg.IdentityFile != "" {
		if in.ids, err = readIdentities(cfg.IdentityFile); err != nil {
			return nil, fmt.Errorf("%w: store.identity_file: %v", ErrOpen, err)
		}
	}
	if err := in.mountTus(cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	if in.storage == nil {
		if in.storage, err = NewFolder(dir); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrOpen, err)
		}
		in.ownFolder = true
	}
	stored, dropped := in.recoverUploads(context.Background())
	if cfg.Staging != nil {
		// Staged in a bucket now: what an earlier hub left in uploads/ is
		// stored when whole, and dropped otherwise (its desktop sends it
		// again), instead of lying there for ever.
		s, d := in.recoverFrom(context.Background(), newFolderStaging(in.uploads), true)
		if s+d > 0 {
			log.Warn("store.objects.uploads_bucket is set: the uploads left in the store folder's uploads/ were stored when whole and dropped otherwise (their desktops send them again)",
				"stored", s, "dropped", d)
		}
		stored, dropped = stored+s, dropped+d
	}
	expired := in.ExpireUploads(context.Background(), time.Now(), cfg.PartialExpiry)
	in.stop = make(chan struct{})
	go in.janitor(cfg.PartialExpiry, in.stop, func(n int) {
		log.Info("unfinished uploads expired", "count", n, "idle_for", cfg.PartialExpiry)
	})
	log.Info("recording store open", "dir", dir, "decrypt", len(in.ids) > 0,
		"recovered_stored", stored, "recovered_dropped", dropped, "expired", expired)
	return in, nil
}

// Close stops the janitor. It is idempotent; call it after the HTTP server
// has stopped.
func (in *Ingest) Close() error {
	if !in.once {
		in.once = true
		close(in.stop)
		if f, ok := in.storage.(*Folder); ok && in.ownFolder {
			_ = f.Close()
		}
	}
	return nil
}

// Register mounts the upload and file routes on mux.
func (in *Ingest) Register(mux *http.ServeMux) {
	for _, m := range []string{"POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "GET"} {
		mux.HandleFunc(m+" "+upload.UploadsPath, in.serveUploads)
	}
	mux.HandleFunc("GET /v1/files/{id}", in.serveFile)
}

// RegisterNone mounts the same routes answering 503 no_store: a hub
// without a store folder.
func RegisterNone(mux *http.ServeMux) {
	none := func(w http.ResponseWriter, _ *http.Request) {
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrNoStore, "this hub has no recording store; set store.dir in its config")
	}
	for _, m := range []string{"POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "GET"} {
		mux.HandleFunc(m+" "+upload.UploadsPath, none)
	}
	mux.HandleFunc("GET /v1/files/{id}", none)
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path) // #nosec G304 -- store.identity_file, the operator's
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

// mountTus builds the tus handler: the staging (filestore in uploads/
// behind the disk-full mapping, or a bucket), an in-memory locker (one hub
// process serves uploads: the hub, or a cluster's core), creation and
// termination, no download, no concatenation.
func (in *Ingest) mountTus(cfg Config) error {
	if in.staging == nil {
		in.staging = newFolderStaging(in.uploads)
	}
	comp := tusd.NewStoreComposer()
	comp.UseCore(in.staging)
	comp.UseTerminater(in.staging)
	memorylocker.New().UseIn(comp)
	h, err := tusd.NewHandler(tusd.Config{
		StoreComposer:             comp,
		BasePath:                  upload.UploadsPath,
		MaxSize:                   cfg.MaxUploadBytes,
		NetworkTimeout:            cfg.StallTimeout,
		RespectForwardedHeaders:   cfg.ForwardedHeaders,
		DisableDownload:           true,
		DisableConcatenation:      true,
		Cors:                      &tusd.CorsConfig{Disable: true}, // desktops are no browsers: no page elsewhere may upload
		Logger:                    expslog.New(expslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   in.preCreate,
		PreFinishResponseCallback: in.preFinish,
	})
	if err != nil {
		return err
	}
	in.serial = tusserial.New(h)
	in.tus = http.StripPrefix(upload.UploadsPath, in.serial)
	return nil
}

// serveUploads is /v1/uploads/: tus for agents only, and the checksum
// confirmation at /v1/uploads/verify/{sha256}.
func (in *Ingest) serveUploads(w http.ResponseWriter, r *http.Request) {
	r, ok := overrideMethod(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, upload.VerifyPath) {
		in.serveVerify(w, r)
		return
	}
	c, ok := in.tokens.FromRequest(r, false)
	if !ok || !c.Agent() {
		w.Header().Set("Tus-Resumable", upload.TusVersion)
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "uploads need Authorization: Bearer <agent token>")
		return
	}
	if !in.ownUpload(w, r, c.ID) {
		return
	}
	if r.Method == http.MethodPatch || r.Method == http.MethodPost {
		if !in.takeSlot(w) {
			return
		}
		defer in.giveSlot()
	}
	in.tus.ServeHTTP(w, r)
}

// takeSlot takes one of the MaxTransfers places of an upload or download,
// or answers 503 busy when none is free.
func (in *Ingest) takeSlot(w http.ResponseWriter) bool {
	select {
	case in.slots <- struct{}{}:
		return true
	default:
	}
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Tus-Resumable", upload.TusVersion)
	api.WriteError(w, http.StatusServiceUnavailable, api.ErrBusy,
		"the hub is moving %d files at once, the most it may (limits.max_transfers); try again shortly", cap(in.slots))
	return false
}

func (in *Ingest) giveSlot() { <-in.slots }

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
	m := uploadMeta{filename: md[upload.MetaFilename], sha: strings.ToLower(md[upload.MetaSHA256]), dest: md[upload.MetaDest]}
	if strings.TrimSpace(m.filename) == "" {
		return m, errors.New("Upload-Metadata needs filename")
	}
	if !isSHA256(m.sha) {
		return m, fmt.Errorf("Upload-Metadata sha256 must be 64 hex digits, got %q", md[upload.MetaSHA256])
	}
	if v, ok := md[upload.MetaSize]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return m, fmt.Errorf("Upload-Metadata size %q is not a byte count", v)
		}
		if n != length {
			return m, fmt.Errorf("Upload-Metadata size %d differs from Upload-Length %d", n, length)
		}
	}
	m.size = length
	if raw := md[upload.MetaManifest]; raw != "" {
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
func (in *Ingest) preCreate(ev tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	r := &http.Request{Header: http.Header(ev.HTTPRequest.Header)}
	c, _ := in.tokens.FromRequest(r, false)
	if ev.Upload.SizeIsDeferred {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_BAD_METADATA", "Upload-Length is required (no deferred length)", http.StatusBadRequest)
	}
	if _, err := parseMeta(ev.Upload.MetaData, ev.Upload.Size); err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_BAD_METADATA", err.Error(), http.StatusBadRequest)
	}
	if a := ev.Upload.MetaData[upload.MetaAgent]; a != "" && a != c.ID {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusd.NewError("ERR_FORBIDDEN",
			fmt.Sprintf("agent %q may not upload recordings of agent %q", c.ID, a), http.StatusForbidden)
	}
	if why := in.refusal(ev.Context, ev.Upload.MetaData); why != "" {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, errGone(why)
	}
	md := tusd.MetaData{}
	for k, v := range ev.Upload.MetaData {
		md[k] = v
	}
	md[upload.MetaAgent] = c.ID
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{MetaData: md}, nil
}

// refusal says why an upload with this metadata must not be stored, or "".
func (in *Ingest) refusal(ctx context.Context, md tusd.MetaData) string {
	if in.refused == nil {
		return ""
	}
	interaction := md[upload.MetaInteraction]
	if interaction == "" {
		if raw := md[upload.MetaManifest]; raw != "" {
			var m manifest
			if json.Unmarshal([]byte(raw), &m) == nil {
				interaction = m.Interaction
			}
		}
	}
	if interaction == "" {
		return ""
	}
	return in.refused(ctx, interaction)
}

// errGone answers an upload of a recording that must not exist: 410, so
// the desktop deletes its copy (uploader.ErrGone).
func errGone(why string) tusd.Error {
	return tusd.NewError("ERR_RECORDING_DELETED", "this recording must not exist ("+why+"): it is not stored; delete your copy", http.StatusGone)
}

// Erase deletes every stored file of interaction (index and disk) and every
// unfinished upload of it, and returns the files it deleted: a recording
// that must not exist is nowhere in the store (R-H6).
func (in *Ingest) Erase(ctx context.Context, interaction string) ([]store.File, error) {
	files, err := in.index.SearchFiles(ctx, store.FileFilter{Interaction: interaction})
	if err != nil {
		return nil, err
	}
	var gone []store.File
	for _, f := range files {
		if err := in.storage.Remove(ctx, f.Path); err != nil {
			return gone, fmt.Errorf("ingest: erase %s: %w", f.ID, err)
		}
		if err := in.index.DeleteFile(ctx, f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return gone, err
		}
		gone = append(gone, f)
	}
	in.eraseUploads(ctx, interaction)
	return gone, nil
}

// eraseUploads terminates the unfinished uploads of interaction that no
// request holds; one a request holds is refused at its last byte.
func (in *Ingest) eraseUploads(ctx context.Context, interaction string) {
	ups, err := in.staging.Uploads(ctx)
	if err != nil {
		in.log.Error("cannot list the unfinished uploads to erase an interaction's", "err", err)
		return
	}
	for _, u := range ups {
		id := u.Info.ID
		if u.Info.MetaData[upload.MetaInteraction] != interaction {
			continue
		}
		if unlock, ok := in.serial.TryLock(id); ok {
			_ = in.terminate(ctx, id)
			unlock()
		}
	}
}
