// Package ui is the agent's terminal desktop, My Interactions: the chat
// list, the selected chat's transcript and composer, the toolbar, the
// wrap-up form and help. It talks to the hub only through the Hub
// interface; session.Desk holds the state it draws.
package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// Hub is how the desktop talks to the hub; session/hubclient implements it.
// Send may block until the frame is written; the desktop calls it from a
// tea.Cmd, never from Update. Events delivers frames and link changes; a
// closed channel means the connection is gone for good.
type Hub interface {
	Send(ctx context.Context, e session.Envelope) error
	Events() <-chan session.LinkEvent
}

// Options configure the desktop.
type Options struct {
	Hub    Hub
	Now    func() time.Time // nil: time.Now; tests pin it
	Banner string           // e.g. the demo's "customer page: http://127.0.0.1:PORT/"
	// Capture, when set, tells per chat what screen and voice capture do
	// (the markers under the chat header).
	Capture Capture
	// Uploads, when set, feeds the Uploads panel (U / f2).
	Uploads Uploads
	// Warning is shown loudly in the status bar at start and atop the
	// Uploads panel, e.g. that capture fell back to synthetic devices.
	Warning string
}

// Timing of the desktop.
const (
	tickEvery     = 250 * time.Millisecond // timers, indicator, flashing
	typingEvery   = 2 * time.Second        // resend typing{true} at most this often
	typingIdle    = 3 * time.Second        // send typing{false} after this quiet time
	sendTimeout   = 10 * time.Second       // one Send call
	maxNoticeKeep = 20
)

// focus is where the keys go.
type focus int

const (
	focusList focus = iota
	focusComposer
	focusPrompt // the push-URL prompt
	focusDispo  // the ACW disposition list
	focusNote   // the ACW note
	focusCase   // the ACW case data entry
)

// Messages the model sends itself.
type (
	linkMsg       session.LinkEvent
	linkClosedMsg struct{}
	tickMsg       struct{}
	sentMsg       struct {
		what string
		err  error
	}
)

// acwDraft is the wrap-up form's local state for one chat.
type acwDraft struct {
	cursor int    // highlighted disposition
	picked string // last disposition sent, until the hub confirms
}

// Model is the desktop; *Model implements tea.Model.
type Model struct {
	hub    Hub
	now    func() time.Time
	banner string
	loc    *time.Location

	desk      *session.Desk
	keys      keyMap
	st        styles
	width     int
	height    int
	selected  string
	focus     focus
	help      bool
	ticks     int
	scroll    int // transcript lines scrolled up from the bottom
	maxScroll int // the most scroll can be, as last drawn

	composer textinput.Model
	urlInput textinput.Model
	note     textinput.Model
	caseIn   textinput.Model
	drafts   map[string]*acwDraft
	seen     map[string]int // transcript lines the agent has seen, per chat

	typingChat string    // chat we told the hub we are typing in
	typingSent time.Time // when typing{true} was last sent
	lastKey    time.Time // last keystroke in the composer

	confirm *confirmation // a y/n question waiting for its answer

	guard      typingGuard       // single keys off after typing (guard.go)
	promptFrom focus             // where the push-URL prompt came from; esc goes back
	unsent     map[string]string // unsent message box text per chat

	capture     Capture
	uploads     Uploads
	warning     string
	showUploads bool                  // the Uploads panel covers the body
	uploadRows  []uploader.ItemStatus // the last snapshot of the queue

	refused error // the hub refused this desktop for good: the program ends

	linkAt    time.Time // when the last link status came
	status    string
	statusErr bool
	notices   []session.Notice

	top, list, pane, toolbar, bottom component
}

var _ tea.Model = (*Model)(nil)

