package hub

import (
	"context"
	"errors"
	"slices"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Bounds of the wrap-up's case data (R-I10).
const (
	maxCaseKeys = 50
	maxCaseKey  = 64
)

// loadHistory reads the contact's newest earlier sessions for a chat's
// snapshot, oldest first, within limits.history_sessions and
// history_bytes (R-I2). It waits for the journal so a session that just
// ended is there.
func (s *Server) loadHistory(c *chat) ([]session.Session, bool) {
	s.j.sync()
	l := s.cfg.Limits
	hist, more, err := s.st.History(context.Background(), store.HistoryQuery{
		Contact: c.contact, Exclude: c.id, Sessions: l.HistorySessions, MaxBytes: l.HistoryBytes})
	if err != nil {
		s.log.Error("store: history", "chat", c.id, "err", err)
		return nil, false
	}
	slices.Reverse(hist)
	return hist, more
}

// olderHistory answers an agent scrolling up past the history it has:
// the sessions before the one it names (R-I2).
func (s *Server) olderHistory(a *agent, c *chat, env session.Envelope) *frameError {
	var d session.HistoryRequest
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	if c.contact == "" {
		a.conn.send(session.TypeHistory, c.id, session.HistoryData{Sessions: []session.Session{}})
		return nil
	}
	if d.Before == "" && len(c.history) > 0 {
		d.Before = c.history[0].Chat
	}
	l := s.cfg.Limits
	hist, more, err := s.st.History(context.Background(), store.HistoryQuery{
		Contact: c.contact, Before: d.Before, Exclude: c.id, Sessions: l.HistorySessions, MaxBytes: l.HistoryBytes})
	if err != nil {
		s.log.Error("store: history", "chat", c.id, "err", err)
		return ferr(session.ErrCodeUnavailable, "the hub cannot read the history just now; try again")
	}
	if hist == nil {
		hist = []session.Session{}
	}
	slices.Reverse(hist)
	a.conn.send(session.TypeHistory, c.id, session.HistoryData{Sessions: hist, More: more})
	return nil
}

// goneChat answers a frame about a chat no longer in memory: chat_ended if
// the store knows it was this agent's, no_such_chat otherwise (so no one
// learns which chats exist).
func (s *Server) goneChat(a *agent, env session.Envelope) *frameError {
	s.j.sync()
	row, err := s.st.Chat(context.Background(), env.Chat)
	if err == nil && row.Agent == a.cfg.ID {
		return ferr(session.ErrCodeChatEnded, "chat %s has ended; cannot %s", env.Chat, env.Type)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("store: chat", "chat", env.Chat, "err", err)
	}
	return ferr(session.ErrCodeNoSuchChat, "no chat %q", env.Chat)
}
