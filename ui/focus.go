package ui

import (
	"charm.land/bubbles/v2/textinput"

	"github.com/agentdesk/agentdesk/session"
)

// The selection and the focus: which chat the keys act on, and where they
// go (the list, the message box, the push-URL prompt, the wrap-up form's
// fields). A selected chat that goes leaves the cursor on its row; the
// message box keeps the focus from chat to chat when it can.

// selectedChat returns the selected chat, or nil.
func (m *Model) selectedChat() *session.Chat {
	return m.desk.Chat(m.selected)
}

// fixSelection keeps a valid selection and a focus the chat allows.
func (m *Model) fixSelection() {
	chats := m.desk.Chats()
	if m.desk.Chat(m.selected) == nil {
		// the selected chat went: the cursor stays on its row, which the
		// next chat now holds (the last, when it was the last)
		m.selected = ""
		if len(chats) > 0 {
			m.selected = chats[min(m.selRow, len(chats)-1)].ID
		}
		m.scroll = 0
	}
	for i, c := range chats {
		if c.ID == m.selected {
			m.selRow = i
		}
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

// The composer's hint says what typing does from where the focus is: with
// the list focused single keys are commands (e ends the chat), so there it
// does not invite typing, it says how to get to the message box.
const (
	composerHint     = "type a message, enter to send"
	composerListHint = "enter to write · keys are commands"
)

func (m *Model) setFocus(f focus) {
	m.focus = f
	m.composer.Placeholder = composerListHint
	if f == focusComposer {
		m.composer.Placeholder = composerHint
	}
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
