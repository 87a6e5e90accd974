package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/agentdesk/agentdesk/hub/api"
)

// edgeCluster is an edge's side of a cluster: it holds customers' and
// agents' websockets and carries their frames to the core over NATS, and
// forwards every other request (the recording API, uploads, files, the
// web app) to the core's HTTP address. It keeps no chat of its own.
type edgeCluster struct {
	s        *Server
	nc       *nats.Conn
	prefix   string
	node     string
	instance string
	proxy    *httputil.ReverseProxy
	subs     []*nats.Subscription
	stop     chan struct{}
	done     chan struct{}

	mu       sync.Mutex
	socks    map[string]*edgeSocket
	closeWhy string    // what close tells the log ("" : the edge is shutting down)
	core     string    // the core's instance last heard
	coreURL  *url.URL  // where it takes HTTP: cluster.core_url, or what it advertises
	coreSeen time.Time // when
	closed   bool
}

// edgeSocket is one websocket an edge holds for the core.
type edgeSocket struct {
	id   string
	out  chan *nats.Msg // frames and the close from the core, in order
	gone chan struct{}  // closed when the socket ended
	once sync.Once
}

func (es *edgeSocket) end() { es.once.Do(func() { close(es.gone) }) }

func newEdgeCluster(s *Server, nc *nats.Conn) (*edgeCluster, error) {
	k := s.cfg.Cluster
	ec := &edgeCluster{s: s, nc: nc, prefix: k.Subject, node: k.Node, instance: newInstance(),
		socks: map[string]*edgeSocket{}, stop: make(chan struct{}), done: make(chan struct{})}
	ec.coreURL = k.coreURL
	ec.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			ec.mu.Lock()
			target := ec.coreURL
			ec.mu.Unlock()
			if target == nil { // not heard yet: the error handler answers
				target = &url.URL{Scheme: "http", Host: "core.invalid"}
			}
			r.SetURL(target)
			r.Out.Host = r.In.Host
			// The core believes these from a trusted proxy: the client's
			// address as this edge worked it out, and its scheme.
			r.Out.Header.Set("X-Forwarded-For", s.clientIP(r.In))
			proto := "http"
			if r.In.TLS != nil || (s.fromTrustedProxy(r.In) && r.In.Header.Get("X-Forwarded-Proto") == "https") {
				proto = "https"
			}
			r.Out.Header.Set("X-Forwarded-Proto", proto)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.log.Warn("cluster: the core does not answer", "err", err)
			api.WriteError(w, http.StatusBadGateway, api.ErrUnavailable, "the core hub does not answer just now; try again in a moment")
		},
	}
	subs, err := subscribe(nc, map[string]nats.MsgHandler{
		subj(ec.prefix, "edge", ec.node, "out", "*"): ec.frame,
		subj(ec.prefix, "core", "alive"):             ec.coreAlive,
	})
	if err != nil {
		return nil, err
	}
	ec.subs = subs
	go ec.run()
	return ec, nil
}

func (ec *edgeCluster) unsubscribe() { unsubscribe(ec.subs) }

// run beats the edge's heartbeat and, when the core has gone silent or
// restarted, tells every socket the hub is restarting: their chats live
// on in the store, and they reconnect and resume.
func (ec *edgeCluster) run() {
	defer close(ec.done)
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	alive := subj(ec.prefix, "edge", ec.node, "alive")
	for {
		_ = ec.nc.Publish(alive, []byte(ec.instance))
		select {
		case <-ec.stop:
			return
		case <-t.C:
		}
		ec.mu.Lock()
		silent := !ec.coreSeen.IsZero() && time.Since(ec.coreSeen) > silentFor
		ec.mu.Unlock()
		if silent {
			ec.restartAll("the core hub is silent")
		}
	}
}

