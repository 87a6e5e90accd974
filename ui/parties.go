package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// partyLines says who is in a conference (R-I8) and who is listening
// (R-C8), under the chat's header; "" while the chat is this agent's
// alone.
func partyLines(f *frame, c *session.Chat, w int) []string {
	p := c.Parties
	if p == nil || (len(p.Parties) == 0 && len(p.Listening) == 0 && (p.Owner.ID == "" || p.Owner.ID == f.desk.Agent.ID)) {
		return nil
	}
	st := f.st
	name := func(a session.AgentRef) string {
		n := oneLine(a.Name)
		if n == "" {
			n = oneLine(a.ID)
		}
		if a.ID == f.desk.Agent.ID {
			n += " (you)"
		}
		return n
	}
	parts := []string{st.Label.Render("In the chat: ") + st.Value.Render(name(p.Owner)) + st.Hint.Render(" owner")}
	for _, a := range p.Parties {
		parts = append(parts, st.Value.Render(name(a)))
	}
	if len(p.Listening) > 0 {
		var ls []string
		for _, a := range p.Listening {
			ls = append(ls, name(a))
		}
		parts = append(parts, st.RecSup.Render("listening: "+strings.Join(ls, ", ")))
	}
	// packed at the " · " between names, at most two lines
	sep := st.Hint.Render(" · ")
	var out []string
	cur := ""
	for _, part := range parts {
		switch {
		case cur == "":
			cur = part
		case lipgloss.Width(cur+sep+part) <= w:
			cur += sep + part
		default:
			out = append(out, cur)
			cur = part
		}
	}
	out = append(out, cur)
	if len(out) > 2 {
		out = append(out[:1], strings.Join(out[1:], sep))
	}
	for i := range out {
		out[i] = ansi.Truncate(out[i], w, "…")
	}
	return out
}

// owns tells whether this agent owns c (a chat with no parties is its own).
func (m *Model) owns(c *session.Chat) bool {
	return c.Parties == nil || c.Parties.Owner.ID == "" || c.Parties.Owner.ID == m.desk.Agent.ID
}

// outgoingLines are the invitations sent from c and how they stand.
func outgoingLines(f *frame, c *session.Chat, w int) []string {
	var out []string
	for _, o := range f.m.outgoingOf(c.ID, f.now) {
		style := f.st.RecInfo
		switch o.status {
		case session.InviteAccepted:
			style = f.st.Value
		case session.InviteRejected, session.InviteTimeout, session.InviteFailed, session.InviteCancelled:
			style = f.st.Attention
		}
		out = append(out, style.Render(ansi.Truncate("⇄ "+o.words(f.now), w, "…")))
	}
	return out
}
