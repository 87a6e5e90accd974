package ui

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/agentdesk/agentdesk/session"
)

// syncBuffer is the program's output, readable while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Read(p)
}

// awaitSend waits for the fake hub to receive n frames in all.
func awaitSend(t *testing.T, h *fakeHub, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for len(h.types()) < n {
		select {
		case <-h.got:
		case <-deadline:
			t.Fatalf("waited for %d frames, hub has %v", n, h.types())
		}
	}
}

// liveProgram is the desktop running in a real tea.Program fed raw key
// bytes, as a terminal (or a keystroke script) sends them.
type liveProgram struct {
	model      *Model // read it only after done has answered
	keys       *io.PipeWriter
	out        *syncBuffer
	done       chan error // the result of Run
	waitScreen func(want string)
	push       func(typ string, data any) // a hub frame about chat "dan"
}

// startProgram runs the desktop on h at 100x30; utc pins the clock's zone.
// The hub's event channel is closed when the test ends.
func startProgram(t *testing.T, h *fakeHub, utc bool) *liveProgram {
	t.Helper()
	m := New(Options{Hub: h, Now: func() time.Time { return now }})
	if utc {
		m.loc = time.UTC
	}
	in, keys := io.Pipe()
	lp := &liveProgram{model: m, keys: keys, out: &syncBuffer{}, done: make(chan error, 1)}
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(lp.out), tea.WithWindowSize(100, 30), tea.WithoutSignals())
	go func() {
		_, err := p.Run()
		lp.done <- err
	}()
	t.Cleanup(func() { close(h.ev) })
	var screen bytes.Buffer
	lp.waitScreen = func(want string) {
		t.Helper()
		teatest.WaitFor(t, lp.out, func(b []byte) bool {
			screen.Write(b)
			return strings.Contains(ansi.Strip(screen.String()), want)
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	lp.push = func(typ string, data any) {
		e := frame_(t, typ, "dan", data)
		h.ev <- session.LinkEvent{Envelope: &e}
	}
	return lp
}

// The whole loop in a real tea.Program: hub events through the pump, raw
// key bytes as a terminal (or a keystroke script) sends them, frames out.
func TestProgramRawKeys(t *testing.T) {
	h := newFakeHub()
	lp := startProgram(t, h, true)
	keys, done, waitScreen, push := lp.keys, lp.done, lp.waitScreen, lp.push
	h.ev <- session.LinkEvent{Status: &session.LinkStatus{State: session.LinkUp}}
	push(session.TypeWelcome, session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace"}, Settings: settings(), Ready: true})
	push(session.TypeOffer, session.ChatData{ID: "dan", Customer: "Dan Oduya", OfferedAt: now})
	waitScreen("Alerting")

	type step struct {
		bytes string
		want  string // the frame the hub then gets
	}
	send := func(s step, n int) {
		t.Helper()
		if _, err := keys.Write([]byte(s.bytes)); err != nil {
			t.Fatal(err)
		}
		awaitSend(t, h, n)
		if got := h.types(); got[n-1] != s.want {
			t.Fatalf("after %q the hub got %v, want %s last", s.bytes, got, s.want)
		}
	}
	send(step{"a", "accept:dan"}, 1)
	push(session.TypeChat, session.ChatData{ID: "dan", Customer: "Dan Oduya", State: session.Connected,
		Transcript: []session.MessageData{line(1, session.FromCustomer, "Dan Oduya", "hello from Dan", now)}})
	waitScreen("hello from Dan")
	send(step{"\thi", "typing:dan"}, 2)
	send(step{"\r", "typing:dan"}, 4)
	if got := h.types()[2]; got != "send:dan" {
		t.Fatalf("enter sent %v", h.types())
	}
	send(step{"\x05", "end:dan"}, 5)                    // ctrl+e from the composer
	if _, err := keys.Write([]byte{0x03}); err != nil { // ctrl+c: the chat is live, so it asks
		t.Fatal(err)
	}
	waitScreen("Quit with live work?")
	if _, err := keys.Write([]byte{0x03}); err != nil { // ctrl+c again quits
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("program ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ctrl+c did not quit")
	}
}
