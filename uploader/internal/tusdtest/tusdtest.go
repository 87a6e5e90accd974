// Package tusdtest runs a real tusd v2 handler (filestore in a temp dir) on
// loopback with the hub's ingest contract, for the uploader's tests: bearer
// auth, the SHA-256 check before the final PATCH is acknowledged (HTTP 460
// "checksum mismatch" and the upload deleted on a mismatch, 204 with
// Agentdesk-Stored on success), GET /v1/uploads/verify/<sha256>. It adds
// fault hooks: fail the next PATCHes with a status, stop reading a PATCH
// body at a byte count until released, and counts the body bytes received.
package tusdtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"golang.org/x/exp/slog"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"

	"github.com/agentdesk/agentdesk/session/upload"
)

// StatusChecksumMismatch is the hub's answer to a final PATCH whose bytes do
// not match the sha256 metadata.
const StatusChecksumMismatch = upload.StatusChecksumMismatch

// Stored is one file the server stored.
type Stored struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Path   string `json:"-"`
	Dest   string `json:"-"`
}

// Server is a tusd ingest on 127.0.0.1. All methods are safe for
// concurrent use.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	Token    string // the agent token it accepts
	StoreDir string // stored files: StoreDir/[dest/]name

	received atomic.Int64 // PATCH body bytes read by tusd
	tracker  *Tracker
	srv      *http.Server
	ln       net.Listener
	store    filestore.FileStore

	mu       sync.Mutex
	stored   map[string]Stored // by sha256
	created  int
	mismatch int
	failN    int
	failCode int
	gateAt   int64
	gateHit  chan struct{}
	gateOpen chan struct{}
}

// Start starts a server with the given token; it stops at the end of the
// test.
func Start(t testing.TB, token string) *Server {
	t.Helper()
	s, err := New(t.TempDir(), "127.0.0.1:0", token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server keeping its uploads and store under dir, listening
// on addr.
func New(dir, addr, token string) (*Server, error) {
	up, st := filepath.Join(dir, "uploads"), filepath.Join(dir, "store")
	for _, d := range []string{up, st} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	s := &Server{Token: token, StoreDir: st, store: filestore.New(up), stored: map[string]Stored{}}
	comp := handler.NewStoreComposer()
	s.store.UseIn(comp)
	memorylocker.New().UseIn(comp)
	h, err := handler.NewHandler(handler.Config{
		BasePath:                  upload.UploadsPath,
		StoreComposer:             comp,
		DisableDownload:           true,
		Logger:                    slog.New(slog.NewTextHandler(io.Discard, nil)),
		PreFinishResponseCallback: s.preFinish,
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+upload.VerifyPath+"{sha}", s.auth(http.HandlerFunc(s.verify)))
	mux.Handle(upload.UploadsPath, s.auth(s.faults(http.StripPrefix(strings.TrimSuffix(upload.UploadsPath, "/"), h))))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.ln, s.URL = ln, "http://"+ln.Addr().String()
	var tracked http.Handler
	s.tracker, tracked = Track(Serialize(mux))
	s.srv = &http.Server{Handler: tracked}
	go s.srv.Serve(ln)
	return s, nil
}

// WaitIdle waits until the server has finished every request, including
// ones whose client went away.
func (s *Server) WaitIdle(t testing.TB) { s.tracker.WaitIdle(t) }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, releasing a held gate first.
func (s *Server) Close() {
	s.Release()
	s.srv.Close()
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			http.Error(w, "unauthorized: unknown agent token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// faults answers PATCHes with an injected status, counts body bytes and
// holds the body at the gate.
func (s *Server) faults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			s.mu.Lock()
			s.created++
			s.mu.Unlock()
		case http.MethodPatch:
			s.mu.Lock()
			code := 0
			if s.failN > 0 {
				s.failN--
				code = s.failCode
			}
			s.mu.Unlock()
			if code != 0 {
				http.Error(w, "insufficient storage: the disk is full", code)
				return
			}
			r.Body = &countBody{rc: r.Body, s: s}
		}
		next.ServeHTTP(w, r)
	})
}

type countBody struct {
	rc io.ReadCloser
	s  *Server
}

func (c *countBody) Read(p []byte) (int, error) {
	s := c.s
	s.mu.Lock()
	gateAt, hit, open := s.gateAt, s.gateHit, s.gateOpen
	s.mu.Unlock()
	if open != nil {
		left := gateAt - s.received.Load()
		if left <= 0 {
			select {
			case <-hit:
			default:
				close(hit)
			}
			<-open
		} else if int64(len(p)) > left {
			p = p[:left]
		}
	}
	n, err := c.rc.Read(p)
	s.received.Add(int64(n))
	return n, err
}

func (c *countBody) Close() error { return c.rc.Close() }

// Received is the number of PATCH body bytes tusd read so far.
func (s *Server) Received() int64 { return s.received.Load() }

// Created is the number of uploads created (POSTs).
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Mismatches is the number of final PATCHes refused with 460.
func (s *Server) Mismatches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mismatch
}

