package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"

	"github.com/agentdesk/agentdesk/hub/api"
)

// coreCluster is the core's side of a cluster: it opens the sockets the
// edges hold, as peers like its own (a vconn for a websocket), so every
// chat, route and line stays in this one hub and its store, whichever hub
// the customer and the agent reached.
type coreCluster struct {
	s        *Server
	nc       *nats.Conn
	prefix   string
	instance string
	subs     []*nats.Subscription
	stop     chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	conns  map[string]*vconn    // edge + "." + id
	edges  map[string]edgeAlive // by node
	closed bool
}

type edgeAlive struct {
	instance string
	at       time.Time
}

// vconn is one socket an edge holds for the core: the peer's wsConn (what
// the core writes is published to the edge) and its frameSource (what the
// edge publishes arrives here).
type vconn struct {
	cc       *coreCluster
	edge, id string
	out      string      // the edge's subject for it
	in       chan []byte // its frames, in order
	max      int64
	once     sync.Once
	done     chan struct{} // closed when it ended, either side
}

// vconnQueue is how many frames may wait for the core to read them; a
// socket beyond it is cut off, as a slow reader is.
const vconnQueue = 256

func newCoreCluster(s *Server, nc *nats.Conn) (*coreCluster, error) {
	k := s.cfg.Cluster
	cc := &coreCluster{s: s, nc: nc, prefix: k.Subject, instance: newInstance(),
		conns: map[string]*vconn{}, edges: map[string]edgeAlive{},
		stop: make(chan struct{}), done: make(chan struct{})}
	subs, err := subscribe(nc, map[string]nats.MsgHandler{
		subj(cc.prefix, "core", "open"):       cc.open,
		subj(cc.prefix, "core", "in", ">"):    cc.frame,
		subj(cc.prefix, "edge", "*", "alive"): cc.edgeAlive,
	})
	if err != nil {
		return nil, err
	}
	cc.subs = subs
	go cc.run()
	return cc, nil
}

// beat is the core's heartbeat.
func (cc *coreCluster) beat() []byte {
	b, _ := json.Marshal(coreBeat{Instance: cc.instance, URL: cc.s.cfg.Cluster.Advertise})
	return b
}

func (cc *coreCluster) unsubscribe() { unsubscribe(cc.subs) }

// run beats the core's heartbeat and ends the sockets of edges gone
// silent.
func (cc *coreCluster) run() {
	defer close(cc.done)
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	alive := subj(cc.prefix, "core", "alive")
	for {
		_ = cc.nc.Publish(alive, cc.beat())
		select {
		case <-cc.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		var gone []*vconn
		cc.mu.Lock()
		for _, v := range cc.conns {
			if e, ok := cc.edges[v.edge]; !ok || now.Sub(e.at) > silentFor {
				gone = append(gone, v)
			}
		}
		cc.mu.Unlock()
		for _, v := range gone {
			cc.s.log.Warn("cluster: edge silent; its socket is taken for closed", "edge", v.edge)
			v.end()
		}
	}
}

// close stops the core's side: what the peers wrote is flushed first.
func (cc *coreCluster) close() {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return
	}
	cc.closed = true
	cc.mu.Unlock()
	close(cc.stop)
	<-cc.done
	cc.unsubscribe()
	_ = cc.nc.FlushTimeout(2 * time.Second)
	cc.nc.Close()
}

func (cc *coreCluster) edgeAlive(m *nats.Msg) {
	parts := strings.Split(m.Subject, ".")
	if len(parts) < 4 {
		return
	}
	edge, inst := parts[len(parts)-2], string(m.Data)
	cc.mu.Lock()
	prev := cc.edges[edge]
	cc.edges[edge] = edgeAlive{instance: inst, at: time.Now()}
	if prev.instance != inst {
		// A new edge (or one restarted) hears the core at once, not at
		// the next beat.
		_ = cc.nc.Publish(subj(cc.prefix, "core", "alive"), cc.beat())
	}
	var gone []*vconn
	if prev.instance != "" && prev.instance != inst {
		for _, v := range cc.conns { // the edge restarted: its old sockets are gone
			if v.edge == edge {
				gone = append(gone, v)
			}
		}
	}
	cc.mu.Unlock()
	for _, v := range gone {
		v.end()
	}
}

