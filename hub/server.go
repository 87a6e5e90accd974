// Package hub is the contact centre's server: the customer web chat page,
// the agent and customer websockets, routing of chats to agents, the
// timers of an interaction's life (R-I1, R-I4, R-I11), and recording: one
// session.Recorder per chat fed by the agent's buttons, the config's
// policies, the customer's consent and the dynamic recording API.
//
// The hub is a system of record (issue 9, X-3): every chat, line, agent
// state and finished recording is written through to its store
// (hub/store) before anyone is told of it, and a restarted hub resumes the
// live chats from there, timers from their stored deadlines. Memory holds
// only the live chats; a chat is evicted when it is done.
//
// All state lives behind one read-write mutex: state changes hold it
// exclusively (lock/unlock, which also open and submit a journal section),
// the hot path of relaying messages holds it shared plus the chat's own
// mutex, so chats relay in parallel. Frames to a socket are queued without
// blocking and written by that socket's own goroutine once the journal has
// stored what they tell, so a slow peer never holds a lock. Every state
// change of a chat goes through Server.move, which asks session.Transition.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
	"github.com/agentdesk/agentdesk/session"
)

// ErrStore is wrapped by the errors of opening the hub's store.
var ErrStore = errors.New("hub: store")

// Server is a running hub. Build it with Open, serve Handler, end it with
// Close and then CloseStore.
type Server struct {
	cfg    *Config
	log    *slog.Logger
	clock  Clock
	st     store.Store
	app    appMount // the web app (/app/, app.go)
	j      *journal
	in     *ingest.Ingest                // nil without store.dir
	tokens *auth.Directory               // who calls: agents' and API tokens, users
	conns  connLimits                    // the connection caps in force (limits, under the open-file limit)
	lns    atomic.Pointer[limitListener] // the counting listener, once Listener made it
	stop   chan struct{}                 // closed by Close: ends the pinger
	// recipient is the store's age public key, told to desktops in the
	// welcome; "" when the hub has none.
	recipient string
	mail      mailer     // nil: no e-mail (mail.smtp unset)
	dl        *deliverer // nil: ad hoc recordings are not e-mailed (deliver.go)
	audit     *audit.Log // nil: the store keeps no audit log
	ret       retentionState

	// mu guards everything. Relaying a message (send, typing, push_url)
	// holds it shared plus the chat's own lock; every other change holds it
	// exclusively, through lock and unlock.
	mu       sync.RWMutex
	closed   bool
	agents   map[string]*agent // by id
	chats    map[string]*chat  // live ones, by id; evicted when done
	resumes  map[string]*chat  // by the SHA-256 of their resume token
	queues   map[string][]*chat
	peers    map[*peer]struct{}
	chatSeq  int64 // the last chat number handed out (persisted: ids never repeat)
	idleSeq  int64 // for agents' idle ordering
	customer int   // customer sockets open
	perIP    map[string]int
	dirty    map[*chat]struct{}    // changed in the open section: written at unlock
	dirtyAg  map[*agent]struct{}   // the same for agents
	names    map[string]bool       // file names given in the open section (R-H4)
	live     map[string]bool       // file names of the live chats' recordings
	waits    map[string]*queueWait // recent waits per queue, for the customers' estimate
	invites  map[string]*invite    // pending invitations of live chats, by id (issue 14)
	consults map[string]*consult   // open consultations, by id (R-I9)
	supers   map[string]*agent     // supervisors who said hello, by id (R-C8); never routed to
	verify   bool                  // tests: every unlock checks that no change went unmarked
	saved    map[*chat]string      // with verify: the row last written
	unmarked []string              // with verify: the changes that went unmarked

	core        *coreCluster // cluster.role core: the sockets edges hold
	edge        *edgeCluster // cluster.role edge: this hub holds sockets for the core
	raw         store.Store  // the store as opened, under the audit's wrapper (readiness asks it)
	m           *metrics
	ownsStore   bool // Open opened it, so CloseStore closes it
	storeClosed bool
}

// Options are what Open takes besides the config.
type Options struct {
	// Log receives the hub's log; nil discards it.
	Log *slog.Logger
	// Clock is the time and timers of the core; nil is RealClock.
	Clock Clock
	// Store, when set, is used instead of the one cfg.Store names (the
	// caller closes it after CloseStore).
	Store store.Store

	verify bool // tests: check at every unlock that each change was marked for the store
}

