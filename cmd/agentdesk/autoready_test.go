package main

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
)

// fakeHub is a ui.Hub whose events the test feeds and whose sends it reads.
type fakeHub struct {
	ch   chan session.LinkEvent
	mu   sync.Mutex
	sent []session.Envelope
}

func (f *fakeHub) Send(_ context.Context, e session.Envelope) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, e)
	return nil
}

func (f *fakeHub) Events() <-chan session.LinkEvent { return f.ch }

func (f *fakeHub) sends() []session.Envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]session.Envelope(nil), f.sent...)
}

func welcomeEvent(t *testing.T, ready bool) session.LinkEvent {
	t.Helper()
	e, err := session.NewEnvelope(session.TypeWelcome, "", session.WelcomeData{Ready: ready})
	if err != nil {
		t.Fatal(err)
	}
	return session.LinkEvent{Envelope: &e}
}

// TestReadyOnWelcome: the first welcome that finds the agent Not ready
// makes it Ready; a welcome already Ready, and every later welcome (a
// reconnect, after the agent may have chosen Not ready), are left alone.
// Every event is forwarded in order.
func TestReadyOnWelcome(t *testing.T) {
	readies := func(es []session.Envelope) int {
		n := 0
		for _, e := range es {
			var d session.ReadyData
			if e.Type == session.TypeReady && e.Decode(&d) == nil && d.Ready {
				n++
			}
		}
		return n
	}
	up := session.LinkEvent{Status: &session.LinkStatus{State: session.LinkUp}}
	tests := []struct {
		name   string
		feed   []session.LinkEvent
		ready  int // ready frames sent once everything was forwarded
		wanted string
	}{
		{"not ready at welcome", []session.LinkEvent{up, welcomeEvent(t, false)}, 1, "one ready"},
		{"already ready", []session.LinkEvent{up, welcomeEvent(t, true)}, 0, "none"},
		{"reconnect not ready", []session.LinkEvent{up, welcomeEvent(t, false), up, welcomeEvent(t, false)}, 1, "only the first welcome's"},
		{"first welcome ready, later not", []session.LinkEvent{welcomeEvent(t, true), welcomeEvent(t, false)}, 0, "none: the agent chose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh := &fakeHub{ch: make(chan session.LinkEvent)}
			h := readyOnWelcome(t.Context(), fh)
			// A trailing status event: once it is forwarded, the relay has
			// done everything it does for the welcomes before it.
			feed := append(tt.feed, up)
			go func() {
				for _, ev := range feed {
					fh.ch <- ev
				}
				close(fh.ch)
			}()
			var got []session.LinkEvent
			for ev := range h.Events() {
				got = append(got, ev)
			}
			if len(got) != len(feed) {
				t.Fatalf("forwarded %d events, want %d", len(got), len(feed))
			}
			for i := range feed {
				if got[i] != feed[i] {
					t.Errorf("event %d not forwarded as is", i)
				}
			}
			if n := readies(fh.sends()); n != tt.ready {
				t.Errorf("%d ready frames sent, want %s (%d)", n, tt.wanted, tt.ready)
			}
		})
	}
}

// TestDemoReadyAtOnce: in `agentdesk demo` the agent is Ready as soon as it
// is welcomed, so the first customer is offered without a key press;
// --not-ready gives the desktop the plain client.
func TestDemoReadyAtOnce(t *testing.T) {
	var offered session.ChatData
	tui := func(ctx context.Context, o ui.Options, _ io.Reader, _ io.Writer) error {
		if _, ok := o.Hub.(*autoReady); !ok {
			t.Error("the desktop's hub does not make the agent ready")
		}
		limit := time.NewTimer(10 * time.Second)
		defer limit.Stop()
		for { // the stand-in desktop never presses y
			select {
			case ev, ok := <-o.Hub.Events():
				if !ok {
					t.Error("events closed before an offer")
					return nil
				}
				if ev.Envelope != nil && ev.Envelope.Type == session.TypeOffer {
					return ev.Envelope.Decode(&offered)
				}
			case <-limit.C:
				t.Error("no offer within 10s: the agent is not ready")
				return nil
			}
		}
	}
	code, _, errOut := run(t, &Main{TUI: tui}, "demo", "--customers", "1", "--speed", "50", "--log", filepath.Join(t.TempDir(), "demo.log"))
	if code != 0 || offered.Customer != "Bob Smith" {
		t.Fatalf("exit %d (%s), offer %+v; want Bob Smith offered", code, errOut, offered)
	}

	plain := func(_ context.Context, o ui.Options, _ io.Reader, _ io.Writer) error {
		if _, ok := o.Hub.(*autoReady); ok {
			t.Error("--not-ready: the desktop's hub makes the agent ready")
		}
		return nil
	}
	if code, _, errOut := run(t, &Main{TUI: plain}, "demo", "--not-ready", "--customers", "0", "--log", ""); code != 0 {
		t.Fatalf("--not-ready: exit %d, %s", code, errOut)
	}
}
