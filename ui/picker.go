package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// The picker (issue 14 point 4): from a connected chat, t (or f4) opens a
// list of agents and queues with their availability and load, from the
// hub's GET /v1/directory and refreshed while it is open; typing filters
// it, the arrows and the mouse move in it, enter chooses a target, and
// then t, c or o (or a click) transfers, conferences or consults.

// Directory is where the picker gets its targets (session/hubclient's
// Client implements it).
type Directory interface {
	Directory(ctx context.Context) (session.Directory, error)
}

// Timing of the picker.
const (
	pickRefresh = 3 * time.Second  // reload the directory this often while open
	pickTimeout = 10 * time.Second // one load
)

// pickMode is what the picker's keys do.
type pickMode int

const (
	pickList   pickMode = iota // type to filter, move, enter chooses
	pickAction                 // a target is chosen: which action?
)

// pickEntry is one row of the picker: an agent or a queue.
type pickEntry struct {
	agent *session.DirectoryAgent
	queue *session.DirectoryQueue
}

// request is the InviteRequest the entry makes.
func (e pickEntry) request() session.InviteRequest {
	if e.queue != nil {
		return session.InviteRequest{Queue: e.queue.Name}
	}
	return session.InviteRequest{Agent: e.agent.ID}
}

// name is the entry as a sentence names it.
func (e pickEntry) name() string {
	if e.queue != nil {
		t := e.queue.Title
		if t == "" {
			t = e.queue.Name
		}
		return "the " + oneLine(t) + " queue"
	}
	if e.agent.Name == "" {
		return oneLine(e.agent.ID)
	}
	return oneLine(e.agent.Name)
}

// available tells whether the entry can take an invitation now.
func (e pickEntry) available() bool {
	if e.queue != nil {
		return e.queue.Available > 0
	}
	return e.agent.Available
}

// matches tells whether the entry fits the filter (any word of it, in
// the name, id, title or queues; case does not matter).
func (e pickEntry) matches(filter string) bool {
	var hay string
	if e.queue != nil {
		hay = e.queue.Name + " " + e.queue.Title + " queue skill"
	} else {
		hay = e.agent.ID + " " + e.agent.Name + " " + strings.Join(e.agent.Queues, " ")
	}
	hay = strings.ToLower(hay)
	for _, w := range strings.Fields(strings.ToLower(filter)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// picker is the transfer / conference / consultation picker: its own
// state, keys and view; the Model shows it in the body.
type picker struct {
	src    Directory
	shown  bool
	chat   string // the chat it acts on
	mode   pickMode
	filter textinput.Model

	dir      session.Directory
	loaded   bool
	loading  bool
	loadErr  string
	loadedAt time.Time
	gen      int

	cursor, top int
	chosen      *pickEntry // in pickAction
	w, h        int
	me          string // this agent's id: not offered
}

// pickDirMsg is a loaded directory.
type pickDirMsg struct {
	gen int
	dir session.Directory
	err error
}

func newPicker(src Directory) *picker {
	p := &picker{src: src}
	p.filter = newInput("Find: ", "type a name, an id or a queue", 100)
	return p
}

// open shows the picker for chat.
func (p *picker) open(chat, me string) tea.Cmd {
	p.shown, p.chat, p.me, p.mode, p.chosen = true, chat, me, pickList, nil
	p.cursor, p.top = 0, 0
	p.filter.Reset()
	focus := p.filter.Focus()
	if p.src == nil {
		p.loadErr = "this desktop has no hub to ask who is there"
		return focus
	}
	return tea.Batch(focus, p.load())
}

func (p *picker) close() {
	p.shown, p.chosen = false, nil
	p.filter.Blur()
}

// load asks the hub for the directory.
func (p *picker) load() tea.Cmd {
	if p.src == nil {
		return nil
	}
	p.gen++
	p.loading = true
	gen, src := p.gen, p.src
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), pickTimeout)
		defer cancel()
		d, err := src.Directory(ctx)
		return pickDirMsg{gen: gen, dir: d, err: err}
	}
}

// loaded takes a directory; the cursor stays on the same entry.
func (p *picker) took(msg pickDirMsg, now time.Time) {
	if msg.gen != p.gen {
		return
	}
	p.loading, p.loadedAt = false, now
	if msg.err != nil {
		p.loadErr = msg.err.Error()
		return
	}
	var was string
	if es := p.entries(); p.cursor < len(es) {
		was = entryKey(es[p.cursor])
	}
	p.dir, p.loaded, p.loadErr = msg.dir, true, ""
	p.keepCursor(was)
}

// tick reloads the directory while the picker is open.
func (p *picker) tick(now time.Time) tea.Cmd {
	if !p.shown || p.loading || p.src == nil || now.Sub(p.loadedAt) < pickRefresh {
		return nil
	}
	return p.load()
}

func entryKey(e pickEntry) string {
	if e.queue != nil {
		return "q:" + e.queue.Name
	}
	return "a:" + e.agent.ID
}

func (p *picker) keepCursor(key string) {
	for i, e := range p.entries() {
		if entryKey(e) == key {
			p.cursor = i
			return
		}
	}
	p.cursor = min(p.cursor, max(len(p.entries())-1, 0))
}