// restartAll closes every socket as a restarting hub does (1012): the
// clients reconnect (through the load balancer) and resume.
func (ec *edgeCluster) restartAll(why string) {
	ec.mu.Lock()
	socks := make([]*edgeSocket, 0, len(ec.socks))
	for _, es := range ec.socks {
		socks = append(socks, es)
	}
	ec.mu.Unlock()
	if len(socks) > 0 {
		ec.s.log.Warn("cluster: closing the sockets this edge holds; they reconnect", "why", why, "sockets", len(socks))
	}
	for _, es := range socks {
		m := nats.NewMsg("")
		m.Header.Set(hdrClose, strconv.Itoa(int(websocket.StatusServiceRestart))+" hub restarting")
		select {
		case es.out <- m:
		default:
			es.end()
		}
	}
}

func (ec *edgeCluster) coreAlive(m *nats.Msg) {
	var beat coreBeat
	if json.Unmarshal(m.Data, &beat) != nil || beat.Instance == "" {
		return
	}
	inst := beat.Instance
	ec.mu.Lock()
	prev := ec.core
	ec.core, ec.coreSeen = inst, time.Now()
	if beat.URL != "" && ec.s.cfg.Cluster.CoreURL == "" {
		if u, err := url.Parse(beat.URL); err == nil {
			ec.coreURL = u
		}
	}
	ec.mu.Unlock()
	if prev != "" && prev != inst {
		ec.restartAll("the core hub restarted")
	}
}

// coreUp reports whether the core was heard from lately.
func (ec *edgeCluster) coreUp() (bool, time.Duration) {
	ec.mu.Lock()
	defer ec.mu.Unlock()
	if ec.coreSeen.IsZero() {
		return false, 0
	}
	d := time.Since(ec.coreSeen)
	return d <= silentFor, d
}

// frame hands what the core sent to its socket's writer.
func (ec *edgeCluster) frame(m *nats.Msg) {
	id := m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	ec.mu.Lock()
	es := ec.socks[id]
	ec.mu.Unlock()
	if es == nil {
		return
	}
	select {
	case es.out <- m:
	default: // the client does not read: cut it off, as the core would
		es.end()
	}
}

func (ec *edgeCluster) close() {
	ec.mu.Lock()
	if ec.closed {
		ec.mu.Unlock()
		return
	}
	ec.closed = true
	why := ec.closeWhy
	ec.mu.Unlock()
	if why == "" {
		why = "the edge is shutting down"
	}
	close(ec.stop)
	<-ec.done
	ec.restartAll(why)
	ec.unsubscribe()
	_ = ec.nc.FlushTimeout(2 * time.Second)
	ec.nc.Close()
}

// serveSocket holds a websocket for the core: the core admits it (or
// refuses it in the words it would answer itself), then frames flow both
// ways until either side ends it.
func (ec *edgeCluster) serveSocket(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := ec.s
		if up, _ := ec.coreUp(); !up {
			w.Header().Set("Retry-After", "5")
			api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the core hub cannot be reached just now; try again in a moment")
			return
		}
		es := &edgeSocket{id: newInstance(), out: make(chan *nats.Msg, maxQueue), gone: make(chan struct{})}
		ec.mu.Lock()
		if ec.closed {
			ec.mu.Unlock()
			http.Error(w, "the hub is shutting down", http.StatusServiceUnavailable)
			return
		}
		ec.socks[es.id] = es
		ec.mu.Unlock()
		defer func() {
			ec.mu.Lock()
			delete(ec.socks, es.id)
			ec.mu.Unlock()
		}()
		in := subj(ec.prefix, "core", "in", ec.node, es.id)
		tell := func() { // the client is gone: the core's socket ends
			m := nats.NewMsg(in)
			m.Header.Set(hdrClose, "gone")
			_ = ec.nc.PublishMsg(m)
		}
		req, _ := json.Marshal(openRequest{Edge: ec.node, ID: es.id, Kind: kind, IP: s.clientIP(r)})
		res, err := ec.nc.Request(subj(ec.prefix, "core", "open"), req, 5*time.Second)
		if err != nil {
			s.log.Warn("cluster: the core did not open a socket", "err", err)
			w.Header().Set("Retry-After", "5")
			api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the core hub cannot be reached just now; try again in a moment")
			return
		}
		var rep openReply
		if err := json.Unmarshal(res.Data, &rep); err != nil {
			rep = openReply{Status: http.StatusBadGateway, Code: api.ErrInternal, Message: "cluster: the core's answer is not understood"}
		}
		if rep.Status != 0 {
			if rep.Retry != "" {
				w.Header().Set("Retry-After", rep.Retry)
			}
			api.WriteError(w, rep.Status, rep.Code, "%s", rep.Message)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			tell()
			return
		}
		c.SetReadLimit(4*s.cfg.MaxFrameBytes + 1024)
		go ec.write(c, es)
		go ec.keepalive(c, es)
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				break
			}
			if err := ec.nc.Publish(in, b); err != nil {
				break
			}
		}
		es.end()
		tell()
		_ = c.CloseNow()
	}
}

