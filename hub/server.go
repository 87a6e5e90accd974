// Package hub is the contact centre's server: the customer web chat page,
// the agent and customer websockets, routing of chats to agents, the
// timers of an interaction's life (R-I1, R-I4, R-I11), and recording: one
// session.Recorder per chat fed by the agent's buttons, the config's
// policies, the customer's consent and the dynamic recording API, with the
// finished recordings kept in memory (issue 4).
//
// All state lives behind one read-write mutex: state changes hold it
// exclusively, the hot path of relaying messages holds it shared plus the
// chat's own mutex, so chats relay in parallel. Frames to a socket are queued
// without blocking and written by that socket's own goroutine, so a slow peer
// never holds a lock. Every state change of a chat goes through Server.move,
// which asks session.Transition.
package hub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// Server is a running hub. Build it with New, serve Handler, end it with Close.
type Server struct {
	cfg *Config
	log *slog.Logger

	// mu guards everything. Relaying a message (send, typing, push_url)
	// holds it shared plus the chat's own lock; every other change holds it
	// exclusively.
	mu       sync.RWMutex
	closed   bool
	agents   map[string]*agent // by token
	chats    map[string]*chat  // by id, kept after done so late frames get chat_ended
	resumes  map[string]*chat  // by resume token
	queues   map[string][]*chat
	history  map[string][]session.Session // by contact id, oldest first (R-I2)
	peers    map[*peer]struct{}
	seq      int64 // for chat ids and idle ordering
	customer int   // customer sockets open
	store    recStore
	ingest   atomic.Pointer[ingest] // the recording store; nil until OpenStore
}

// New builds a hub on a validated configuration. log may be nil (discard).
func New(cfg *Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg: cfg, log: log,
		agents:  map[string]*agent{},
		chats:   map[string]*chat{},
		resumes: map[string]*chat{},
		queues:  map[string][]*chat{},
		history: map[string][]session.Session{},
		peers:   map[*peer]struct{}{},
		store:   recStore{names: map[string]bool{}},
	}
	for _, a := range cfg.Agents {
		s.agents[a.Token] = &agent{cfg: a, chats: map[string]*chat{}}
	}
	return s
}

// Handler serves "/" (the customer page and its queues.json), "/v1/customer",
// "/v1/agent", "/healthz" and the recording API: "/v1/recording",
// "/v1/recordings" and "/v1/abusive" (docs/recording-api.md), and the
// recording store once OpenStore ran: tus uploads on "/v1/uploads/",
// "/v1/uploads/verify/{sha256}" and "/v1/files/{id}" (docs/uploads.md).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent", s.serveAgent)
	mux.HandleFunc("GET /v1/customer", s.serveCustomer)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	s.handleAPI(mux, http.MethodPost, "/v1/recording", s.serveRecordingAPI)
	s.handleAPI(mux, http.MethodGet, "/v1/recordings", s.serveRecordingList)
	s.handleAPI(mux, http.MethodPost, "/v1/abusive", s.serveAbusive)
	for _, m := range []string{"POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "GET"} {
		mux.HandleFunc(m+" /v1/uploads/", s.serveUploads)
	}
	mux.HandleFunc("GET /v1/files/{id}", s.serveFile)
	mux.HandleFunc("GET /queues.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.cfg.Queues)
	})
	mux.Handle("GET /", webHandler())
	return mux
}

// Health is the body of /healthz.
type Health struct {
	OK           bool `json:"ok"`
	AgentsOnline int  `json:"agents_online"`
	AgentsReady  int  `json:"agents_ready"`
	ChatsLive    int  `json:"chats_live"`
	ChatsQueued  int  `json:"chats_queued"`
	Customers    int  `json:"customers"`
}

// Health counts agents and chats.
func (s *Server) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := Health{OK: !s.closed, Customers: s.customer}
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
	}
	for _, q := range s.queues {
		h.ChatsQueued += len(q)
	}
	return h
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := s.Health()
	w.Header().Set("Content-Type", "application/json")
	if !h.OK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(h)
}

// Close ends every socket and timer. It is idempotent and does not wait for
// peers to answer the close handshake.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, c := range s.chats {
		c.stopTimers()
		if c.cust != nil && c.state.Live() {
			c.cust.send(session.TypeEnded, "", session.EndedData{Reason: session.EndHubShutdown})
		}
	}
	for _, a := range s.agents {
		a.grace.stop()
	}
	peers := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
		p.closeAfter(websocket.StatusGoingAway, "hub shutting down") // after what is queued
	}
	s.mu.Unlock()
	// A peer that does not read cannot be closed politely: cut it off.
	time.AfterFunc(5*time.Second, func() {
		for _, p := range peers {
			p.kill()
		}
	})
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
	t   *time.Timer
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

// arm (re)starts tm to call f after d, under the lock.
func (s *Server) arm(tm *timer, d time.Duration, f func()) {
	tm.stop()
	g := tm.gen
	tm.t = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || tm.gen != g {
			return
		}
		tm.t = nil
		f()
	})
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
