package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/sim"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui/script/netcut"
)

// newProxy starts a netcut.Proxy to target for the test.
func newProxy(t *testing.T, target string) *netcut.Proxy {
	t.Helper()
	p, err := netcut.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// await reads the client's events until pred matches one.
func await(t *testing.T, c *hubclient.Client, what string, pred func(session.LinkEvent) bool) session.LinkEvent {
	t.Helper()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed waiting for %s", what)
			}
			if ev.Status != nil && ev.Status.State == session.LinkRefused {
				t.Fatalf("refused waiting for %s: %s", what, ev.Status.Err)
			}
			if pred(ev) {
				return ev
			}
		case <-limit.C:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func frame(typ string) func(session.LinkEvent) bool {
	return func(ev session.LinkEvent) bool { return ev.Envelope != nil && ev.Envelope.Type == typ }
}

func link(s session.LinkState) func(session.LinkEvent) bool {
	return func(ev session.LinkEvent) bool { return ev.Status != nil && ev.Status.State == s }
}

func custWait(t *testing.T, c *sim.Customer, what string, pred func(session.Envelope) bool) session.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	e, err := c.Wait(ctx, pred)
	if err != nil {
		t.Fatalf("customer: no %s: %v", what, err)
	}
	return e
}

func agentLine(text string) func(session.Envelope) bool {
	return func(e session.Envelope) bool {
		var m session.MessageData
		return e.Type == session.TypeMessage && e.Decode(&m) == nil && m.From == session.FromAgent && m.Text == text
	}
}

func presence(reconnecting bool) func(session.Envelope) bool {
	return func(e session.Envelope) bool {
		var p session.PresenceData
		return e.Type == session.TypePresence && e.Decode(&p) == nil && p.Reconnecting == reconnecting
	}
}

