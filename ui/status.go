package ui

import (
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/agentdesk/agentdesk/session"
)

// The status line and the key reminder at the bottom of the screen: what
// just happened (a notice, an error, a refusal in words), cleared when it
// no longer holds, and the keys that work where the focus is.

// addNotices puts notices in the status line, each saying which chat it
// is about unless its words name the customer already, so that the hub's
// words never read as the customer's ("! Bob Smith: Ada started Record").
// A new offer or invitation rings the terminal bell when the desktop has it on.
func (m *Model) addNotices(ns []session.Notice) {
	for _, n := range ns {
		m.notices = append(m.notices, n)
		text := oneLine(n.Text)
		if c := m.desk.Chat(n.Chat); c != nil && c.Customer != "" && !strings.Contains(n.Text, c.Customer) {
			text = "chat with " + oneLine(c.Customer) + ": " + text
		}
		switch n.Reason {
		case session.AttnError:
			m.setError(text)
		case session.AttnOffer:
			if prev := m.statusNote; prev != nil && prev.Chat == n.Chat && prev.Reason == session.AttnRevoked {
				// the same chat comes back at once (nobody else could take
				// it): both are said, the withdrawal first
				text = strings.TrimPrefix(m.status, "! ") + "; offered to you again: a accepts, x rejects"
			}
			m.setStatus("! " + text)
			m.ring = m.ring || m.bell
		case session.AttnInvite: // an invitation alerts like an offer (issue 14)
			m.setStatus("! " + text + ": A accepts, X rejects")
			m.ring = m.ring || m.bell
		default:
			m.setStatus("! " + text)
		}
		m.statusNote = &n
	}
	if len(m.notices) > maxNoticeKeep {
		m.notices = m.notices[len(m.notices)-maxNoticeKeep:]
	}
}

// ringBell returns the command that rings the terminal bell when a notice
// asked for it since the last call.
func (m *Model) ringBell() tea.Cmd {
	if !m.ring {
		return nil
	}
	m.ring = false
	return tea.Raw("\a")
}

func (m *Model) setStatus(s string) { m.status, m.statusErr, m.statusNote = oneLine(s), false, nil }
func (m *Model) setError(s string)  { m.status, m.statusErr, m.statusNote = oneLine(s), true, nil }

// dropStaleNotice clears the status line when the notice on it no longer
// holds: an offer that was taken, a wait the agent answered, an
// inactivity warning someone wrote after (issue 11 point 13).
func (m *Model) dropStaleNotice() {
	n := m.statusNote
	if n == nil {
		return
	}
	c := m.desk.Chat(n.Chat)
	stale := false
	switch n.Reason {
	case session.AttnOffer:
		stale = c == nil || c.State != session.Offered
	case session.AttnPendingWarn, session.AttnInactivitySoon, session.AttnContactGone:
		stale = c == nil || !slices.ContainsFunc(c.Attention, func(a session.Notice) bool { return a.Reason == n.Reason && a.At.Equal(n.At) })
	}
	if stale {
		m.status, m.statusErr, m.statusNote = "", false, nil
	}
}

// closedByHub says it when e closes a chat in wrap-up that the agent did
// not mark done: its wrap-up time ran out (R-I1; issue 11 point 11).
func (m *Model) closedByHub(e session.Envelope) string {
	if e.Type != session.TypeState {
		return ""
	}
	var sd session.StateData
	c := m.desk.Chat(e.Chat)
	if e.Decode(&sd) != nil || sd.State != session.Done || c == nil {
		return ""
	}
	switch sd.Reason { // the chat goes on without this agent (issue 14)
	case session.EndTransferred:
		return "the chat with " + oneLine(c.Customer) + " was transferred: it has left your desktop"
	case session.EndRemoved:
		return "you were removed from the chat with " + oneLine(c.Customer) + " by its owner"
	case session.EndLeft:
		return "you left the chat with " + oneLine(c.Customer) + "; it goes on without you"
	}
	if c.State != session.ACW {
		return ""
	}
	if m.doneSent[c.ID] {
		delete(m.doneSent, c.ID)
		return ""
	}
	what := "no disposition"
	if c.Disposition != "" {
		what = "disposition " + oneLine(c.Disposition)
	}
	return "wrap-up time ran out: the chat with " + oneLine(c.Customer) + " closed (" + what + ")"
}