// Open builds a hub on a validated configuration: it opens the store
// (index.db in store.dir, or in memory without one), resumes the live
// chats and the agents' ready state the store holds, and mounts the
// upload ingest when there is a store folder.
func Open(cfg *Config, opt Options) (*Server, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	clock := opt.Clock
	if clock == nil {
		clock = RealClock{}
	}
	recipient, err := storeRecipient(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	ml, err := newMailer(cfg.Mail)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	st := opt.Store
	if st == nil && cfg.Cluster.Role == RoleEdge {
		if st, err = sqlite.OpenMemory(); err != nil { // an edge keeps no chat: this stays empty
			return nil, fmt.Errorf("%w: %v", ErrStore, err)
		}
	}
	if st == nil {
		var err error
		if st, err = openStore(cfg.Store, log); err != nil {
			return nil, err
		}
	}
	s := &Server{
		cfg: cfg, log: log, clock: clock, st: st, recipient: recipient,
		agents:   map[string]*agent{},
		chats:    map[string]*chat{},
		resumes:  map[string]*chat{},
		queues:   map[string][]*chat{},
		peers:    map[*peer]struct{}{},
		perIP:    map[string]int{},
		dirty:    map[*chat]struct{}{},
		dirtyAg:  map[*agent]struct{}{},
		names:    map[string]bool{},
		live:     map[string]bool{},
		waits:    map[string]*queueWait{},
		invites:  map[string]*invite{},
		consults: map[string]*consult{},
		supers:   map[string]*agent{},
	}
	if ml != nil {
		s.mail = ml
	}
	if opt.verify {
		s.verify, s.saved = true, map[*chat]string{}
	}
	dir, err := cfg.directory(clock.Now, log)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	s.tokens = dir
	s.conns = effectiveConnLimits(cfg.Limits, log)
	for _, a := range cfg.Agents {
		s.agents[a.ID] = &agent{cfg: a, chats: map[string]*chat{}, joined: map[string]*chat{}, consults: map[string]*consult{}}
	}
	s.raw = st
	s.m = newMetrics(s)
	s.j = newJournal(st, log)
	s.j.m = s.m
	if err := s.openAudit(st); err != nil {
		s.j.close()
		if opt.Store == nil {
			_ = st.Close()
		}
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	s.st = auditedStore{Store: st, s: s}
	if err := s.restore(context.Background()); err != nil {
		s.closeAudit()
		s.j.close()
		if opt.Store == nil {
			_ = st.Close()
		}
		return nil, fmt.Errorf("%w: resume: %v", ErrStore, err)
	}
	if cfg.Store.Dir != "" && cfg.Cluster.Role != RoleEdge { // an edge forwards uploads to the core
		s.newDeliveries(st, ml) // the hub that stores the files e-mails the agents theirs
		var (
			files   ingest.Storage
			staging ingest.Staging
		)
		objects, err := openObjects(context.Background(), cfg.Store, log)
		if objects != nil {
			files = objects
			if b := cfg.Store.Objects.UploadsBucket; b != "" {
				var sg *s3files.Staging
				if sg, err = objects.Staging(context.Background(), b); err == nil {
					staging = sg
				}
			}
		}
		var in *ingest.Ingest
		if err == nil {
			in, err = ingest.Open(ingest.Config{Dir: cfg.Store.Dir, Storage: files, Staging: staging, MaxUploadBytes: cfg.Store.MaxUploadBytes,
				IdentityFile: cfg.Store.IdentityFile, PartialExpiry: cfg.Store.PartialExpiry, Refused: s.uploadRefused, Access: s.fileAccess,
				ReasonRequired: func(c api.Caller) bool { return s.tokens.ReasonRequired(c.Role) }, Accessed: s.fileAccessed,
				StallTimeout: cfg.Limits.StallTimeout, MaxTransfers: cfg.Limits.MaxTransfers,
				ForwardedHeaders: len(cfg.proxies) > 0}, s.st, s.tokens, log)
		}
		if err != nil {
			s.closeAudit()
			s.j.close()
			if opt.Store == nil {
				_ = st.Close()
			}
			return nil, fmt.Errorf("%w: %v", ErrStore, err)
		}
		s.in = in
	}
	s.dl.start()
	if opt.Store == nil {
		s.ownsStore = true
	}
	if err := s.joinCluster(); err != nil {
		if s.in != nil {
			_ = s.in.Close()
		}
		s.closeAudit()
		s.j.close()
		if opt.Store == nil {
			_ = st.Close()
		}
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if cfg.Cluster.Role != RoleEdge {
		s.auditPolicy()
	}
	s.stop = make(chan struct{})
	go s.pinger(s.stop)
	s.startRetention()
	return s, nil
}

// storeRecipient is the age public key desktops encrypt to: the configured
// one, or that of the store's identity.
func storeRecipient(sc StoreConfig) (string, error) {
	if sc.Recipient != "" || sc.IdentityFile == "" {
		return sc.Recipient, nil
	}
	f, err := os.Open(sc.IdentityFile)
	if err != nil {
		return "", fmt.Errorf("store.identity_file: %v", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return "", fmt.Errorf("store.identity_file: %s: %v (want an age identity file: AGE-SECRET-KEY-1… lines, e.g. from age-keygen)", sc.IdentityFile, err)
	}
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			return x.Recipient().String(), nil
		}
	}
	return "", nil
}

// Store is the hub's store (for tools and tests that read it).
func (s *Server) Store() store.Store { return s.st }

// Files is the recording store's file side (uploads, stored files and
// their serving; nil without store.dir): what the web app streams a
// recording through (ServeStored), and its counters.
func (s *Server) Files() *ingest.Ingest { return s.in }

// Handler serves "/" (the customer page and its queues.json), "/v1/customer",
// "/v1/agent", "/healthz" and the recording API: "/v1/recording",
// "/v1/recordings" and "/v1/abusive" (docs/recording-api.md), and the
// recording store: tus uploads on "/v1/uploads/",
// "/v1/uploads/verify/{sha256}" and "/v1/files/{id}" (docs/uploads.md),
// which answer 503 without store.dir. Every request passes guard first
// (security headers, HSTS, the connection caps, trusted proxies).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.edge != nil {
		s.edge.routes(mux)
		mux.HandleFunc("GET /metrics", s.serveMetrics)
		mux.HandleFunc("GET /queues.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(s.cfg.Queues)
		})
		mux.Handle("/", webHandler()) // not "GET /": it would overlap the proxied "/v1/"
		return s.guard(mux)
	}
	mux.HandleFunc("GET /v1/agent", s.serveAgent)
	mux.HandleFunc("GET /v1/customer", s.serveCustomer)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /v1/store/key", s.serveStoreKey)
	mux.HandleFunc("GET /v1/directory", s.serveDirectory)
	mux.HandleFunc("POST /v1/chats/{chat}/files", s.serveFileUpload)
	mux.HandleFunc("GET /v1/chats/{chat}/files/{id}", s.serveFileDownload)
	s.handleAPI(mux, http.MethodPost, "/v1/recording", s.serveRecordingAPI)
	s.handleAPI(mux, http.MethodGet, "/v1/recordings", s.serveRecordingList)
	s.handleAPI(mux, http.MethodPost, "/v1/abusive", s.serveAbusive)
	s.mountRetention(mux)
	if s.in != nil {
		s.in.Register(mux)
	} else {
		ingest.RegisterNone(mux)
	}
	mux.HandleFunc("GET /queues.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.cfg.Queues)
	})
	s.mountApp(mux)
	mux.Handle("GET /", webHandler())
	return s.guard(s.countUploads(mux))
}

