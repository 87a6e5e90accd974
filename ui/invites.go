package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// Invitations to this agent (issue 14 point 2): each is a line above the
// body with who asks, what for, its countdown and the keys to answer (A
// or f5 accepts the oldest, X or f6 rejects it); open consultations are
// a line there too (C or f9 shows them).

// maxInviteLines is how many invitation lines the bar shows at most.
const maxInviteLines = 2

// invites are the invitations still open: not answered here, not run out.
func (m *Model) invites() []session.InviteData {
	var out []session.InviteData
	now := m.now()
	for _, inv := range m.desk.Invites() {
		if m.answered[inv.ID] || (!inv.Expiry.IsZero() && !inv.Expiry.After(now)) {
			continue
		}
		out = append(out, inv)
	}
	return out
}

// inviteWords says what an invitation asks, for its line.
func inviteWords(inv session.InviteData) string {
	from := oneLine(inv.From.Name)
	if from == "" {
		from = oneLine(inv.From.ID)
	}
	cust := oneLine(inv.Chat.Customer)
	var s string
	switch inv.Kind {
	case session.InviteTransfer:
		s = from + " transfers the chat with " + cust + " to you"
	case session.InviteConference:
		s = from + " invites you into the chat with " + cust
	case session.InviteConsult:
		s = from + " asks to consult you about the chat with " + cust
	default:
		s = from + " invites you (" + oneLine(inv.Kind) + ")"
	}
	if inv.Queue != "" {
		s += " (queue " + oneLine(inv.Queue) + ")"
	}
	if t := oneLine(inv.Text); t != "" {
		s += ": “" + t + "”"
	}
	return s
}

// barLines are the lines above the body: invitations, then open
// consultations; clickable [A Accept] / [X Reject] / [C Open].
func (m *Model) barLines(f *frame, w int) rendered {
	st := f.st
	var r rendered
	invs := m.invites()
	for i, inv := range invs {
		if i == maxInviteLines {
			r.lines = append(r.lines, fitWidth(st.Attention.Render(fmt.Sprintf(" … and %d more invitations", len(invs)-i)), w))
			break
		}
		left := ""
		if !inv.Expiry.IsZero() {
			left = mmss(inv.Expiry.Sub(f.now)) + " "
		}
		acc, rej := "[A Accept]", "[X Reject]"
		btns := acc + " " + rej
		text := ansi.Truncate(" ⇄ "+left+inviteWords(inv), max(w-lipgloss.Width(btns)-2, 10), "…")
		x := lipgloss.Width(text) + 1
		if i == 0 {
			r.hit(len(r.lines), x, lipgloss.Width(acc), hitTarget{kind: hitInvite, n: 1})
			r.hit(len(r.lines), x+lipgloss.Width(acc)+1, lipgloss.Width(rej), hitTarget{kind: hitInvite, n: 0})
		}
		style := st.Attention
		if f.flash && i == 0 {
			style = st.Value
		}
		bs := st.Button
		if i > 0 {
			bs = st.ButtonOff
		}
		r.lines = append(r.lines, fitWidth(style.Render(text)+" "+bs.Render(acc)+" "+bs.Render(rej), w))
	}
	if ks := m.desk.Consultations(); len(ks) > 0 && !m.consult.shown {
		var names []string
		unread := 0
		for _, k := range ks {
			names = append(names, oneLine(m.otherOf(k).Name))
			unread += k.Unread
		}
		text := " ✉ Consultation with " + strings.Join(names, ", ")
		if unread > 0 {
			text += fmt.Sprintf(" · %d unread", unread)
		}
		btn := "[C Open]"
		text = ansi.Truncate(text, max(w-lipgloss.Width(btn)-2, 10), "…")
		r.hit(len(r.lines), lipgloss.Width(text)+1, lipgloss.Width(btn), hitTarget{kind: hitConsultOpen})
		r.lines = append(r.lines, fitWidth(st.RecInfo.Render(text)+" "+st.Button.Render(btn), w))
	}
	return r
}