// statusBar shows the last status or error and a key reminder.
type statusBar struct{ w int }

func (s *statusBar) SetSize(w, _ int) { s.w = w }

func (s *statusBar) Render(f *frame) rendered {
	st := f.st
	msg := f.m.status
	style := st.Status
	if f.m.statusErr {
		style = st.StatusErr
	}
	if msg == "" {
		msg = idleHint(f)
	}
	if q := f.m.confirm; q != nil {
		msg, style = q.question, st.Confirm
	}
	if q := f.m.removeQuestion(); f.m.removing != "" && q != "" {
		msg, style = q, st.Confirm
	}
	return rendered{lines: []string{
		style.Render(fitWidth(" "+msg, s.w)),
		reminderLine(f, s.w),
	}}
}

// reminderLine is the key reminder, as many keys as fit in w: the last
// (quit) always, the others from the first.
func reminderLine(f *frame, w int) string {
	st := f.st
	items := f.m.keys.reminder(inTextField(f.focus))
	if f.m.myrec.shown && !f.m.help && !f.m.showUploads && f.m.confirm == nil {
		items = f.m.myrec.reminder(f.m.keys)
	}
	if f.m.files.mode != fileNone {
		items = [][2]string{{"enter", "go"}, {"esc", "cancel"}, {caret(f.m.keys.QuitC), "quit"}}
	} else if f.m.consult.shown && !f.m.help && !f.m.showUploads && f.m.confirm == nil {
		items = [][2]string{{"enter", "send"}, {"^E", "end consultation"}}
		if k := f.m.current(); k != nil && k.From.ID == f.desk.Agent.ID {
			items = append(items, [2]string{"f7", "to transfer"}, [2]string{"f8", "to conference"})
		}
		items = append(items, [2]string{"tab", "next"}, [2]string{"esc", "close"}, [2]string{caret(f.m.keys.QuitC), "quit"})
	} else if f.m.picker.shown && !f.m.help && !f.m.showUploads && f.m.confirm == nil {
		items = f.m.picker.reminder(f.m.keys)
	}
	render := func(items [][2]string) string {
		var out []string
		for _, it := range items {
			out = append(out, st.HelpKey.Render(it[0])+" "+st.HelpDesc.Render(it[1]))
		}
		return strings.Join(out, st.Sep.Render(" · "))
	}
	for n := len(items); n > 1; n-- {
		if line := render(append(items[:n-1:n-1], items[len(items)-1])); lipgloss.Width(line) <= w {
			return line
		}
	}
	return render(items[len(items)-1:])
}

// inTextField reports whether the focus is a field that takes text, where
// single keys are text and the chords act.
func inTextField(fo focus) bool {
	return fo == focusComposer || fo == focusPrompt || fo == focusNote || fo == focusCase
}

// idleHint is the status line when nothing happened to say: what the
// keys do where the focus is.
func idleHint(f *frame) string {
	switch f.focus {
	case focusComposer:
		return "enter sends · esc: the list's single keys · chords (ctrl+r, ctrl+e…) act from here"
	case focusPrompt:
		return "Push URL: type the address, enter to send, esc to cancel"
	case focusDispo, focusNote, focusCase:
		return "tab: next field · enter picks or saves · ctrl+d Mark Done · esc: the list"
	}
	if f.sel == nil {
		return "Welcome. Press ? for the keys."
	}
	return "↑/↓ choose a chat · enter writes to it · ? every key"
}
