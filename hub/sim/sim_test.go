package sim

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

// startHub runs the real hub on loopback with the shipped config.
func startHub(t *testing.T) string {
	t.Helper()
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatalf("shipped config: %v", err)
	}
	cfg.Store.Dir = t.TempDir()
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(func() { h.Close(); srv.Close(); h.CloseStore() })
	return srv.URL
}

// agent is a test agent on the real agent socket.
type agent struct {
	t *testing.T
	c *hubclient.Client
}

func newAgent(t *testing.T, base, token string) *agent {
	t.Helper()
	a := &agent{t: t, c: hubclient.Dial(t.Context(), base, token)}
	t.Cleanup(func() { a.c.Close() })
	a.next(session.TypeWelcome, nil)
	return a
}

// next waits for a frame of type typ (and pred, when set).
func (a *agent) next(typ string, pred func(session.Envelope) bool) session.Envelope {
	a.t.Helper()
	limit := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-a.c.Events():
			if !ok {
				a.t.Fatalf("agent events closed waiting for %s", typ)
			}
			if ev.Status != nil && ev.Status.State == session.LinkRefused {
				a.t.Fatalf("agent refused: %s", ev.Status.Err)
			}
			if ev.Envelope != nil && ev.Envelope.Type == typ && (pred == nil || pred(*ev.Envelope)) {
				return *ev.Envelope
			}
		case <-limit:
			a.t.Fatalf("agent: no %s within 10s", typ)
		}
	}
}

func (a *agent) send(typ, chat string, data any) {
	a.t.Helper()
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.c.Send(a.t.Context(), e); err != nil {
		a.t.Fatalf("agent send %s: %v", typ, err)
	}
}

func waitType(t *testing.T, c *Customer, typ string) session.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	e, err := c.Wait(ctx, func(e session.Envelope) bool { return e.Type == typ })
	if err != nil {
		t.Fatalf("%s: no %s: %v", c.Name(), typ, err)
	}
	return e
}

func TestCustomerQueuedThenServed(t *testing.T) {
	base := startHub(t)
	ctx := t.Context()
	bob, err := Open(ctx, base, "Bob", WithQueue("general"), WithContact("bob-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Drop()
	if bob.Chat() == "" || bob.Resume() == "" || bob.Queue() != "general" {
		t.Errorf("joined: chat %q resume %q queue %q", bob.Chat(), bob.Resume(), bob.Queue())
	}
	var q session.QueueData
	if err := waitType(t, bob, session.TypeQueue).Decode(&q); err != nil || q.Position != 1 {
		t.Errorf("queue = %+v (%v), want position 1 while no agent is ready", q, err)
	}
	if err := bob.Type(ctx, "hel"); err != nil {
		t.Fatal(err)
	}
	if err := bob.Say(ctx, "hello?"); err != nil {
		t.Fatal(err)
	}
	waitType(t, bob, session.TypeMessage) // the echo: the hub has the line

	ada := newAgent(t, base, "demo-token-ada")
	ada.send(session.TypeReady, "", session.ReadyData{Ready: true})
	offer := ada.next(session.TypeOffer, nil)
	if offer.Chat != bob.Chat() {
		t.Fatalf("offer for %q, want %q", offer.Chat, bob.Chat())
	}
	var cd session.ChatData
	if err := offer.Decode(&cd); err != nil {
		t.Fatal(err)
	}
	if cd.Customer != "Bob" || len(cd.Transcript) == 0 || cd.Transcript[len(cd.Transcript)-1].Text != "hello?" {
		t.Errorf("offer = %+v, want Bob's chat with his line", cd)
	}
	ada.send(session.TypeAccept, bob.Chat(), nil)

	var in session.AgentInData
	if err := waitType(t, bob, session.TypeAgentIn).Decode(&in); err != nil || in.Name != "Ada Lovelace" {
		t.Errorf("agent_in = %+v (%v), want Ada Lovelace", in, err)
	}
	ada.send(session.TypeSend, bob.Chat(), session.SendData{Text: "Hi Bob, how can I help?"})
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := bob.Wait(wctx, func(e session.Envelope) bool {
		var m session.MessageData
		return e.Type == session.TypeMessage && e.Decode(&m) == nil && m.From == session.FromAgent
	}); err != nil {
		t.Fatalf("Bob never saw the agent's line: %v", err)
	}
	var texts []string
	for _, l := range bob.Lines() {
		texts = append(texts, l.From+":"+l.Text)
	}
	got := strings.Join(texts, "|")
	for _, want := range []string{"customer:hello?", "agent:Hi Bob, how can I help?"} {
		if !strings.Contains(got, want) {
			t.Errorf("Bob's lines %q lack %q", got, want)
		}
	}

	if err := bob.Leave(ctx); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	st := ada.next(session.TypeState, nil)
	var sd session.StateData
	if err := st.Decode(&sd); err != nil || sd.State != session.ACW || sd.Reason != session.EndContactLeft {
		t.Errorf("after leave: %+v (%v), want acw / contact_left", sd, err)
	}
	if err := bob.Say(ctx, "still there?"); err == nil {
		t.Error("Say after Leave succeeded, want an error")
	}
}

func TestOpenErrors(t *testing.T) {
	base := startHub(t)
	tests := []struct {
		name, base, who string
		opts            []CustomerOption
		want            string
	}{
		{"unknown queue", base, "Bob", []CustomerOption{WithQueue("nope")}, "no queue"},
		{"empty name", base, " ", nil, "name is required"},
		{"bad address", "http://", "Bob", nil, "bad hub address"},
		{"nothing listening", "http://127.0.0.1:1", "Bob", nil, "cannot reach the hub"},
		{"stale resume token", base, "Bob", []CustomerOption{WithResume("nope")}, "no_such_chat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(t.Context(), tt.base, tt.who, tt.opts...)
			if err == nil {
				c.Drop()
				t.Fatalf("Open succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDropAndResume(t *testing.T) {
	base := startHub(t)
	ctx := t.Context()
	bob, err := Open(ctx, base, "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.Say(ctx, "first line"); err != nil {
		t.Fatal(err)
	}
	waitType(t, bob, session.TypeMessage) // the echo: the hub has the line
	bob.Drop()
	bob.Drop() // idempotent
	if _, err := bob.Wait(ctx, func(session.Envelope) bool { return false }); err == nil {
		t.Error("Wait after Drop returned no error")
	}
	again, err := Open(ctx, base, "Bob", WithResume(bob.Resume()))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Drop()
	if again.Chat() != bob.Chat() {
		t.Errorf("resumed chat %q, want %q", again.Chat(), bob.Chat())
	}
	if l := again.Lines(); len(l) == 0 || l[len(l)-1].Text != "first line" {
		t.Errorf("resumed lines = %+v, want the transcript so far", l)
	}
}

func TestCustomerURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/customer"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1/customer"},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/v1/customer"},
		{"ws://h/v1/customer", "ws://h/v1/customer"},
	}
	for _, tt := range tests {
		got, err := customerURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("customerURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