// FailPatches makes the next n PATCH requests fail with status code (say
// 507) without reading their body.
func (s *Server) FailPatches(n, code int) {
	s.mu.Lock()
	s.failN, s.failCode = n, code
	s.mu.Unlock()
}

// HoldAt stops reading PATCH bodies once the server received n bytes in
// all; the returned channel closes when that happens. Release resumes.
func (s *Server) HoldAt(n int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gateAt, s.gateHit, s.gateOpen = n, make(chan struct{}), make(chan struct{})
	return s.gateHit
}

// Release lets held PATCH bodies be read again.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gateOpen != nil {
		close(s.gateOpen)
		s.gateOpen, s.gateHit = nil, nil
	}
}

// Files returns what the server stored, by sha256.
func (s *Server) Files() map[string]Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Stored, len(s.stored))
	for k, v := range s.stored {
		out[k] = v
	}
	return out
}

func (s *Server) preFinish(ev handler.HookEvent) (handler.HTTPResponse, error) {
	info := ev.Upload
	path := info.Storage[filestore.StorageKeyPath]
	sum, err := fileSum(path)
	if err != nil {
		return handler.HTTPResponse{}, err
	}
	meta := info.MetaData
	if sum != meta[upload.MetaSHA256] {
		s.mu.Lock()
		s.mismatch++
		s.mu.Unlock()
		if up, err := s.store.GetUpload(ev.Context, info.ID); err == nil {
			_ = s.store.AsTerminatableUpload(up).Terminate(ev.Context)
		}
		e := handler.NewError("ERR_CHECKSUM_MISMATCH", "checksum mismatch", StatusChecksumMismatch)
		e.HTTPResponse.Body = "checksum mismatch"
		return handler.HTTPResponse{}, e
	}
	name, dest := filepath.Base(meta[upload.MetaFilename]), filepath.Base(meta[upload.MetaDest])
	dir := s.StoreDir
	if meta[upload.MetaDest] != "" {
		dir = filepath.Join(dir, dest)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return handler.HTTPResponse{}, err
	}
	dst := filepath.Join(dir, name)
	if err := os.Rename(path, dst); err != nil {
		return handler.HTTPResponse{}, err
	}
	if up, err := s.store.GetUpload(ev.Context, info.ID); err == nil {
		_ = s.store.AsTerminatableUpload(up).Terminate(ev.Context)
	}
	s.mu.Lock()
	id := fmt.Sprintf("st-%d", len(s.stored)+1)
	s.stored[sum] = Stored{ID: id, Name: name, SHA256: sum, Size: info.Size, Path: dst, Dest: meta[upload.MetaDest]}
	s.mu.Unlock()
	return handler.HTTPResponse{Header: handler.HTTPHeader{upload.HeaderStored: id}}, nil
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, ok := s.stored[r.PathValue("sha")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "not stored", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(upload.Verified{ID: st.ID, Name: st.Name, SHA256: st.SHA256, Size: st.Size})
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