// New builds the desktop. A nil Hub is allowed (nothing is sent and the
// screen says so); a nil Now uses time.Now.
func New(o Options) *Model {
	m := &Model{
		hub:    o.Hub,
		now:    o.Now,
		banner: o.Banner,
		loc:    time.Local,
		desk:   session.NewDesk(),
		keys:   newKeyMap(),
		st:     newStyles(),
		width:  100,
		height: 30,
		drafts: map[string]*acwDraft{},
		unsent: map[string]string{},
		seen:   map[string]int{},

		capture: o.Capture,
		uploads: o.Uploads,
		warning: oneLine(o.Warning),
	}
	if m.warning != "" {
		m.setError(m.warning)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.composer = newInput("› ", "type a message, enter to send", 4000)
	m.urlInput = newInput("URL: ", "https://…", 2000)
	m.note = newInput("", "a note for this chat", 2000)
	m.caseIn = newInput("", "key=value, enter to add", 500)
	m.top = &titleBar{}
	m.toolbar = &toolbar{}
	m.list = &chatList{}
	m.pane = &chatPane{}
	m.bottom = &statusBar{}
	return m
}

func newInput(prompt, placeholder string, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.SetVirtualCursor(false)
	return ti
}

// Desk returns the state the desktop draws, for tests and scripts.
func (m *Model) Desk() *session.Desk { return m.desk }

// SelectedChat returns the id of the selected chat, "" when there is none
// (script.Selector: a script's api step acts on it). Call it only where
// the model is not being updated, as View is.
func (m *Model) SelectedChat() string { return m.selected }

// Init starts the event pump and the timer tick.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.waitEvent(), tick(), m.waitUploads())
}

func tick() tea.Cmd {
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return tickMsg{} })
}

// waitEvent reads one event from the hub; Update re-arms it after each.
func (m *Model) waitEvent() tea.Cmd {
	if m.hub == nil {
		return nil
	}
	ch := m.hub.Events()
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return linkClosedMsg{}
		}
		return linkMsg(ev)
	}
}

// Update handles one message. It never blocks: sends run in commands.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case linkMsg:
		if m.onLink(session.LinkEvent(msg)) {
			return m, tea.Sequence(m.stopTyping(), tea.Quit)
		}
		return m, m.waitEvent()
	case linkClosedMsg:
		m.desk.SetLink(session.LinkStatus{State: session.LinkDown, Err: "connection closed"})
		m.setError("the hub connection is closed; restart the desktop")
		return m, nil
	case uploadsMsg:
		m.uploadRows = msg
		return m, m.waitUploads()
	case tickMsg:
		return m, tea.Batch(m.onTick(), tick())
	case sentMsg:
		if msg.err != nil {
			m.setError("could not " + msg.what + ": " + msg.err.Error())
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	case tea.MouseClickMsg:
		return m, m.onClick(msg.Mouse())
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.scroll = min(m.scroll+3, m.maxScroll)
		case tea.MouseWheelDown:
			m.scroll = max(m.scroll-3, 0)
		}
		return m, nil
	case tea.PasteMsg:
		return m, m.updateInput(msg)
	}
	return m, nil
}

// onLink applies a link event; it reports whether the desktop must end:
// the hub refused it for good (a wrong token, another login), which Err
// then says.
func (m *Model) onLink(ev session.LinkEvent) (end bool) {
	now := m.now()
	if ev.Status != nil {
		m.desk.SetLink(*ev.Status)
		m.linkAt = now
		switch ev.Status.State {
		case session.LinkUp:
			m.setStatus("connected to the hub")
		case session.LinkDown:
			m.setError("lost the hub connection" + errSuffix(ev.Status.Err) + "; chats stay while it reconnects")
		case session.LinkRefused:
			m.setError("the hub refused this desktop" + errSuffix(ev.Status.Err))
			m.refused = fmt.Errorf("%w%s", ErrRefused, errSuffix(ev.Status.Err))
			return true
		}
	}
	if ev.Envelope != nil {
		ns, err := m.desk.Apply(*ev.Envelope, now)
		if err != nil {
			m.setError(err.Error())
		}
		m.addNotices(ns)
		m.fixSelection()
	}
	return false
}

// ErrRefused is what Err wraps when the hub refused the desktop for good.
var ErrRefused = errors.New("the hub refused this desktop")

// Err returns why the desktop ended by itself, wrapping ErrRefused when
// the hub refused it (a wrong token, the agent logged in elsewhere); nil
// when the agent quit.
func (m *Model) Err() error { return m.refused }

func (m *Model) onTick() tea.Cmd {
	m.ticks++
	now := m.now()
	m.addNotices(m.desk.Tick(now))
	if m.typingChat != "" && now.Sub(m.lastKey) >= typingIdle {
		return m.stopTyping()
	}
	return nil
}

