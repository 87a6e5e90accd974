package hub

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Room kept beyond the connection caps: a connection over limits.max_connections
// (or connections_per_ip) but within this reserve is still read, so it can
// be told why it is refused and /healthz answers on it; beyond the reserve
// a connection is closed as soon as it is accepted.
const (
	connReserve  = 32
	ipReserve    = 8
	fdsForTheHub = 64 // the store, the log, the listener, the runtime's own
)

// connLimits are the effective connection caps of a running hub:
// limits.max_connections lowered to what the open-file limit allows, and
// max_customers filled in.
type connLimits struct {
	max, perIP, customers int
}

// effectiveConnLimits fits the configured caps under the process's
// open-file limit (RLIMIT_NOFILE, which Go raises to its hard limit), so
// the hub refuses connections in words before it runs out of descriptors.
func effectiveConnLimits(l Limits, log *slog.Logger) connLimits {
	c := connLimits{max: l.MaxConnections, perIP: l.ConnectionsPerIP, customers: l.MaxCustomers}
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err == nil && r.Cur < 1<<31 {
		room := int(r.Cur) - fdsForTheHub - l.MaxTransfers - connReserve
		if room < c.max {
			log.Warn("limits.max_connections is more than the open-file limit allows: lowered; raise the limit (systemd: LimitNOFILE=) to serve more",
				"max_connections", l.MaxConnections, "open_file_limit", r.Cur, "using", max(room, 16))
			c.max = max(room, 16)
		}
	}
	if c.customers == 0 || c.customers > c.max {
		c.customers = c.max * 9 / 10 // agents and /healthz keep room
	}
	return c
}

// Listener wraps ln so the hub counts open connections, in all and per
// address: within limits.max_connections (and connections_per_ip) they are
// served; a little beyond, their requests are answered 503 (429 for one
// address) with the reason, and /healthz still answers; beyond that a
// connection is closed as soon as it is accepted. Trusted proxies are
// counted in all but not per address.
func (s *Server) Listener(ln net.Listener) net.Listener {
	l := &limitListener{Listener: ln, s: s, byIP: map[netip.Addr]int{}}
	s.lns.Store(l)
	return l
}

type limitListener struct {
	net.Listener
	s *Server

	mu      sync.Mutex
	total   int
	byIP    map[netip.Addr]int
	dropped int       // closed at accept since the last log line
	logged  time.Time // when the last "dropped" line was logged
}

// Over-limit states of a connection.
const (
	admitted = iota
	overTotal
	overIP
)

// limitedConn is a counted connection.
type limitedConn struct {
	net.Conn
	l     *limitListener
	ip    netip.Addr
	perIP bool // counted per address (not a trusted proxy)
	state int
	once  sync.Once
}

// Close closes the connection and gives its place back (once).
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

// Accept returns the next connection within the caps; those beyond the
// reserve are closed here.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.admit(conn); c != nil {
			return c, nil
		}
		_ = conn.Close()
	}
}

func (l *limitListener) admit(conn net.Conn) *limitedConn {
	c := &limitedConn{Conn: conn, l: l}
	l.mu.Lock() // l.s too: a cluster's node changes it (Node)
	defer l.mu.Unlock()
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		c.ip = ap.Addr().Unmap()
		c.perIP = !l.s.cfg.trusted(c.ip)
	}
	lim := l.s.conns
	n := l.byIP[c.ip] + 1
	switch {
	case l.total+1 > lim.max+connReserve, c.perIP && n > lim.perIP+ipReserve:
		l.dropped++
		if now := time.Now(); now.Sub(l.logged) > 10*time.Second {
			l.s.log.Warn("connections closed at once: the hub is at its connection caps (limits.max_connections, limits.connections_per_ip)",
				"closed", l.dropped, "open", l.total, "last_from", c.ip)
			l.logged, l.dropped = now, 0
		}
		return nil
	case l.total+1 > lim.max:
		c.state = overTotal
	case c.perIP && n > lim.perIP:
		c.state = overIP
	}
	l.total++
	if c.perIP {
		l.byIP[c.ip] = n
	}
	return c
}

func (l *limitListener) release(c *limitedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if c.perIP {
		if l.byIP[c.ip]--; l.byIP[c.ip] <= 0 {
			delete(l.byIP, c.ip)
		}
	}
}

type connKey struct{}

// connContext puts the counted connection into its requests' context.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if lc, ok := c.(*limitedConn); ok {
		return context.WithValue(ctx, connKey{}, lc)
	}
	return ctx
}

// HTTPServer is the http.Server that serves the hub: Handler with
// timeouts from limits (headers, plain requests, keep-alive idle; uploads,
// downloads and websockets keep their own), HTTP/1.1 only (websockets need
// it, and each connection is one counted client), TLS when the config has
// a certificate (serve it with ServeTLS(ln, "", "")). Serve it on
// s.Listener(ln) for the connection caps.
func (s *Server) HTTPServer() *http.Server {
	l := s.cfg.Limits
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: min(10*time.Second, l.RequestTimeout),
		ReadTimeout:       l.RequestTimeout,
		WriteTimeout:      l.RequestTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnContext:       connContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug), // TLS handshake noise from scanners
		Protocols:         new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	if s.cfg.cert != nil {
		srv.TLSConfig = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.cfg.cert.get,
			NextProtos:     []string{"http/1.1"},
		}
	}
	return srv
}