// TestEndToEndChatSurvivesNetworkDrop: a simulated customer and the agent's
// hub client chat through the real hub; the agent's network drops while the
// chat is live; the client says so, retries with backoff, and resumes the
// same chat within agent_grace, while the customer is told the agent is
// reconnecting and then back (issue point 6; R-I1 states, R-I2 transcript).
func TestEndToEndChatSurvivesNetworkDrop(t *testing.T) {
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timers.AgentGrace = 20 * time.Second // far longer than the test's drop
	cfg.Store.Dir = t.TempDir()
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer func() { h.Close(); srv.Close(); h.CloseStore() }()
	px := newProxy(t, srv.Listener.Addr().String())
	ctx := t.Context()

	bob, err := sim.Open(ctx, srv.URL, "Bob", sim.WithQueue("general"))
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Drop()
	if err := bob.Say(ctx, "my parcel is late"); err != nil {
		t.Fatal(err)
	}
	custWait(t, bob, "the echo of Bob's line", func(e session.Envelope) bool { return e.Type == session.TypeMessage })

	agent := hubclient.Dial(ctx, px.URL(), "demo-token-ada",
		hubclient.WithBackoff(20*time.Millisecond, 200*time.Millisecond), hubclient.WithKeepAlive(time.Second, time.Second))
	defer agent.Close()
	await(t, agent, "link up", link(session.LinkUp))
	await(t, agent, "welcome", frame(session.TypeWelcome))
	send := func(typ, chat string, data any) {
		t.Helper()
		e, err := session.NewEnvelope(typ, chat, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := agent.Send(ctx, e); err != nil {
			t.Fatalf("send %s: %v", typ, err)
		}
	}
	send(session.TypeReady, "", session.ReadyData{Ready: true})
	offer := await(t, agent, "offer", frame(session.TypeOffer))
	if offer.Envelope.Chat != bob.Chat() {
		t.Fatalf("offered %q, want Bob's %q", offer.Envelope.Chat, bob.Chat())
	}
	send(session.TypeAccept, bob.Chat(), nil)
	custWait(t, bob, "agent_in", func(e session.Envelope) bool { return e.Type == session.TypeAgentIn })
	send(session.TypeSend, bob.Chat(), session.SendData{Text: "Let me check that for you"})
	custWait(t, bob, "the agent's first line", agentLine("Let me check that for you"))

	// The agent's network drops while the chat is live.
	cutAt := time.Now()
	px.Down(ctx)
	down := await(t, agent, "link down", link(session.LinkDown))
	downAfter := time.Since(cutAt)
	if down.Status.Err == "" || down.Status.RetryIn <= 0 {
		t.Errorf("link down = %+v, want the reason in words and the retry wait", *down.Status)
	}
	if err := agent.Send(ctx, session.Envelope{Type: session.TypeSend, Chat: bob.Chat()}); !errors.Is(err, hubclient.ErrOffline) {
		t.Error("Send while the link is down succeeded, want ErrOffline")
	}
	custWait(t, bob, "presence reconnecting", presence(true))
	// Still down: the client keeps trying, with growing waits.
	again := await(t, agent, "second link down", func(ev session.LinkEvent) bool {
		return ev.Status != nil && ev.Status.State == session.LinkDown && ev.Status.Attempt >= 2
	})
	if again.Status.Attempt < 2 {
		t.Errorf("attempt %d, want retries counted", again.Status.Attempt)
	}

	restoreAt := time.Now()
	px.Up(ctx)
	await(t, agent, "link up again", link(session.LinkUp))
	upAfter := time.Since(restoreAt)
	w := await(t, agent, "welcome after reconnect", frame(session.TypeWelcome))
	var wd session.WelcomeData
	if err := w.Envelope.Decode(&wd); err != nil {
		t.Fatal(err)
	}
	if len(wd.Chats) != 1 || wd.Chats[0].ID != bob.Chat() || wd.Chats[0].State != session.Connected {
		t.Fatalf("welcome chats = %+v, want Bob's chat still connected", wd.Chats)
	}
	// Each chat's transcript follows the welcome in a frame of its own.
	snap := await(t, agent, "the chat after the welcome", frame(session.TypeChat))
	var cd session.ChatData
	if err := snap.Envelope.Decode(&cd); err != nil || cd.ID != bob.Chat() {
		t.Fatalf("chat frame %+v %v", cd, err)
	}
	var texts []string
	for _, l := range cd.Transcript {
		texts = append(texts, l.Text)
	}
	if !contains(texts, "my parcel is late") || !contains(texts, "Let me check that for you") {
		t.Errorf("resumed transcript %q lacks the lines so far", texts)
	}
	custWait(t, bob, "presence back", presence(false))

	// The chat goes on.
	if err := bob.Say(ctx, "thanks, still there?"); err != nil {
		t.Fatal(err)
	}
	await(t, agent, "Bob's line after the reconnect", func(ev session.LinkEvent) bool {
		var m session.MessageData
		return ev.Envelope != nil && ev.Envelope.Type == session.TypeMessage &&
			ev.Envelope.Decode(&m) == nil && m.Text == "thanks, still there?"
	})
	send(session.TypeSend, bob.Chat(), session.SendData{Text: "Yes, found it: it ships today"})
	custWait(t, bob, "the agent's line after the reconnect", agentLine("Yes, found it: it ships today"))
	t.Logf("link down noticed %v after the cut; link up %v after the network came back", downAfter, upAfter)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDemoSetup: the demo's hub, crowd and client without the desktop. The
// demo agent is the only one online, so the simulated customers' chats are
// offered to them.
func TestDemoSetup(t *testing.T) {
	d, err := startDemo(t.Context(), demoOptions{Customers: 2, Speed: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Agent.ID != "ada" {
		t.Errorf("demo agent %q, want the config's first, ada", d.Agent.ID)
	}
	await(t, d.Client, "link up", link(session.LinkUp))
	e, _ := session.NewEnvelope(session.TypeReady, "", session.ReadyData{Ready: true})
	if err := d.Client.Send(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for len(names) < 2 {
		ev := await(t, d.Client, "offers", frame(session.TypeOffer))
		var cd session.ChatData
		if err := ev.Envelope.Decode(&cd); err != nil {
			t.Fatal(err)
		}
		names[cd.Customer] = true
	}
	if !names["Bob Smith"] || !names["Carla Diaz"] {
		t.Errorf("offers for %v, want the first two of the cast", names)
	}
	if n := d.Hub.Health().AgentsOnline; n != 1 {
		t.Errorf("%d agents online, want only the demo agent", n)
	}
	d.Close()
	d.Close()                     // idempotent
	for range d.Client.Events() { // ends only because Close closed Events
	}
	if err := d.Client.Send(t.Context(), e); !errors.Is(err, hubclient.ErrClosed) {
		t.Errorf("Send after the demo closed = %v, want ErrClosed", err)
	}
}
