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
	// Frames, when set, gets every screen rendered (the text desktop's
	// recording).
	Frames Frames
	// Warning is shown loudly on a line of its own under the title and
	// atop the Uploads panel, e.g. that capture fell back to synthetic
	// devices.
	Warning string
	// Bell rings the terminal bell when a new offer alerts.
	Bell bool
	// NeedKey says recordings made here are encrypted only if the hub
	// tells a store key in its welcome (the desktop has none of its own and
	// plaintext was not chosen): without one the warning line says so.
	NeedKey bool
	// OnQuit says what quitting does to a live recording, for the quit
	// question ("" : the in-process capture's words, quit.go).
	OnQuit string
	// MyRecordings, when set, feeds the My Recordings panel (M / f3):
	// the agent's own ad hoc recordings on the hub (R-C7).
	MyRecordings MyRecordings
	// RecordingsDir is the folder the panel offers to download into
	// (the agent may change it before each download).
	RecordingsDir string
	// OpenURL opens an address in the browser; nil or ErrNoBrowser: the
	// panel shows the address to copy.
	OpenURL func(url string) error
	// Directory, when set, feeds the picker (t / f4): agents and queues
	// with their availability and load (issue 14).
	Directory Directory
	// Files, when set, sends and saves the files of a chat (R-I6).
	Files ChatFiles
	// FilesDir is the folder first offered to save a chat's file into.
	FilesDir string
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
	selRow    int // the selected chat's row, kept when it goes
	focus     focus
	help      bool
	ticks     int
	scroll    int // transcript lines scrolled up from the bottom
	maxScroll int // the most scroll can be, as last drawn

	historyAsked map[string]bool // chats whose older history was asked for and has not come

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

	noteSent   map[string]string // the note last sent per chat (keepNote)
	doneSent   map[string]bool   // chats the agent marked done (the rest closed by the hub)
	guard      typingGuard       // single keys off after typing (guard.go)
	promptFrom focus             // where the push-URL prompt came from; esc goes back
	unsent     map[string]string // unsent message box text per chat

	capture     Capture
	uploads     Uploads
	frames      Frames // nil: the screens are not recorded
	base        string // the warning the desktop started with
	needKey     bool   // Options.NeedKey
	warning     string
	showUploads bool                   // the Uploads panel covers the body
	uploadRows  []uploader.ItemStatus  // the last snapshot of the queue
	myrec       *myRecPanel            // the My Recordings panel; shown, it covers the body
	picker      *picker                // the transfer / conference / consult picker; shown, it covers the body
	outgoing    map[string][]*outgoing // invitations sent from each chat (outgoing.go)
	answered    map[string]bool        // invitations this agent answered (the hub says nothing back on accept)
	removing    string                 // the chat whose party to remove is being asked (invites.go)
	showInvite  bool                   // the oldest invitation's chat covers the body (I)
	consult     *consultView           // the consultation view; shown, it covers the body
	files       *chatFiles             // the file prompts (files.go)

	refused error  // the hub refused this desktop for good: the program ends
	bell    bool   // ring the terminal bell on a new offer
	onQuit  string // Options.OnQuit
	ring    bool   // a notice asked for the bell; Update rings it

	linkAt    time.Time // when the last link status came
	status    string
	statusErr bool
	// statusNote is the notice on the status line, cleared once it is stale
	statusNote *session.Notice
	notices    []session.Notice

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

		noteSent: map[string]string{},
		doneSent: map[string]bool{},

		capture: o.Capture,
		uploads: o.Uploads,
		bell:    o.Bell,
		onQuit:  o.OnQuit,
		frames:  o.Frames,
		warning: oneLine(o.Warning),
		base:    oneLine(o.Warning),
		needKey: o.NeedKey,
	}
	if m.warning != "" {
		m.setError(m.warning)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.composer = newInput("› ", composerListHint, 4000)
	m.urlInput = newInput("URL: ", "https://…", 2000)
	m.note = newInput("", "a note for this chat", 2000)
	m.caseIn = newInput("", "key=value, enter to add", 500)
	m.top = &titleBar{}
	m.toolbar = &toolbar{}
	m.list = &chatList{}
	m.pane = &chatPane{}
	m.bottom = &statusBar{}
	m.myrec = newMyRecPanel(o.MyRecordings, o.RecordingsDir, o.OpenURL)
	m.picker = newPicker(o.Directory)
	m.consult = newConsultView()
	m.files = newChatFiles(o.Files, o.FilesDir)
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
		return m, tea.Batch(m.waitEvent(), m.ringBell())
	case linkClosedMsg:
		m.desk.SetLink(session.LinkStatus{State: session.LinkDown, Err: "connection closed"})
		m.setError("the hub connection is closed; restart the desktop")
		return m, nil
	case uploadsMsg:
		m.uploadRows = msg
		return m, tea.Batch(m.waitUploads(), m.myrec.uploadsDone(msg))
	case recPageMsg, recProgressMsg, recSavedMsg, recOpenedMsg:
		cmd := m.myrec.update(msg)
		if _, ok := msg.(recSavedMsg); ok && !m.myrec.shown && len(m.myrec.note) > 0 {
			// the download went on with the panel hidden: its end is said here
			if m.myrec.noteBad {
				m.setError(m.myrec.note[0])
			} else {
				m.setStatus(m.myrec.note[0] + " (M shows what was checked)")
			}
		}
		return m, cmd
	case fileDoneMsg:
		m.fileDone(msg)
		return m, nil
	case pickDirMsg:
		m.picker.took(msg, m.now())
		return m, nil
	case tickMsg:
		return m, tea.Batch(m.onTick(), tick(), m.picker.tick(m.now()))
	case sentMsg:
		if msg.err != nil {
			m.setError("could not " + msg.what + ": " + msg.err.Error())
		}
		return m, nil
	case tea.KeyPressMsg:
		keep := m.keepNote()
		return m, tea.Batch(m.onKey(msg), keep())
	case tea.MouseClickMsg:
		keep := m.keepNote()
		return m, tea.Batch(m.onClick(msg.Mouse()), keep())
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			if m.picker.shown {
				m.picker.move(-1)
				return m, nil
			}
			return m, m.scrollUp(3)
		case tea.MouseWheelDown:
			if m.picker.shown {
				m.picker.move(1)
				return m, nil
			}
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
		m.historyCame(ev.Envelope)
		defer m.consultOpened(ev.Envelope)
		if words, bad := m.inviteResult(ev.Envelope); words != "" {
			defer func() {
				if bad {
					m.setError(words)
				} else {
					m.setStatus(words)
				}
			}()
		}
		if ev.Envelope.Type == session.TypeWelcome {
			defer m.keyWarning() // after the desk has the welcome
		}
		closed := m.closedByHub(*ev.Envelope)
		ns, err := m.desk.Apply(*ev.Envelope, now)
		if err != nil {
			m.setError(err.Error())
		}
		m.addNotices(ns)
		if closed != "" {
			m.setStatus("! " + closed)
		}
		m.fixSelection()
		if m.consult.shown && m.current() == nil { // the last consultation ended
			m.consult.shown = false
			m.consult.input.Blur()
		}
		if p := m.picker; p.shown { // the chat it acts on ended or left
			if c := m.desk.Chat(p.chat); c == nil || c.State != session.Connected {
				p.close()
				m.setError("the picker closed: the chat is no longer connected")
			}
		}
		m.dropStaleNotice()
		if c := m.selectedChat(); c != nil && m.focus != focusNote && c.Note != "" {
			m.note.SetValue(c.Note) // the field shows the hub's note while not edited
		}
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
	m.dropStaleNotice()
	if m.typingChat != "" && now.Sub(m.lastKey) >= typingIdle {
		return m.stopTyping()
	}
	return nil
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func (m *Model) draft(id string) *acwDraft {
	d := m.drafts[id]
	if d == nil {
		d = &acwDraft{}
		m.drafts[id] = d
	}
	return d
}
