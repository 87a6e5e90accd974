package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// scrollUp scrolls the transcript up by n lines; at the top of what the
// desk has, with older sessions left in the hub's store, it asks for them
// (R-I2), once until they come.
func (m *Model) scrollUp(n int) tea.Cmd {
	if m.scroll < m.maxScroll {
		m.scroll = min(m.scroll+n, m.maxScroll)
		return nil
	}
	c := m.selectedChat()
	if c == nil || !c.HistoryMore || m.historyAsked[c.ID] {
		return nil
	}
	before := ""
	if len(c.History) > 0 {
		before = c.History[0].Chat
	}
	if m.historyAsked == nil {
		m.historyAsked = map[string]bool{}
	}
	m.historyAsked[c.ID] = true
	m.setStatus("loading older chats with " + c.Customer + "…")
	return m.send("load older history", session.TypeHistory, c.ID, session.HistoryRequest{Before: before})
}

// historyCame clears the pending ask of a chat whose older sessions came.
func (m *Model) historyCame(e *session.Envelope) {
	if e != nil && e.Type == session.TypeHistory {
		delete(m.historyAsked, e.Chat)
	}
}