// Health is the body of /healthz.
type Health struct {
	OK           bool   `json:"ok"`
	Store        string `json:"store"` // "ok", or why it cannot write
	AgentsOnline int    `json:"agents_online"`
	AgentsReady  int    `json:"agents_ready"`
	ChatsLive    int    `json:"chats_live"`
	ChatsQueued  int    `json:"chats_queued"`
	Customers    int    `json:"customers"`
	// Connections are the TCP connections open (on Listener; 0 without).
	Connections int `json:"connections,omitempty"`
	// Multi-party figures (issue 14): invitations pending, agents
	// conferenced into chats (supervisors who barged in included),
	// consultations open, supervisors watching.
	Invites       int `json:"invites"`
	Conferenced   int `json:"conferenced"`
	Consultations int `json:"consultations"`
	Watching      int `json:"watching"`
	// Queues are the counters per queue, by name (no agent is named:
	// GET /v1/directory has them, for agents).
	Queues map[string]session.DirectoryQueue `json:"queues"`
}

// Health counts agents and chats.
func (s *Server) Health() Health {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := Health{OK: !s.closed, Store: "ok", Customers: s.customer}
	if l := s.lns.Load(); l != nil {
		l.mu.Lock()
		h.Connections = l.total
		l.mu.Unlock()
	}
	if err := s.j.err(); err != nil {
		h.OK, h.Store = false, "cannot write: "+err.Error()
	}
	for _, a := range s.agents {
		if a.conn != nil {
			h.AgentsOnline++
			if a.ready {
				h.AgentsReady++
			}
		}
	}
	for _, c := range s.chats {
		if c.state.Live() {
			h.ChatsLive++
		}
		h.Conferenced += len(c.parties)
		h.Watching += len(c.watchers)
	}
	for _, q := range s.queues {
		h.ChatsQueued += len(q)
	}
	h.Invites, h.Consultations = len(s.invites), len(s.consults)
	h.Queues = map[string]session.DirectoryQueue{}
	for _, q := range s.cfg.Queues {
		h.Queues[q.Name] = s.queueFigures(q)
	}
	return h
}

