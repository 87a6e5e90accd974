package hub

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/internal/natstest"
	"github.com/agentdesk/agentdesk/session"
)

// clusterPair is a core and an edge on a real nats-server, each served on
// loopback.
type clusterPair struct {
	nats             *natstest.Server
	core, edge       *Server
	coreURL, edgeURL string // http://
	coreTS, edgeTS   *httptest.Server
}

func (c *clusterPair) coreWS() string { return "ws" + strings.TrimPrefix(c.coreURL, "http") }
func (c *clusterPair) edgeWS() string { return "ws" + strings.TrimPrefix(c.edgeURL, "http") }

// startCluster runs a core and an edge hub (issue 16) on one nats-server;
// mutate changes both configs.
func startCluster(t *testing.T, mutate func(*Config)) *clusterPair {
	t.Helper()
	ns := natstest.Start(t)
	tf := filepath.Join(t.TempDir(), "nats.token")
	if err := os.WriteFile(tf, []byte(ns.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := &clusterPair{nats: ns}
	join := func(role, node, coreURL string) func(*Config) {
		return func(c *Config) {
			c.Cluster = ClusterConfig{NATS: ns.URL, NATSTokenFile: tf, Role: role, Node: node, CoreURL: coreURL}
			c.TrustedProxies = []string{"127.0.0.1"} // the edge forwards the client's address
			if mutate != nil {
				mutate(c)
			}
			var errs []string
			c.validateNet(func(f string, a ...any) { errs = append(errs, f) })
			c.validateCluster(func(f string, a ...any) { errs = append(errs, f) })
			if len(errs) > 0 {
				t.Fatal(errs)
			}
		}
	}
	cp.core = newHub(t, testConfig(t, join(RoleCore, "core1", "")))
	cp.coreTS = httptest.NewServer(cp.core.Handler())
	cp.coreURL = cp.coreTS.URL
	t.Cleanup(func() { cp.core.Close(); cp.coreTS.Close() })
	cp.edge = newHub(t, testConfig(t, join(RoleEdge, "edge1", cp.coreURL)))
	cp.edgeTS = httptest.NewServer(cp.edge.Handler())
	cp.edgeURL = cp.edgeTS.URL
	t.Cleanup(func() { cp.edge.Close(); cp.edgeTS.Close() })
	deadline := time.Now().Add(wait)
	for up, _ := cp.edge.edge.coreUp(); !up; up, _ = cp.edge.edge.coreUp() {
		if time.Now().After(deadline) {
			t.Fatal("the edge never heard the core")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cp
}

// chatBothWays checks lines go from the customer to the agent and back.
func chatBothWays(t *testing.T, a, cust *client, chat string) {
	t.Helper()
	connect(t, a, cust, chat)
	cust.send(session.TypeSend, chat, session.SendData{Text: "my order is late"})
	lineWith(a, "my order is late")
	lineWith(cust, "my order is late") // the echo: stored
	a.send(session.TypeSend, chat, session.SendData{Text: "let me look"})
	lineWith(cust, "let me look")
	a.send(session.TypeTyping, chat, session.TypingData{Typing: true})
	cust.expect(session.TypeTyping)
}

// TestClusterChatsAcrossHubs: a customer on one hub and an agent on
// another chat both ways, whichever hub each reached (issue 16 point 3);
// the chat, its route and its lines are the core's.
func TestClusterChatsAcrossHubs(t *testing.T) {
	t.Parallel()
	cp := startCluster(t, nil)
	t.Run("customer on the edge, agent on the core", func(t *testing.T) {
		a, _ := agentLogin(t, cp.coreWS(), "t-ada", true)
		cust, j := customerJoin(t, cp.edgeWS(), session.JoinData{Name: "Cat", Queue: "general"})
		chatBothWays(t, a, cust, j.Chat)
		a.conn.Close(websocket.StatusNormalClosure, "")
		cust.conn.Close(websocket.StatusNormalClosure, "")
	})
	t.Run("agent on the edge, customer on the core", func(t *testing.T) {
		a, _ := agentLogin(t, cp.edgeWS(), "t-grace", true)
		cust, j := customerJoin(t, cp.coreWS(), session.JoinData{Name: "Dan", Queue: "general"})
		chatBothWays(t, a, cust, j.Chat)
		a.conn.Close(websocket.StatusNormalClosure, "")
		cust.conn.Close(websocket.StatusNormalClosure, "")
	})
	t.Run("both on the edge", func(t *testing.T) {
		a, _ := agentLogin(t, cp.edgeWS(), "t-alan", true)
		cust, j := customerJoin(t, cp.edgeWS(), session.JoinData{Name: "Eve", Queue: "billing"})
		chatBothWays(t, a, cust, j.Chat)
		lines, err := cp.core.Store().Transcript(context.Background(), j.Chat)
		if err != nil || len(lines) < 2 {
			t.Fatalf("the core's store holds %d lines of the chat (%v)", len(lines), err)
		}
		if _, err := cp.edge.Store().Chat(context.Background(), j.Chat); err == nil {
			t.Fatal("the edge keeps a chat of its own")
		}
	})
}

// closedWith waits for the client's socket to end and returns its close
// status.
func closedWith(t *testing.T, c *client) (websocket.StatusCode, string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		t.Fatal("the socket stayed open")
	}
	var ce websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code, ce.Reason
	}
	return -1, ""
}

// TestClusterEdgeKeepsTheRules: what a hub alone refuses, the core refuses
// through the edge in the same words: a wrong token (4001), a socket that
// never joins (1008 after hello_timeout), a customer over the per-address
// cap (429 before the upgrade); a customer who leaves the edge leaves the
// core too.
func TestClusterEdgeKeepsTheRules(t *testing.T) {
	t.Parallel()
	cp := startCluster(t, func(c *Config) {
		c.Limits.HelloTimeout = 300 * time.Millisecond
		c.Limits.CustomersPerIP = 2
	})
	bad := dial(t, cp.edgeWS(), "/v1/agent")
	bad.send(session.TypeHello, "", session.HelloData{Token: "t-wrong", Client: "test"})
	if e, _ := expectData[session.ErrorData](bad, session.TypeError); e.Code != session.ErrCodeUnauthorized {
		t.Fatalf("wrong token: %+v", e)
	}
	if code, _ := closedWith(t, bad); code != StatusUnauthorized {
		t.Fatalf("wrong token closed with %d, want %d", code, StatusUnauthorized)
	}

	mute := dial(t, cp.edgeWS(), "/v1/customer")
	if code, reason := closedWith(t, mute); code != StatusNoHello || !strings.Contains(reason, "join a chat within") {
		t.Fatalf("no join: %d %q", code, reason)
	}

	c1, _ := customerJoin(t, cp.edgeWS(), session.JoinData{Name: "One", Queue: "general"})
	customerJoin(t, cp.edgeWS(), session.JoinData{Name: "Two", Queue: "general"})
	res, err := http.Get(cp.edgeURL + "/v1/customer")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "customers_per_ip") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third customer from one address: %d %s", res.StatusCode, body)
	}
	if n := cp.core.Health().Customers; n != 2 {
		t.Fatalf("the core counts %d customers, want 2", n)
	}
	c1.conn.Close(websocket.StatusNormalClosure, "bye")
	deadline := time.Now().Add(wait)
	for cp.core.Health().Customers != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the core still counts %d customers after one left the edge", cp.core.Health().Customers)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterEdgeForwardsHTTP: the recording API and the web app answer
// through the edge as on the core, the caller's rights unchanged.
func TestClusterEdgeForwardsHTTP(t *testing.T) {
	t.Parallel()
	cp := startCluster(t, nil)
	get := func(path, token string) (int, string) {
		code, b := apiDo(t, http.MethodGet, cp.edgeURL+path, token, "")
		return code, string(b)
	}
	if code, body := get("/v1/recordings", "t-sue"); code != http.StatusOK || !strings.Contains(body, "recordings") {
		t.Fatalf("supervisor through the edge: %d %s", code, body)
	}
	if code, _ := get("/v1/recordings", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token through the edge: %d", code)
	}
	if code, body := get("/healthz", ""); code != http.StatusOK || !strings.Contains(body, `"role":"edge"`) || !strings.Contains(body, `"core":"ok"`) {
		t.Fatalf("edge health: %d %s", code, body)
	}
}

// TestClusterCoreGoneEdgeSocketsReconnect: when the core stops, the
// edge's sockets are told the hub is restarting (1012), as a hub alone
// tells its own, and the edge is not ready until a core is heard again.
func TestClusterCoreGoneEdgeSocketsReconnect(t *testing.T) {
	t.Parallel()
	cp := startCluster(t, nil)
	a, _ := agentLogin(t, cp.edgeWS(), "t-ada", true)
	cust, j := customerJoin(t, cp.edgeWS(), session.JoinData{Name: "Cat", Queue: "general"})
	connect(t, a, cust, j.Chat)
	cp.core.Close()
	cp.core.CloseStore()
	for _, c := range []*client{a, cust} {
		if code, _ := closedWith(t, c); code != websocket.StatusServiceRestart {
			t.Fatalf("socket closed with %d, want 1012 (restarting)", code)
		}
	}
	deadline := time.Now().Add(wait)
	for cp.edge.edge.health().OK {
		if time.Now().After(deadline) {
			t.Fatal("the edge stays ready without a core")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := http.Get(cp.edgeURL + "/v1/customer")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a socket without a core: %d", res.StatusCode)
	}
}

// TestClusterConfigErrors: a cluster section that cannot work is refused
// at start, naming the key.
func TestClusterConfigErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"cluster: {role: core}", "cluster.nats: set the NATS server"},
		{"cluster: {nats: 'http://x:4222', role: core}", "not a nats:// or tls:// URL"},
		{"cluster: {nats: 'nats://u:secret@x:4222', role: core}", "not in the URL"},
		{"cluster: {nats: 'nats://x:4222', role: boss}", `"boss" is not core, edge or auto`},
		{"cluster: {nats: 'nats://x:4222', role: edge}", "cluster.core_url"},
		{"cluster: {nats: 'nats://x:4222', role: auto}", "cluster.advertise"},
		{"cluster: {nats: 'nats://x:4222', role: auto, advertise: 'http://a:1', core_url: 'http://b:2'}", "remove core_url"},
		{"cluster: {nats: 'nats://x:4222', role: core, node: 'a.b'}", "cluster.node"},
		{"cluster: {nats: 'nats://x:4222', role: core, nats_token_file: /nonexistent/t}", "cluster.nats_token_file"},
	}
	for _, tc := range cases {
		_, err := ParseConfig([]byte(testYAML + tc.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	if _, err := ParseConfig([]byte(testYAML + "cluster: {nats: 'nats://x:4222', role: auto, advertise: 'http://10.0.0.1:8080'}\n")); err != nil {
		t.Errorf("a good auto section: %v", err)
	}
}
