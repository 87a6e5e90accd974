package ui

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// update is -update: rewrite the golden files in testdata/. The flag may be
// registered already by x/exp/golden (imported through teatest).
var update = func() func() bool {
	if f := flag.Lookup("update"); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	b := flag.Bool("update", false, "rewrite the golden files in testdata/")
	return func() bool { return *b }
}()

// now is the pinned clock of every test: Friday 20 Nov 2026, 10:00 UTC.
var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// fakeHub records what the desktop sends and delivers scripted events.
type fakeHub struct {
	mu   sync.Mutex
	sent []session.Envelope
	err  error // returned by Send when set
	ev   chan session.LinkEvent
	got  chan struct{} // signalled on every Send
}

func newFakeHub() *fakeHub {
	return &fakeHub{ev: make(chan session.LinkEvent, 64), got: make(chan struct{}, 64)}
}

func (h *fakeHub) Send(_ context.Context, e session.Envelope) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, e)
	select {
	case h.got <- struct{}{}:
	default:
	}
	return h.err
}

func (h *fakeHub) Events() <-chan session.LinkEvent { return h.ev }

// types returns the types of the sent envelopes, with their chat.
func (h *fakeHub) types() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.sent {
		s := e.Type
		if e.Chat != "" {
			s += ":" + e.Chat
		}
		out = append(out, s)
	}
	return out
}

func (h *fakeHub) last(t *testing.T) session.Envelope {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sent) == 0 {
		t.Fatal("nothing was sent")
	}
	return h.sent[len(h.sent)-1]
}

func (h *fakeHub) reset() {
	h.mu.Lock()
	h.sent = nil
	h.mu.Unlock()
}

// newModel builds a desktop on a fake hub at the pinned time, 100x30.
func newModel(t *testing.T) (*Model, *fakeHub, *time.Time) {
	t.Helper()
	h := newFakeHub()
	clock := now
	m := New(Options{Hub: h, Now: func() time.Time { return clock }, Banner: "customer page: http://127.0.0.1:8080/"})
	m.loc = time.UTC
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m, h, &clock
}

func frame_(t *testing.T, typ, chat string, data any) session.Envelope {
	t.Helper()
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// feed delivers hub frames to the model as the event pump would.
func feed(t *testing.T, m *Model, es ...session.Envelope) {
	t.Helper()
	for i := range es {
		m.Update(linkMsg{Envelope: &es[i]})
	}
}

func link(m *Model, s session.LinkStatus) { m.Update(linkMsg{Status: &s}) }

// run executes cmd like the program would, feeding results back into the
// model; batches and sequences run in order. Ticks are not run.
func run(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if msg == nil {
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := 0; i < v.Len(); i++ {
			run(t, m, v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	switch msg.(type) {
	case sentMsg, tea.QuitMsg, pickDirMsg, fileDoneMsg:
		_, next := m.Update(msg)
		run(t, m, next)
	}
}

// press sends keys: "a", "ctrl+a", "enter", "tab", "up", or text "t:hello".
func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		for _, msg := range keyMsgs(t, k) {
			_, cmd := m.Update(msg)
			run(t, m, cmd)
		}
	}
}

func keyMsgs(t *testing.T, k string) []tea.KeyPressMsg {
	t.Helper()
	if len(k) > 2 && k[:2] == "t:" {
		var out []tea.KeyPressMsg
		for _, r := range k[2:] {
			out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
		}
		return out
	}
	named := map[string]tea.KeyPressMsg{
		"enter": {Code: tea.KeyEnter}, "tab": {Code: tea.KeyTab}, "esc": {Code: tea.KeyEscape},
		"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "f1": {Code: tea.KeyF1},
		"f4": {Code: tea.KeyF4}, "f5": {Code: tea.KeyF5}, "f6": {Code: tea.KeyF6}, "f7": {Code: tea.KeyF7},
		"f8": {Code: tea.KeyF8}, "f9": {Code: tea.KeyF9}, "backspace": {Code: tea.KeyBackspace},
		"pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "space": {Code: tea.KeySpace, Text: " "},
	}
	if km, ok := named[k]; ok {
		return []tea.KeyPressMsg{km}
	}
	if len(k) == 6 && k[:5] == "ctrl+" {
		return []tea.KeyPressMsg{{Code: rune(k[5]), Mod: tea.ModCtrl}}
	}
	if len([]rune(k)) == 1 {
		r := []rune(k)[0]
		return []tea.KeyPressMsg{{Code: r, Text: k}}
	}
	t.Fatalf("press: unknown key %q", k)
	return nil
}

// screen renders the view as a 256-colour terminal would get it.
func screen(t *testing.T, m *Model) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: colorprofile.ANSI256}
	if _, err := w.WriteString(m.View().Content); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// plain is the screen without escapes, as a script or a reader sees it.
func plain(t *testing.T, m *Model) string {
	t.Helper()
	return ansi.Strip(m.View().Content)
}

// golden compares the screen with testdata/name.golden (-update rewrites).
func golden(t *testing.T, m *Model, name string) {
	t.Helper()
	got := screen(t, m)
	path := filepath.Join("testdata", name+".golden")
	if update() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s missing: run go test ./ui -update", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("screen differs from %s (run with -update if intended)\n--- got:\n%s\n--- want:\n%s", path, ansi.Strip(got), ansi.Strip(string(want)))
	}
}