// write writes what the core sent, in order, and closes the socket when
// the core says so.
func (ec *edgeCluster) write(c *websocket.Conn, es *edgeSocket) {
	for {
		select {
		case <-es.gone:
			_ = c.CloseNow()
			return
		case m := <-es.out:
			how := m.Header.Get(hdrClose)
			if how == "" {
				if err := c.Write(context.Background(), websocket.MessageText, m.Data); err != nil {
					es.end()
					_ = c.CloseNow()
					return
				}
				continue
			}
			es.end()
			code, reason, _ := strings.Cut(how, " ")
			n, err := strconv.Atoi(code)
			if how == "now" || err != nil {
				_ = c.CloseNow()
				return
			}
			_ = c.Close(websocket.StatusCode(n), reason)
			return
		}
	}
}

// keepalive pings the client as the core pings its own sockets, and cuts
// off one that does not answer.
func (ec *edgeCluster) keepalive(c *websocket.Conn, es *edgeSocket) {
	l := ec.s.cfg.Limits
	t := time.NewTicker(l.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-es.gone:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.PingTimeout)
		err := c.Ping(ctx)
		cancel()
		if err != nil {
			es.end()
			return
		}
	}
}

// EdgeHealth is the body of an edge's /healthz and /readyz.
type EdgeHealth struct {
	OK    bool   `json:"ok"`
	Role  string `json:"role"`
	Node  string `json:"node"`
	NATS  string `json:"nats"` // "ok" or its state
	Core  string `json:"core"` // "ok" or how long it has been silent
	Socks int    `json:"sockets"`
}

func (ec *edgeCluster) health() EdgeHealth {
	h := EdgeHealth{OK: true, Role: RoleEdge, Node: ec.node, NATS: "ok", Core: "ok"}
	if !ec.nc.IsConnected() {
		h.OK, h.NATS = false, strings.ToLower(ec.nc.Status().String())
	}
	if up, d := ec.coreUp(); !up {
		h.OK = false
		if d == 0 {
			h.Core = "not heard from yet"
		} else {
			h.Core = "silent for " + d.Round(time.Millisecond).String()
		}
	}
	ec.mu.Lock()
	h.Socks = len(ec.socks)
	ec.mu.Unlock()
	return h
}

func (ec *edgeCluster) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := ec.health()
	status := http.StatusOK
	if !h.OK {
		status = http.StatusServiceUnavailable
	}
	api.WriteJSON(w, status, h)
}

// routes are an edge's: its own sockets, health and page; everything else
// goes to the core.
func (ec *edgeCluster) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/agent", ec.serveSocket("agent"))
	mux.HandleFunc("GET /v1/customer", ec.serveSocket("customer"))
	mux.HandleFunc("GET /healthz", ec.serveHealth)
	mux.HandleFunc("GET /readyz", ec.serveHealth)
	mux.Handle("/v1/", ec.proxy)
	mux.Handle("/app/", ec.proxy)
	mux.Handle("/app", ec.proxy)
}
