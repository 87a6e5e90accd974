package hub

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// testYAML is a configuration with short timers; tests override fields.
const testYAML = `
max_frame_bytes: 4096
timers:
  pending_warn: 1s
  pending_alarm: 2s
  acw: 10s
  offer_timeout: 10s
  inactivity_warn: 10s
  inactivity_timeout: 20s
  agent_grace: 10s
  contact_grace: 10s
dispositions: [Resolved, Escalated]
queues:
  - {name: general, title: General}
  - {name: billing, title: Billing}
agents:
  - {id: ada, name: Ada Lovelace, token: t-ada, capacity: 2, queues: [general, billing]}
  - {id: grace, name: Grace Hopper, token: t-grace, capacity: 1, queues: [general]}
  - {id: alan, name: Alan Turing, token: t-alan, capacity: 1, queues: [billing]}
recording:
  filename_template: "{queue}_{agent}_{kind}_{interaction}"
  api_tokens:
    - {name: sue, token: t-sue, role: supervisor}
    - {name: ivr, token: t-ivr, role: flow}
`

// wait bounds every await in the tests; events normally come in microseconds.
const wait = 5 * time.Second

func testConfig(t *testing.T, mutate func(*Config)) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(testYAML))
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

// newHub opens a hub on cfg (its store in cfg.Store.Dir, or in memory)
// in verify mode: every unlock checks that each change of a chat was
// marked for the store. The hub is closed at the end of the test.
func newHub(t testing.TB, cfg *Config) *Server {
	t.Helper()
	s, err := Open(cfg, Options{verify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); s.CloseStore(); checkUnmarked(t, s) })
	return s
}

// checkUnmarked fails the test for every change of a chat that was not
// marked for the store (verify mode).
func checkUnmarked(t testing.TB, s *Server) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.unmarked {
		t.Error(u)
	}
}

// startHub runs a hub on loopback and returns its ws:// base URL.
func startHub(t *testing.T, mutate func(*Config)) (*Server, string) {
	t.Helper()
	s := newHub(t, testConfig(t, mutate))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, "ws" + strings.TrimPrefix(ts.URL, "http")
}

// client is a real websocket client that collects envelopes.
type client struct {
	t    *testing.T
	conn *websocket.Conn
	in   chan session.Envelope
	done chan struct{}
	err  error // why the socket ended; read after done

	mu  sync.Mutex
	all []session.Envelope // every envelope received, in order (seen)
}

// seen is every envelope the client received so far, read or not.
func (c *client) seen() []session.Envelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

func dial(t *testing.T, base, path string) *client {
	t.Helper()
	return dialWith(t, base, path, nil)
}

// dialWith is dial with websocket dial options (a TLS client, a source
// address).
func dialWith(t *testing.T, base, path string, opts *websocket.DialOptions) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, base+path, opts)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	conn.SetReadLimit(1 << 20)
	c := &client{t: t, conn: conn, in: make(chan session.Envelope, 1024), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			var env session.Envelope
			if err := json.Unmarshal(b, &env); err != nil {
				c.err = err
				return
			}
			c.mu.Lock()
			c.all = append(c.all, env)
			c.mu.Unlock()
			c.in <- env
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

func (c *client) send(typ, chat string, data any) {
	c.t.Helper()
	env, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		c.t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	c.raw(b)
}

func (c *client) raw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect waits for the next envelope of type typ, skipping others.
func (c *client) expect(typ string) session.Envelope {
	c.t.Helper()
	timeout := time.After(wait)
	var skipped []string
	for {
		select {
		case env := <-c.in:
			if env.Type == typ {
				return env
			}
			skipped = append(skipped, env.Type+string(env.Data))
		case <-timeout:
			c.t.Fatalf("no %q within %v; got %v", typ, wait, skipped)
		}
	}
}

// expectData waits for typ and decodes its payload.
func expectData[T any](c *client, typ string) (T, session.Envelope) {
	c.t.Helper()
	env := c.expect(typ)
	var v T
	if err := env.Decode(&v); err != nil {
		c.t.Fatalf("%s: %v", typ, err)
	}
	return v, env
}

// expectNone asserts that no envelope of typ is waiting after a ping round
// trip (everything the hub sent before the pong has arrived by then).
func (c *client) expectNone(typ string) {
	c.t.Helper()
	c.send(session.TypePing, "", nil)
	for {
		select {
		case env := <-c.in:
			if env.Type == typ {
				c.t.Fatalf("unexpected %s: %s", typ, env.Data)
			}
			if env.Type == session.TypePong {
				return
			}
		case <-time.After(wait):
			c.t.Fatal("no pong")
		}
	}
}

// agentLogin dials /v1/agent, says hello and, if ready, goes ready.
func agentLogin(t *testing.T, base, token string, ready bool) (*client, session.WelcomeData) {
	t.Helper()
	return agentLoginWith(t, base, token, ready, nil)
}

// agentLoginWith is agentLogin with websocket dial options.
func agentLoginWith(t *testing.T, base, token string, ready bool, opts *websocket.DialOptions) (*client, session.WelcomeData) {
	t.Helper()
	a := dialWith(t, base, "/v1/agent", opts)
	a.send(session.TypeHello, "", session.HelloData{Token: token, Client: "test"})
	w, _ := expectData[session.WelcomeData](a, session.TypeWelcome)
	if ready {
		a.send(session.TypeReady, "", session.ReadyData{Ready: true})
		if d, _ := expectData[session.AgentData](a, session.TypeAgent); !d.Ready {
			t.Fatal("ready not echoed")
		}
	}
	return a, w
}

// customerJoin dials /v1/customer and joins.
func customerJoin(t *testing.T, base string, j session.JoinData) (*client, session.JoinedData) {
	t.Helper()
	return customerJoinWith(t, base, j, nil)
}

// customerJoinWith is customerJoin with websocket dial options.
func customerJoinWith(t *testing.T, base string, j session.JoinData, opts *websocket.DialOptions) (*client, session.JoinedData) {
	t.Helper()
	c := dialWith(t, base, "/v1/customer", opts)
	c.send(session.TypeJoin, "", j)
	d, _ := expectData[session.JoinedData](c, session.TypeJoined)
	return c, d
}

// connect gets an offer for chat to agent a and accepts it.
func connect(t *testing.T, a, cust *client, chat string) {
	t.Helper()
	off, env := expectData[session.ChatData](a, session.TypeOffer)
	if env.Chat != chat || off.State != session.Offered {
		t.Fatalf("offer for %s in %s, want %s offered", env.Chat, off.State, chat)
	}
	a.send(session.TypeAccept, chat, nil)
	snap, _ := expectData[session.ChatData](a, session.TypeChat)
	if snap.State != session.Connected {
		t.Fatalf("after accept: %s", snap.State)
	}
	cust.expect(session.TypeAgentIn)
}

// lineWith waits for a transcript line whose text contains sub.
func lineWith(c *client, sub string) session.MessageData {
	c.t.Helper()
	for {
		m, _ := expectData[session.MessageData](c, session.TypeMessage)
		if strings.Contains(m.Text, sub) {
			return m
		}
	}
}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// websocketDial dials and reports failure instead of failing the test.
func websocketDial(url string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, nil)
	if err == nil {
		c.CloseNow()
	}
	return c, resp, err
}
