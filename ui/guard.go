package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// The typing guard (issue 11 point 6). Single keys act only while the
// chat list has the focus; but the focus can reach the list without the
// agent asking for it (the chat ended while they typed, a chat was
// withdrawn), and the rest of the sentence would then end chats, stop
// recordings, flag abuse or go Not ready. So once the agent has typed in
// the message box, the list's single keys are off until the agent moves
// there on purpose: esc, tab, an arrow, enter or a click. Chords (ctrl+…)
// act as always. A key kept off says so, once per sentence, in the
// status line.
type typingGuard struct {
	on   bool // the message box was used last; single keys are off
	told bool // the status line said so since the guard came on
}

// typed is called when the agent's typing changed the message box.
func (g *typingGuard) typed() { g.on, g.told = true, false }

// settle is called on a deliberate move: single keys act again.
func (g *typingGuard) settle() { g.on, g.told = false, false }

// stray reports whether k, pressed with the list focused, is text the
// guard keeps from acting; the first one puts why in the status line.
func (m *Model) stray(k tea.KeyPressMsg) bool {
	if !m.guard.on || k.Text == "" {
		return false
	}
	if !m.guard.told {
		m.guard.told = true
		m.setError(fmt.Sprintf("%q not taken as a command: you were typing. Esc turns the single keys on; chords (ctrl+e, ctrl+r…) always work", k.Text))
	}
	return true
}