func (m *Model) addNotices(ns []session.Notice) {
	for _, n := range ns {
		m.notices = append(m.notices, n)
		who := ""
		if c := m.desk.Chat(n.Chat); c != nil {
			who = c.Customer + ": "
		}
		if n.Reason == session.AttnError {
			m.setError(who + n.Text)
		} else {
			m.setStatus("! " + who + n.Text)
		}
	}
	if len(m.notices) > maxNoticeKeep {
		m.notices = m.notices[len(m.notices)-maxNoticeKeep:]
	}
}

func (m *Model) setStatus(s string) { m.status, m.statusErr = oneLine(s), false }
func (m *Model) setError(s string)  { m.status, m.statusErr = oneLine(s), true }

// selectedChat returns the selected chat, or nil.
func (m *Model) selectedChat() *session.Chat {
	return m.desk.Chat(m.selected)
}

// fixSelection keeps a valid selection and a focus the chat allows.
func (m *Model) fixSelection() {
	chats := m.desk.Chats()
	if m.desk.Chat(m.selected) == nil {
		m.selected = ""
		if len(chats) > 0 {
			m.selected = chats[0].ID
		}
		m.scroll = 0
	}
	if !m.focusAllowed(m.focus) {
		m.setFocus(focusList)
	}
	if c := m.selectedChat(); c != nil {
		m.seen[c.ID] = len(c.Transcript)
	}
	for id := range m.drafts {
		if m.desk.Chat(id) == nil {
			delete(m.drafts, id)
		}
	}
	for id := range m.seen {
		if m.desk.Chat(id) == nil {
			delete(m.seen, id)
		}
	}
	for id := range m.unsent {
		if c := m.desk.Chat(id); c == nil || c.State != session.Connected {
			delete(m.unsent, id)
		}
	}
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// selectIndex moves the selection by delta through the list, wrapping.
func (m *Model) selectIndex(delta int) {
	chats := m.desk.Chats()
	if len(chats) == 0 {
		return
	}
	i := 0
	for j, c := range chats {
		if c.ID == m.selected {
			i = j
		}
	}
	i = ((i+delta)%len(chats) + len(chats)) % len(chats)
	m.selectChat(chats[i].ID)
}

// selectChat selects chat id. The message box keeps the focus when the
// new chat takes messages (ctrl+n from the box), with that chat's unsent
// text; other fields give it to the list.
func (m *Model) selectChat(id string) {
	if id == m.selected {
		return
	}
	if m.selected != "" {
		m.unsent[m.selected] = m.composer.Value()
	}
	m.selected, m.scroll = id, 0
	m.composer.SetValue(m.unsent[id])
	m.composer.CursorEnd()
	delete(m.unsent, id)
	if c := m.selectedChat(); c != nil {
		m.note.SetValue(c.Note)
	}
	m.caseIn.Reset()
	if m.focus != focusList && !(m.focus == focusComposer && m.focusAllowed(focusComposer)) {
		m.setFocus(focusList)
	}
	m.fixSelection()
}

func (m *Model) focusAllowed(f focus) bool {
	c := m.selectedChat()
	switch f {
	case focusList:
		return true
	case focusComposer, focusPrompt:
		return c != nil && c.State == session.Connected
	case focusDispo, focusNote, focusCase:
		return c != nil && c.State == session.ACW
	}
	return false
}

// focusOrder lists the fields tab cycles through for the selected chat.
func (m *Model) focusOrder() []focus {
	out := []focus{focusList}
	for _, f := range []focus{focusComposer, focusDispo, focusNote, focusCase} {
		if m.focusAllowed(f) {
			out = append(out, f)
		}
	}
	return out
}

func (m *Model) cycleFocus(delta int) {
	order := m.focusOrder()
	i := 0
	for j, f := range order {
		if f == m.focus {
			i = j
		}
	}
	m.setFocus(order[((i+delta)%len(order)+len(order))%len(order)])
	if m.focus == focusList {
		m.guard.settle() // tab to the list is a deliberate move
	}
}

func (m *Model) setFocus(f focus) {
	m.focus = f
	for _, p := range []struct {
		ti *textinput.Model
		f  focus
	}{{&m.composer, focusComposer}, {&m.urlInput, focusPrompt}, {&m.note, focusNote}, {&m.caseIn, focusCase}} {
		if p.f == f {
			p.ti.Focus()
		} else {
			p.ti.Blur()
		}
	}
}

func (m *Model) draft(id string) *acwDraft {
	d := m.drafts[id]
	if d == nil {
		d = &acwDraft{}
		m.drafts[id] = d
	}
	return d
}
