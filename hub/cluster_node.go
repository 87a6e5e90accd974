package hub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// Node is a hub of a cluster with role auto (issue 16 point 4): the core
// while it holds the store, an edge until then. Every node tries to take
// the store; the one that gets it (SQLite's lock on a shared folder, or
// PostgreSQL's) resumes every chat from it, as a restarted hub does, and
// the others carry their sockets to it. When the core dies its lock goes
// with it: the next node to take the store becomes the core within a
// second or two, and the edges close their sockets with 1012, so clients
// reconnect and resume.
type Node struct {
	cfg  *Config
	opts Options

	mu      sync.Mutex
	cur     *Server
	handler http.Handler
	closed  bool
	stop    chan struct{}
	done    chan struct{}
	// held says whether another hub holds the store, cheaply (nil: no way
	// to ask; every try opens the store).
	held storeProbe
}

// tryEvery is how often an edge of role auto tries to take the store.
const tryEvery = 500 * time.Millisecond

// OpenNode opens a hub of role auto: the core when the store is free, an
// edge otherwise (and it keeps trying).
func OpenNode(cfg *Config, opts Options) (*Node, error) {
	n := &Node{cfg: cfg, opts: opts, stop: make(chan struct{}), done: make(chan struct{})}
	s, err := n.open(RoleAuto)
	if errors.Is(err, store.ErrInUse) {
		s, err = n.open(RoleEdge)
	}
	if err != nil {
		return nil, err
	}
	n.set(s)
	n.held = storeHeld(cfg.Store)
	go n.run()
	return n, nil
}

// storeProbe is how an edge asks whether the core still holds the store
// without opening it (an Open costs a pool of connections, the
// migrations' check and the lock's try, twice a second on every edge):
// one PostgreSQL connection reading pg_locks (*postgres.Probe), or
// SQLite's lock file.
type storeProbe interface {
	Held(ctx context.Context) (bool, error)
	Close() error
}

// sqliteProbe is the path of a SQLite store's index.db.
type sqliteProbe string

func (p sqliteProbe) Held(context.Context) (bool, error) { return sqlite.Held(string(p)) }
func (sqliteProbe) Close() error                         { return nil }

// storeHeld is the store's probe; nil for one in memory.
func storeHeld(sc StoreConfig) storeProbe {
	switch {
	case sc.Driver == DriverPostgres:
		dsn := sc.dsn
		if dsn == "" {
			dsn = sc.DSN // a config built in code, not validated
		}
		return postgres.NewProbe(dsn)
	case sc.Dir != "":
		return sqliteProbe(filepath.Join(sc.Dir, "index.db"))
	}
	return nil
}

// open opens the hub in role (auto: the core).
func (n *Node) open(role string) (*Server, error) {
	c := *n.cfg
	c.Cluster.Role = role
	if role == RoleEdge {
		c.Store = StoreConfig{} // the core's: an edge keeps nothing
	}
	return Open(&c, n.opts)
}

func (n *Node) set(s *Server) {
	n.mu.Lock()
	n.cur, n.handler = s, s.Handler()
	n.mu.Unlock()
}

// Server is the hub this node is now (its core or its edge).
func (n *Node) Server() *Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cur
}

// IsCore reports whether the node is the core now.
func (n *Node) IsCore() bool {
	s := n.Server()
	return s != nil && s.edge == nil
}

// run tries to take the store while the node is an edge.
func (n *Node) run() {
	defer close(n.done)
	t := time.NewTicker(tryEvery)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		if n.IsCore() {
			continue
		}
		if n.held != nil {
			ctx, cancel := context.WithTimeout(context.Background(), tryEvery)
			held, err := n.held.Held(ctx)
			cancel()
			if err == nil && held {
				continue // the core is alive: no Open
			}
		}
		s, err := n.open(RoleAuto)
		if err != nil {
			if !errors.Is(err, store.ErrInUse) {
				n.Server().log.Error("cluster: cannot take the store", "err", err)
			}
			continue
		}
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			s.Close()
			_ = s.CloseStore()
			return
		}
		old := n.cur
		if l := old.lns.Load(); l != nil {
			l.mu.Lock()
			l.s = s
			l.mu.Unlock()
			s.lns.Store(l)
		}
		n.cur, n.handler = s, s.Handler()
		n.mu.Unlock()
		s.log.Info("cluster: this hub is the core now", "node", n.cfg.Cluster.Node)
		if n.held != nil {
			_ = n.held.Close() // a core asks no more
		}
		if old.edge != nil {
			old.edge.mu.Lock()
			old.edge.closeWhy = "this hub is the core now: its sockets reconnect to it"
			old.edge.mu.Unlock()
		}
		old.Close() // its sockets reconnect: to the core, here or elsewhere
		_ = old.CloseStore()
	}
}

// ServeHTTP serves as the hub the node is now.
func (n *Node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	h := n.handler
	n.mu.Unlock()
	h.ServeHTTP(w, r)
}

// Close closes the hub the node is (its sockets are told it restarts).
func (n *Node) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.mu.Unlock()
	close(n.stop)
	<-n.done
	if n.held != nil {
		_ = n.held.Close()
	}
	n.Server().Close()
}

// CloseStore closes the hub's store (after Close).
func (n *Node) CloseStore() error { return n.Server().CloseStore() }

// HTTPServer is the http.Server to serve the node with: the first hub's
// timeouts, the node as its handler.
func (n *Node) HTTPServer() *http.Server {
	srv := n.Server().HTTPServer()
	srv.Handler = n
	return srv
}

// Listener counts and caps connections as Server.Listener does; the hub
// the node becomes later counts on it too.
func (n *Node) Listener(ln net.Listener) net.Listener {
	return n.Server().Listener(ln)
}