// StoreKey is the body of GET /v1/store/key: the age public key desktops
// encrypt recordings to, "" when the hub has none. A public key:
// anyone may ask.
type StoreKey struct {
	Recipient string `json:"recipient"`
}

func (s *Server) serveStoreKey(w http.ResponseWriter, _ *http.Request) {
	api.WriteJSON(w, http.StatusOK, StoreKey{Recipient: s.recipient})
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := s.Health()
	status := http.StatusOK
	if !h.OK {
		status = http.StatusServiceUnavailable
	}
	api.WriteJSON(w, status, h)
}

// Close tells every socket the hub is restarting and ends it (websocket
// status 1012, Service Restart), and stops every timer. Chats are not
// ended: they are in the store, and a hub started on it resumes them;
// customers and agents reconnect to it. Close is idempotent and does not
// wait for peers to answer the close handshake.
func (s *Server) Close() {
	s.lock()
	if s.closed {
		s.unlock()
		return
	}
	s.closed = true
	close(s.stop)
	if s.edge != nil {
		defer s.edge.close() // after the unlock: its sockets are told to reconnect
	}
	for _, c := range s.chats {
		c.stopTimers()
	}
	for _, a := range s.agents {
		a.grace.stop()
	}
	notice := session.RestartingData{Text: "The chat service is restarting; you will be reconnected in a moment."}
	peers := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
		p.send(session.TypeRestarting, "", notice)
		p.closeAfter(websocket.StatusServiceRestart, "hub restarting") // after what is queued
	}
	s.unlock()
	// A peer that does not read cannot be closed politely: cut it off.
	s.clock.AfterFunc(5*time.Second, func() {
		for _, p := range peers {
			p.kill()
		}
	})
}

// CloseStore stores what is pending and closes the ingest and the store.
// Call it after Close and after the HTTP server has stopped; it is
// idempotent.
func (s *Server) CloseStore() error {
	s.dl.stop() // first: its attempt may wait on the lock
	if s.core != nil {
		s.core.close() // what the peers wrote reaches the edges first
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storeClosed {
		return nil
	}
	s.storeClosed = true
	s.stopRetention()
	s.j.close()
	if s.in != nil {
		_ = s.in.Close()
	}
	s.closeAudit()
	if s.ownsStore {
		return s.st.Close()
	}
	return nil
}

// addPeer registers a socket; false when the hub is closed.
func (s *Server) addPeer(p *peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.peers[p] = struct{}{}
	return true
}

func (s *Server) dropPeer(p *peer) {
	s.mu.Lock()
	delete(s.peers, p)
	s.mu.Unlock()
	p.kill()
}

// timer is a restartable timer whose callback runs under the hub's lock and
// is ignored once stopped or re-armed. Only touched under the lock.
type timer struct {
	t   Stopper
	gen uint64
}

func (tm *timer) stop() {
	if tm.t != nil {
		tm.t.Stop()
		tm.t = nil
	}
	tm.gen++
}

func (tm *timer) running() bool { return tm.t != nil }

// arm (re)starts tm to call f after d (at once when d is not positive),
// under the lock.
func (s *Server) arm(tm *timer, d time.Duration, f func()) {
	tm.stop()
	g := tm.gen
	tm.t = s.clock.AfterFunc(max(d, 0), func() {
		s.lock()
		defer s.unlock()
		if s.closed || tm.gen != g {
			return
		}
		tm.t = nil
		f()
	})
}

// now is the clock's time in UTC.
func (s *Server) now() time.Time { return s.clock.Now().UTC() }

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