// entries are the rows the filter lets through: queues first, then
// agents; the available before the others, then by name.
func (p *picker) entries() []pickEntry {
	var qs, as []pickEntry
	for i := range p.dir.Queues {
		if e := (pickEntry{queue: &p.dir.Queues[i]}); e.matches(p.filter.Value()) {
			qs = append(qs, e)
		}
	}
	for i := range p.dir.Agents {
		if p.dir.Agents[i].ID == p.me {
			continue
		}
		if e := (pickEntry{agent: &p.dir.Agents[i]}); e.matches(p.filter.Value()) {
			as = append(as, e)
		}
	}
	order := func(a, b pickEntry) int {
		if a.available() != b.available() {
			if a.available() {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.name()), strings.ToLower(b.name()))
	}
	slices.SortStableFunc(qs, order)
	slices.SortStableFunc(as, order)
	return append(qs, as...)
}

func (p *picker) move(delta int) {
	n := len(p.entries())
	if n == 0 {
		return
	}
	p.cursor = min(max(p.cursor+delta, 0), n-1)
}

// rowsShown is how many entries fit: the box's borders, the title, the
// filter, the count line and the action line go first.
func (p *picker) rowsShown() int { return max(p.h-2-4, 1) }

// choose moves to the action step for the entry under the cursor.
func (p *picker) choose() {
	es := p.entries()
	if p.cursor >= len(es) {
		return
	}
	e := es[p.cursor]
	p.chosen, p.mode = &e, pickAction
	p.filter.Blur()
}

// pickKinds are the three actions, their keys and their words.
var pickKinds = []struct {
	kind, key, label, typ string
}{
	{session.InviteTransfer, "t", "Transfer", session.TypeTransfer},
	{session.InviteConference, "c", "Conference", session.TypeConference},
	{session.InviteConsult, "o", "Consult", session.TypeConsult},
}

// pickerKey handles a key while the picker is shown.
func (m *Model) pickerKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.picker
	if p.mode == pickAction {
		switch {
		case key.Matches(k, m.keys.Esc):
			p.mode, p.chosen = pickList, nil
			return p.filter.Focus()
		}
		for _, pk := range pickKinds {
			if k.String() == pk.key {
				return m.invite(pk.kind)
			}
		}
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Esc), key.Matches(k, m.keys.PickerC):
		p.close()
		m.setStatus("picker closed")
		return nil
	case k.String() == "up":
		p.move(-1)
	case k.String() == "down":
		p.move(1)
	case key.Matches(k, m.keys.ScrollUp):
		p.move(-p.rowsShown())
	case key.Matches(k, m.keys.ScrollDown):
		p.move(p.rowsShown())
	case key.Matches(k, m.keys.Send):
		p.choose()
	default:
		before := p.filter.Value()
		var cmd tea.Cmd
		p.filter, cmd = p.filter.Update(k)
		if p.filter.Value() != before {
			p.cursor, p.top = 0, 0
		}
		return cmd
	}
	return nil
}

// invite sends the chosen action to the chosen target and closes the
// picker; the answer comes as an invite_result (outgoing.go).
func (m *Model) invite(kind string) tea.Cmd {
	p := m.picker
	e := p.chosen
	c := m.desk.Chat(p.chat)
	p.close()
	if e == nil {
		return nil
	}
	if c == nil || c.State != session.Connected {
		m.setError("the chat is no longer connected: nothing was sent")
		return nil
	}
	for _, pk := range pickKinds {
		if pk.kind != kind {
			continue
		}
		m.outgoingSent(c.ID, kind, e.name())
		m.setStatus(fmt.Sprintf("%s: asked %s, waiting for an answer", pk.label, e.name()))
		return m.send(strings.ToLower(pk.label), pk.typ, c.ID, e.request())
	}
	return nil
}

// openPicker opens the picker on the selected chat, or says why not.
func (m *Model) openPicker() tea.Cmd {
	c := m.selectedChat()
	switch {
	case c == nil:
		m.setError("Transfer · Conference · Consult: no chat selected")
		return nil
	case c.State != session.Connected:
		m.setError("Transfer · Conference · Consult: only a connected chat")
		return nil
	case c.Parties != nil && c.Parties.Owner.ID != "" && c.Parties.Owner.ID != m.desk.Agent.ID:
		m.setError("Transfer · Conference · Consult: only the chat's owner (" + oneLine(c.Parties.Owner.Name) + ")")
		return nil
	}
	return m.picker.open(c.ID, m.desk.Agent.ID)
}

// pickerClick handles a click in the picker: a row moves the cursor (a
// second click on it chooses), an action button acts.
func (m *Model) pickerClick(h hitTarget) tea.Cmd {
	p := m.picker
	switch h.kind {
	case hitPickRow:
		if p.mode == pickList && p.cursor == h.n {
			p.choose()
			return nil
		}
		p.mode, p.chosen, p.cursor = pickList, nil, h.n
		return p.filter.Focus()
	case hitPickAct:
		if p.mode != pickAction {
			p.choose()
		}
		return m.invite(pickKinds[h.n].kind)
	}
	return nil
}
