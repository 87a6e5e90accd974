package hubclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// waitFor reads events until one satisfies pred and returns it; it fails the
// test when Events closes or nothing matches within a generous limit.
func waitFor(t *testing.T, c *Client, what string, pred func(session.LinkEvent) bool) session.LinkEvent {
	t.Helper()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %s", what)
			}
			if pred(ev) {
				return ev
			}
		case <-limit.C:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func isStatus(s session.LinkState) func(session.LinkEvent) bool {
	return func(ev session.LinkEvent) bool { return ev.Status != nil && ev.Status.State == s }
}

func isFrame(typ string) func(session.LinkEvent) bool {
	return func(ev session.LinkEvent) bool { return ev.Envelope != nil && ev.Envelope.Type == typ }
}

func waitGot(t *testing.T, h *fakeHub, typ string) session.Envelope {
	t.Helper()
	for {
		select {
		case e := <-h.got:
			if e.Type == typ {
				return e
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("fake hub got no %s", typ)
		}
	}
}

func TestDialHelloWelcomeSend(t *testing.T) {
	h := newFakeHub(t, "tok")
	h.setChats(session.ChatData{ID: "c1", Customer: "Bob", State: session.Connected})
	c := Dial(t.Context(), h.url(), "tok")
	defer c.Close()

	waitFor(t, c, "connecting", isStatus(session.LinkConnecting))
	hello := waitGot(t, h, session.TypeHello)
	var hd session.HelloData
	if err := hello.Decode(&hd); err != nil {
		t.Fatal(err)
	}
	if hd.Token != "tok" || !strings.HasPrefix(hd.Client, "agentdesk/") || hello.V != session.ProtocolVersion {
		t.Errorf("hello = %+v v=%d, want token tok, client agentdesk/…, v %d", hd, hello.V, session.ProtocolVersion)
	}
	waitFor(t, c, "link up", isStatus(session.LinkUp))
	ev := waitFor(t, c, "welcome", isFrame(session.TypeWelcome))
	var w session.WelcomeData
	if err := ev.Envelope.Decode(&w); err != nil {
		t.Fatal(err)
	}
	if len(w.Chats) != 1 || w.Chats[0].ID != "c1" {
		t.Errorf("welcome chats = %+v, want c1", w.Chats)
	}

	e, _ := session.NewEnvelope(session.TypeSend, "c1", session.SendData{Text: "hi"})
	e.V = 0 // Send fills in the version
	if err := c.Send(t.Context(), e); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := waitGot(t, h, session.TypeSend)
	if got.V != session.ProtocolVersion || got.Chat != "c1" {
		t.Errorf("hub got %+v", got)
	}
	waitFor(t, c, "echoed message", isFrame(session.TypeMessage))
}

func TestSendOfflineWhenHubUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	c := Dial(t.Context(), addr, "tok", WithBackoff(time.Millisecond, 4*time.Millisecond))
	defer c.Close()
	if err := c.Send(t.Context(), session.Envelope{Type: session.TypeReady}); !errors.Is(err, ErrOffline) {
		t.Errorf("Send before connect = %v, want ErrOffline", err)
	}
	ev := waitFor(t, c, "link down", isStatus(session.LinkDown))
	if ev.Status.Err == "" || ev.Status.RetryIn <= 0 || ev.Status.Attempt != 1 {
		t.Errorf("link down = %+v, want reason in words, a retry wait and attempt 1", *ev.Status)
	}
	if !strings.Contains(ev.Status.Err, "connection refused") {
		t.Errorf("Err = %q, want it to say the hub cannot be reached", ev.Status.Err)
	}
	ev = waitFor(t, c, "second link down", isStatus(session.LinkDown))
	if ev.Status.Attempt != 2 {
		t.Errorf("attempt = %d, want 2", ev.Status.Attempt)
	}
	c.Close()
	if err := c.Send(t.Context(), session.Envelope{Type: session.TypeReady}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestLinkDownSaysWhyInWords(t *testing.T) {
	notHub := httptest.NewServer(http.NotFoundHandler())
	defer notHub.Close()
	h := newFakeHub(t, "tok")
	tests := []struct {
		name  string
		url   string
		drop  func() // after link up, when set
		words string
	}{
		{"nothing listening", "127.0.0.1:1", nil, "cannot reach the hub at 127.0.0.1:1: connection refused (is it running?)"},
		{"not a hub", notHub.URL, nil, "answered \"404 Not Found\" instead of a websocket: is this the hub's address?"},
		{"hub shutting down", h.url(), h.restart, "the hub is shutting down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Dial(t.Context(), tt.url, "tok")
			defer c.Close()
			if tt.drop != nil {
				waitFor(t, c, "link up", isStatus(session.LinkUp))
				tt.drop()
			}
			ev := waitFor(t, c, "link down", isStatus(session.LinkDown))
			if !strings.Contains(ev.Status.Err, tt.words) {
				t.Errorf("Err = %q, want %q", ev.Status.Err, tt.words)
			}
		})
	}
}

func TestReconnectAfterHubRestart(t *testing.T) {
	h := newFakeHub(t, "tok")
	h.setChats(session.ChatData{ID: "c1", Customer: "Bob", State: session.Connected})
	c := Dial(t.Context(), h.url(), "tok", WithBackoff(5*time.Millisecond, 20*time.Millisecond))
	defer c.Close()
	waitFor(t, c, "welcome", isFrame(session.TypeWelcome))

	h.restart()
	down := waitFor(t, c, "link down", isStatus(session.LinkDown))
	if down.Status.Err == "" || down.Status.RetryIn <= 0 {
		t.Errorf("link down = %+v, want a reason and a retry wait", *down.Status)
	}
	if err := c.Send(t.Context(), session.Envelope{Type: session.TypeReady}); !errors.Is(err, ErrOffline) {
		t.Errorf("Send while down = %v, want ErrOffline", err)
	}
	waitFor(t, c, "link up again", isStatus(session.LinkUp))
	ev := waitFor(t, c, "welcome again", isFrame(session.TypeWelcome))
	var w session.WelcomeData
	if err := ev.Envelope.Decode(&w); err != nil {
		t.Fatal(err)
	}
	if len(w.Chats) != 1 || w.Chats[0].ID != "c1" {
		t.Errorf("chats after reconnect = %+v, want c1 back", w.Chats)
	}

	// A success resets the backoff: the next drop is attempt 1 again.
	h.restart()
	down = waitFor(t, c, "link down after second restart", isStatus(session.LinkDown))
	if down.Status.Attempt != 1 {
		t.Errorf("attempt after a good welcome = %d, want 1 (backoff reset)", down.Status.Attempt)
	}
}

func TestBadTokenRefusedWithoutRetry(t *testing.T) {
	h := newFakeHub(t, "right")
	c := Dial(t.Context(), h.url(), "wrong", WithBackoff(time.Millisecond, time.Millisecond))
	ev := waitFor(t, c, "refused", func(ev session.LinkEvent) bool {
		return ev.Status != nil && (ev.Status.State == session.LinkRefused || ev.Status.State == session.LinkUp)
	})
	if ev.Status.State != session.LinkRefused {
		t.Fatalf("state = %v, want refused", ev.Status.State)
	}
	if !strings.Contains(ev.Status.Err, "unknown agent token") {
		t.Errorf("Err = %q, want the hub's reason", ev.Status.Err)
	}
	c.Close() // waits for the client's loop: no dial can follow
	for ev := range c.Events() {
		t.Errorf("event after refusal: %+v", ev)
	}
	if n := h.dials.Load(); n != 1 {
		t.Errorf("dials = %d, want 1 (no retry after refusal)", n)
	}
}

func TestDeadNetworkNoticedByPing(t *testing.T) {
	h := newFakeHub(t, "tok")
	h.deaf.Store(true) // welcomes, then never reads: pongs never come
	c := Dial(t.Context(), h.url(), "tok", WithKeepAlive(20*time.Millisecond, 50*time.Millisecond))
	defer c.Close()
	waitFor(t, c, "link up", isStatus(session.LinkUp))
	ev := waitFor(t, c, "link down", isStatus(session.LinkDown))
	if ev.Status.Err == "" {
		t.Error("link down without a reason")
	}
}

func TestHubThatNeverWelcomesIsRetried(t *testing.T) {
	h := newFakeHub(t, "tok")
	h.mute.Store(true)
	c := Dial(t.Context(), h.url(), "tok", WithDialTimeout(50*time.Millisecond), WithBackoff(time.Millisecond, time.Millisecond))
	defer c.Close()
	ev := waitFor(t, c, "link down", isStatus(session.LinkDown))
	if !strings.Contains(ev.Status.Err, "did not answer hello") {
		t.Errorf("Err = %q, want it to say the hub did not answer", ev.Status.Err)
	}
	h.mute.Store(false)
	waitFor(t, c, "link up once the hub answers", isStatus(session.LinkUp))
}

func TestCloseStopsEverything(t *testing.T) {
	h := newFakeHub(t, "tok")
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := Dial(ctx, h.url(), "tok", WithKeepAlive(10*time.Millisecond, time.Second))
	waitFor(t, c, "link up", isStatus(session.LinkUp))
	// Stop reading events for a while: the client must still close.
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for range c.Events() { // drains what was buffered; ends because Events is closed
	}
	h.stop()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d after Close, %d before Dial\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestCloseWhileRetrying(t *testing.T) {
	c := Dial(t.Context(), "127.0.0.1:1", "tok", WithBackoff(time.Hour, time.Hour))
	waitFor(t, c, "link down", isStatus(session.LinkDown))
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt the backoff wait")
	}
}

func TestBackoff(t *testing.T) {
	o := defaults()
	o.jitter = 0
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := o.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	o.jitter = 0.2
	for range 200 {
		if got := o.backoff(3); got < 800*time.Millisecond || got > 1200*time.Millisecond {
			t.Fatalf("backoff(3) with ±20%% jitter = %v, want within 0.8s..1.2s", got)
		}
	}
}

func TestAgentURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/agent"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1/agent"},
		{"ws://hub.example:80", "ws://hub.example:80/v1/agent"},
		{"wss://hub.example/v1/agent", "wss://hub.example/v1/agent"},
		{"https://hub.example/cc", "https://hub.example/cc/v1/agent"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/v1/agent"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := agentURL(tt.in); got != tt.want {
				t.Errorf("agentURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