// open answers an edge's new socket: refused in the words a hub alone
// would answer, or opened and read like a websocket of the core's own.
func (cc *coreCluster) open(m *nats.Msg) {
	s := cc.s
	var req openRequest
	reply := func(r openReply) {
		b, _ := json.Marshal(r)
		_ = m.Respond(b)
	}
	if err := json.Unmarshal(m.Data, &req); err != nil || !nodeName.MatchString(req.Edge) || !nodeName.MatchString(req.ID) ||
		(req.Kind != "agent" && req.Kind != "customer") {
		reply(openReply{Status: http.StatusBadRequest, Code: api.ErrBadRequest, Message: "cluster: a bad open request"})
		return
	}
	if req.Kind == "customer" {
		switch s.admitCustomer(req.IP) {
		case overIP:
			reply(openReply{Status: http.StatusTooManyRequests, Code: api.ErrTooManyConnections, Retry: "30",
				Message: "this address has " + strconv.Itoa(s.cfg.Limits.CustomersPerIP) + " chat connections open, the most it may (limits.customers_per_ip)"})
			return
		case overTotal:
			reply(openReply{Status: http.StatusServiceUnavailable, Code: api.ErrTooManyConnections, Retry: "30",
				Message: "the hub is serving " + strconv.Itoa(s.conns.customers) + " customers, the most it may (limits.max_customers); try again in a moment"})
			return
		}
	}
	v := &vconn{cc: cc, edge: req.Edge, id: req.ID, out: subj(cc.prefix, "edge", req.Edge, "out", req.ID),
		in: make(chan []byte, vconnQueue), max: s.cfg.MaxFrameBytes, done: make(chan struct{})}
	key := req.Edge + "." + req.ID
	cc.mu.Lock()
	_, dup := cc.conns[key]
	if !dup && !cc.closed {
		cc.conns[key] = v
		if _, ok := cc.edges[req.Edge]; !ok {
			cc.edges[req.Edge] = edgeAlive{at: time.Now()}
		}
	}
	closed := cc.closed
	cc.mu.Unlock()
	refuse := func(r openReply) {
		if req.Kind == "customer" {
			s.leaveCustomer(req.IP)
		}
		reply(r)
	}
	if dup {
		refuse(openReply{Status: http.StatusConflict, Code: api.ErrBadRequest, Message: "cluster: that socket is open already"})
		return
	}
	if closed {
		refuse(openReply{Status: http.StatusServiceUnavailable, Code: api.ErrUnavailable, Message: "the hub is shutting down"})
		return
	}
	var reason string
	if req.Kind == "agent" {
		reason = "send hello with your token within " + s.cfg.Limits.HelloTimeout.String()
	} else {
		reason = "join a chat within " + s.cfg.Limits.HelloTimeout.String()
	}
	p := s.newSocket(v, reason)
	if p == nil {
		cc.forget(v)
		refuse(openReply{Status: http.StatusServiceUnavailable, Code: api.ErrUnavailable, Message: "the hub is shutting down"})
		return
	}
	reply(openReply{})
	go func() {
		defer cc.forget(v)
		defer s.dropPeer(p)
		if req.Kind == "agent" {
			as := &agentSocket{s: s, p: p}
			s.readLoop(p, v, as.frame)
			as.gone()
			return
		}
		defer s.leaveCustomer(req.IP)
		cs := s.newCustomerSocket(p)
		s.readLoop(p, v, cs.frame)
		cs.gone()
	}()
}

func (cc *coreCluster) forget(v *vconn) {
	v.end()
	cc.mu.Lock()
	if cc.conns[v.edge+"."+v.id] == v {
		delete(cc.conns, v.edge+"."+v.id)
	}
	cc.mu.Unlock()
}

// frame hands a frame an edge read to its socket's reader; a close from
// the edge ends the socket.
func (cc *coreCluster) frame(m *nats.Msg) {
	key, ok := strings.CutPrefix(m.Subject, cc.prefix+".core.in.")
	if !ok {
		return
	}
	cc.mu.Lock()
	v := cc.conns[key]
	cc.mu.Unlock()
	if v == nil {
		return
	}
	if m.Header.Get(hdrClose) != "" {
		v.end()
		return
	}
	select {
	case v.in <- m.Data:
	case <-v.done:
	default: // the core cannot keep up with this socket: cut it off
		v.shut("1008 too many frames unread")
	}
}

// next is the socket's next frame (frameSource).
func (v *vconn) next() ([]byte, error) {
	select {
	case b := <-v.in:
		if int64(len(b)) > v.max {
			return nil, errTooLarge
		}
		return b, nil
	case <-v.done:
		return nil, io.EOF
	}
}

// end ends the socket on the core's side (idempotent).
func (v *vconn) end() { v.once.Do(func() { close(v.done) }) }

// shut tells the edge to close the socket ("code reason", or "now"), and
// ends it here.
func (v *vconn) shut(how string) {
	select {
	case <-v.done:
		return
	default:
	}
	msg := nats.NewMsg(v.out)
	msg.Header.Set(hdrClose, how)
	_ = v.cc.nc.PublishMsg(msg)
	v.end()
}

// Write sends a frame to the edge (wsConn).
func (v *vconn) Write(_ context.Context, _ websocket.MessageType, b []byte) error {
	select {
	case <-v.done:
		return errVconnClosed
	default:
	}
	return v.cc.nc.Publish(v.out, b)
}

// Close asks the edge to close the socket with code and reason.
func (v *vconn) Close(code websocket.StatusCode, reason string) error {
	v.shut(strconv.Itoa(int(code)) + " " + reason)
	return nil
}

// CloseNow asks the edge to drop the socket.
func (v *vconn) CloseNow() error {
	v.shut("now")
	return nil
}

// Ping fails once the edge has gone silent: its websocket's own pings are
// the edge's business.
func (v *vconn) Ping(context.Context) error {
	v.cc.mu.Lock()
	e, ok := v.cc.edges[v.edge]
	v.cc.mu.Unlock()
	if !ok || time.Since(e.at) > silentFor {
		return errEdgeSilent
	}
	return nil
}

var (
	errEdgeSilent  = errors.New("cluster: the edge holding the socket is silent")
	errVconnClosed = errors.New("cluster: the socket is closed")
)