// answerInvite accepts or rejects the oldest open invitation.
func (m *Model) answerInvite(accept bool) tea.Cmd {
	invs := m.invites()
	if len(invs) == 0 {
		m.setError("no invitation to answer")
		return nil
	}
	inv := invs[0]
	if m.answered == nil {
		m.answered = map[string]bool{}
	}
	m.answered[inv.ID] = true
	if accept {
		m.setStatus("accepted: " + inviteWords(inv))
		if inv.Kind == session.InviteConsult {
			m.consult.want = inv.Chat.ID // shown as soon as it opens
			if m.consult.about == nil {
				m.consult.about = map[string]string{}
			}
			m.consult.about[inv.Chat.ID] = inv.Chat.Customer
		}
	} else {
		m.setStatus("rejected: " + inviteWords(inv))
	}
	return m.send("answer the invitation", session.TypeAnswer, "", session.AnswerData{Invite: inv.ID, Accept: accept})
}

// inviteKey handles the invitation keys; ok is false for other keys. The
// single keys act from the list, the chords from anywhere.
func (m *Model) inviteKey(k tea.KeyPressMsg, list bool) (tea.Cmd, bool) {
	switch {
	case key.Matches(k, m.keys.InvAcceptC), list && key.Matches(k, m.keys.InvAccept):
		return m.answerInvite(true), true
	case key.Matches(k, m.keys.InvRejectC), list && key.Matches(k, m.keys.InvReject):
		return m.answerInvite(false), true
	}
	return nil, false
}

// startRemove asks whom to remove from the selected conference (R-I8):
// the status line lists the parties by number.
func (m *Model) startRemove() tea.Cmd {
	c := m.selectedChat()
	switch {
	case c == nil:
		m.setError("Remove a party: no chat selected")
	case c.Parties == nil || len(c.Parties.Parties) == 0:
		m.setError("Remove a party: nobody else is in this chat")
	case !m.owns(c):
		m.setError("Remove a party: only the chat's owner (" + oneLine(c.Parties.Owner.Name) + ") can")
	default:
		m.removing = c.ID
	}
	return nil
}

// removeQuestion is the status line while whom to remove is asked.
func (m *Model) removeQuestion() string {
	c := m.desk.Chat(m.removing)
	if c == nil || c.Parties == nil {
		return ""
	}
	var ps []string
	for i, a := range c.Parties.Parties {
		ps = append(ps, fmt.Sprintf("%d %s", i+1, oneLine(a.Name)))
	}
	return "Remove whom from the chat? " + strings.Join(ps, " · ") + " · esc cancels"
}

// removeKey answers the question: a number removes that party.
func (m *Model) removeKey(k tea.KeyPressMsg) tea.Cmd {
	c := m.desk.Chat(m.removing)
	id := m.removing
	m.removing = ""
	if c == nil || c.Parties == nil {
		m.setError("Remove a party: the chat is gone")
		return nil
	}
	s := k.String()
	if len(s) == 1 && s[0] >= '1' && int(s[0]-'1') < len(c.Parties.Parties) {
		a := c.Parties.Parties[s[0]-'1']
		m.setStatus("removing " + oneLine(a.Name) + " from the chat")
		return m.send("remove "+oneLine(a.Name), session.TypeRemove, id, session.RemoveData{Agent: a.ID})
	}
	m.setStatus("Remove a party: cancelled")
	return nil
}

// renderInvitation draws the oldest invitation's chat read-only in the
// body (I): what the agent is asked to take, join or consult about.
func (m *Model) renderInvitation(f *frame, w, h int) rendered {
	st := f.st
	invs := m.invites()
	var r rendered
	if len(invs) == 0 {
		m.showInvite = false
		r.lines = []string{"", " " + st.Hint.Render("No invitation open.")}
		return r.fit(h)
	}
	inv := invs[0]
	r.lines = append(r.lines, " "+ansi.Truncate(st.Label.Render(inviteWords(inv)), w-2, "…"))
	r.lines = append(r.lines, " "+st.Hint.Render("read-only until you accept · A accepts · X rejects · esc or I closes"))
	r.lines = append(r.lines, st.Divider.Render(divider("the chat with "+oneLine(inv.Chat.Customer), w)))
	var ls []string
	for _, l := range inv.Chat.Transcript {
		for _, s := range m.pane.(*chatPane).line(f, l, l.At.In(f.m.loc), w-2) {
			ls = append(ls, " "+s)
		}
	}
	if len(ls) == 0 {
		ls = []string{" " + st.Hint.Render("No messages yet.")}
	}
	n := h - len(r.lines)
	r.lines = append(r.lines, padTop(lastLines(ls, n), n)...)
	return r.fit(h)
}
