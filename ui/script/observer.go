package script

import (
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// observer wraps the model under test: it forwards Init, Update and View
// unchanged and keeps what the runner needs to see — the last rendered
// screen as plain text, the number of key presses the model received, and
// the size it was last told. It changes nothing the model sees.
type observer struct {
	inner  tea.Model
	events *EventLog

	// Owned by the program's goroutine (Update and View).
	pendingKeys int
	pendingSize *tea.WindowSizeMsg

	mu       sync.Mutex
	screen   string // last View, ANSI-stripped, cut to cols x rows
	raw      string // last View content before cutting
	keys     int    // key presses delivered to the model
	views    int    // View calls
	sized    bool   // a WindowSizeMsg was delivered
	cols     int
	rows     int
	selected string        // the model's selected chat, as of the last View (Selector)
	changed  chan struct{} // closed and replaced on every change
}

func newObserver(inner tea.Model, cols, rows int, events *EventLog) *observer {
	return &observer{inner: inner, events: events, cols: cols, rows: rows, changed: make(chan struct{})}
}

var _ tea.Model = (*observer)(nil)

// Init forwards to the model.
func (o *observer) Init() tea.Cmd { return o.inner.Init() }

// Update forwards to the model and notes what the runner awaits. What it
// notes is published by the View that bubbletea calls right after Update,
// so a runner that sees a key counted also sees the screen it produced.
func (o *observer) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := o.inner.Update(msg)
	if next != nil {
		o.inner = next
	}
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		_ = o.events.Write(EventKey, map[string]any{"key": m.String()})
		o.pendingKeys++
	case tea.WindowSizeMsg:
		_ = o.events.Write(EventResize, map[string]any{"cols": m.Width, "rows": m.Height})
		o.pendingSize = &m
	}
	return o, cmd
}

// View forwards to the model and keeps the screen text.
func (o *observer) View() tea.View {
	v := o.inner.View()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.views++
	changed := o.views == 1 || o.pendingKeys > 0 || o.pendingSize != nil || v.Content != o.raw
	o.keys += o.pendingKeys
	o.pendingKeys = 0
	if m := o.pendingSize; m != nil {
		o.cols, o.rows, o.sized = m.Width, m.Height, true
		o.pendingSize = nil
	}
	o.raw = v.Content
	if s, ok := o.inner.(Selector); ok {
		o.selected = s.SelectedChat()
	}
	if changed {
		o.screen = cut(v.Content, o.cols, o.rows)
		o.notifyLocked()
	}
	return v
}

func (o *observer) notifyLocked() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// snapshot returns the screen, the key count, the size, and a channel
// closed at the next change.
func (o *observer) snapshot() (screen string, keys, cols, rows int, changed <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.screen, o.keys, o.cols, o.rows, o.changed
}

// ready reports whether the model has been told its size and rendered.
func (o *observer) ready() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sized && o.views > 0
}

// Selected returns the chat the model had selected at its last View, ""
// when none or when the model is no Selector.
func (o *observer) Selected() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.selected
}

// Screen returns the current screen text.
func (o *observer) Screen() string {
	s, _, _, _, _ := o.snapshot()
	return s
}

// cut turns rendered content into the text a terminal of cols x rows shows:
// ANSI sequences stripped, at most rows lines of at most cols cells, trailing
// spaces and trailing empty lines removed.
func cut(content string, cols, rows int) string {
	plain := ansi.Strip(strings.ReplaceAll(content, "\r\n", "\n"))
	lines := strings.Split(plain, "\n")
	if rows > 0 && len(lines) > rows {
		lines = lines[:rows]
	}
	for i, l := range lines {
		if cols > 0 && ansi.StringWidth(l) > cols {
			l = ansi.Truncate(l, cols, "")
		}
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
