package hubclient

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// fakeHub is a minimal /v1/agent endpoint: it checks hello, answers welcome
// with its chats, and records what it receives. It can be restarted on the
// same port and can go deaf (stop reading, so pings are never answered).
type fakeHub struct {
	t     *testing.T
	token string
	addr  string
	deaf  atomic.Bool
	mute  atomic.Bool // reads hello but never welcomes
	dials atomic.Int32
	got   chan session.Envelope

	mu    sync.Mutex
	chats []session.ChatData
	srv   *http.Server
	conns map[*websocket.Conn]bool
}

func newFakeHub(t *testing.T, token string) *fakeHub {
	t.Helper()
	h := &fakeHub{t: t, token: token, got: make(chan session.Envelope, 64), conns: map[*websocket.Conn]bool{}}
	h.start("127.0.0.1:0")
	t.Cleanup(h.stop)
	return h
}

func (h *fakeHub) url() string { return "http://" + h.addr }

func (h *fakeHub) start(addr string) {
	h.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.t.Fatalf("fake hub listen %s: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/agent", h.serve)
	srv := &http.Server{Handler: mux}
	h.mu.Lock()
	h.addr = ln.Addr().String()
	h.srv = srv
	h.mu.Unlock()
	go srv.Serve(ln)
}

// stop shuts the server and every socket, like a hub process ending.
func (h *fakeHub) stop() {
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	var conns []*websocket.Conn
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	for _, c := range conns {
		c.Close(websocket.StatusGoingAway, "hub shutting down")
	}
}

// restart stops the hub and starts it again on the same port.
func (h *fakeHub) restart() {
	h.t.Helper()
	h.stop()
	h.start(h.addr)
}

func (h *fakeHub) setChats(c ...session.ChatData) {
	h.mu.Lock()
	h.chats = c
	h.mu.Unlock()
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	h.dials.Add(1)
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	h.mu.Lock()
	h.conns[c] = true
	h.mu.Unlock()
	defer func() { h.mu.Lock(); delete(h.conns, c); h.mu.Unlock() }()

	ctx := r.Context()
	e, err := h.read(ctx, c)
	if err != nil {
		return
	}
	var hello session.HelloData
	if e.Type != session.TypeHello || e.Decode(&hello) != nil || hello.Token != h.token {
		h.send(ctx, c, session.TypeError, session.ErrorData{Code: session.ErrCodeUnauthorized, Message: "unknown agent token", Fatal: true})
		c.Close(4001, "unauthorized")
		return
	}
	if h.mute.Load() {
		<-ctx.Done()
		return
	}
	h.mu.Lock()
	chats := h.chats
	h.mu.Unlock()
	h.send(ctx, c, session.TypeWelcome, session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada"}, Chats: chats})
	if h.deaf.Load() {
		<-ctx.Done()
		return
	}
	for {
		e, err := h.read(ctx, c)
		if err != nil {
			return
		}
		if e.Type == session.TypeSend {
			h.send(ctx, c, session.TypeMessage, session.MessageData{From: session.FromAgent, Text: string(e.Data)})
		}
	}
}

func (h *fakeHub) read(ctx context.Context, c *websocket.Conn) (session.Envelope, error) {
	_, b, err := c.Read(ctx)
	if err != nil {
		return session.Envelope{}, err
	}
	var e session.Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	h.got <- e
	return e, nil
}

func (h *fakeHub) send(ctx context.Context, c *websocket.Conn, typ string, data any) {
	e, err := session.NewEnvelope(typ, "", data)
	if err != nil {
		h.t.Errorf("fake hub: %v", err)
		return
	}
	b, _ := json.Marshal(e)
	c.Write(ctx, websocket.MessageText, b)
}
