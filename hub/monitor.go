package hub

import (
	"slices"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
)

// Supervisor monitoring (R-C8). A supervisor (or admin) says hello on
// /v1/agent with their token and gets an agent record of their own that
// routing never sees; they watch live chats of the agents in their scope
// silently (the agents are told someone is listening, the customer is
// not) and may barge in as a conference party. Watching is stored with
// the chat's row: a restarted hub keeps a supervisor's place for
// agent_grace, the agents' "listening" stays true meanwhile, and the
// supervisor who says hello again gets the chats they watch back.

// Limits of monitoring.
const (
	maxWatchers = 3  // supervisors watching one chat
	maxWatching = 20 // chats one supervisor watches
)

// supervisor returns the record of a supervisor or admin who said hello,
// made on their first hello.
func (s *Server) supervisor(who api.Caller) *agent {
	if a := s.supers[who.ID]; a != nil {
		a.who = who
		return a
	}
	name := who.Name
	if name == "" {
		name = "supervisor " + who.ID
	}
	a := &agent{cfg: AgentConfig{ID: who.ID, Name: name}, super: true, who: who,
		chats: map[string]*chat{}, joined: map[string]*chat{}, consults: map[string]*consult{}, watching: map[string]*chat{}}
	s.supers[who.ID] = a
	return a
}

// canSupervise reports whether a caller may say hello to watch chats.
func canSupervise(who api.Caller) bool {
	return who.Role == api.RoleSupervisor || who.Role == api.RoleAdmin
}

// superFrame handles a frame of a supervisor's socket.
func (s *Server) superFrame(a *agent, env session.Envelope) *frameError {
	switch env.Type {
	case session.TypeHello:
		return ferr(session.ErrCodeBadState, "already logged in")
	case session.TypeMonitor, session.TypeUnmonitor, session.TypeBarge, session.TypeEnd:
	default:
		return ferr(session.ErrCodeBadRequest, "a supervisor's socket takes monitor, unmonitor, barge, and send, typing, push_url and end once barged in; not %.40q", env.Type)
	}
	if env.Chat == "" {
		return ferr(session.ErrCodeNoSuchChat, "%s needs a \"chat\" id", env.Type)
	}
	c := s.chats[env.Chat]
	if c == nil || c.agent == nil || !s.tokens.Scope(a.who).Allows(c.agent.cfg.ID, "") {
		return ferr(session.ErrCodeNoSuchChat, "no live chat %.60q of an agent you supervise", env.Chat)
	}
	watching := slices.Contains(c.watchers, a)
	switch env.Type {
	case session.TypeEnd, session.TypeUnmonitor:
		switch {
		case slices.Contains(c.parties, a):
			s.leave(c, a, session.EndLeft, a.cfg.Name+" left the chat")
		case watching:
			s.unwatch(c, a, session.EndLeft)
		default:
			return ferr(session.ErrCodeBadState, "you are not watching chat %s", c.id)
		}
		return nil
	}
	if c.state != session.Connected {
		return ferr(session.ErrCodeBadState, "chat %s is %s; only connected chats are watched", c.id, c.state)
	}
	if slices.Contains(c.parties, a) {
		return ferr(session.ErrCodeBadState, "you are in chat %s already", c.id)
	}
	if env.Type == session.TypeBarge {
		if len(c.parties) >= maxParties {
			return ferr(session.ErrCodeBadRequest, "a conference holds at most %d agents besides its owner", maxParties)
		}
		if watching {
			c.watchers = slices.DeleteFunc(c.watchers, func(x *agent) bool { return x == a })
			delete(a.watching, c.id)
			s.touch(c)
		}
		s.join(c, a) // a conference party: the line tells everyone (R-C8 barge-in)
		return nil
	}
	switch {
	case watching:
		return ferr(session.ErrCodeBadState, "you are watching chat %s already", c.id)
	case len(c.watchers) >= maxWatchers:
		return ferr(session.ErrCodeBadRequest, "chat %s is watched by %d supervisors, the most it may", c.id, maxWatchers)
	case len(a.watching) >= maxWatching:
		return ferr(session.ErrCodeBadRequest, "you watch %d chats, the most you may; unmonitor one first", maxWatching)
	}
	c.watchers = append(c.watchers, a)
	a.watching[c.id] = c
	c.multi = true // its agents are told who is in it from now on: who stops listening too
	s.touch(c)
	a.conn.send(session.TypeChat, c.id, c.snapshotFor(a))
	s.tellParties(c)
	s.attend(c, session.AttnMonitored, a.cfg.Name+" is listening", a) // R-C8: the agent sees it
	return nil
}

// unwatch stops a supervisor watching a chat; its agents are told.
func (s *Server) unwatch(c *chat, a *agent, reason string) {
	c.watchers = slices.DeleteFunc(c.watchers, func(x *agent) bool { return x == a })
	delete(a.watching, c.id)
	s.touch(c)
	if a.conn != nil {
		a.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: reason})
	}
	s.tellParties(c)
	s.attend(c, session.AttnMonitored, a.cfg.Name+" stopped listening", a)
}

// superGone ends what a supervisor's socket held: their watching and the
// chats they barged into (a supervisor has no grace, but for a restart:
// a stopping hub keeps both for the next, see restoreSuper).
func (s *Server) superGone(a *agent) {
	a.conn = nil
	if s.closed {
		return
	}
	s.superGraceOver(a)
}

// superGraceOver ends a supervisor's watching and what they barged into,
// unless they are back.
func (s *Server) superGraceOver(a *agent) {
	if a.conn != nil {
		return
	}
	for _, c := range sortChats(a.watching) {
		s.unwatch(c, a, session.EndAgentGone)
	}
	for _, c := range sortChats(a.joined) {
		s.leave(c, a, session.EndAgentGone, a.cfg.Name+" left the chat")
	}
}

// unwatchAll tells a chat's watchers it is over for them (it ended or was
// requeued).
func (s *Server) unwatchAll(c *chat, reason string) {
	if len(c.watchers) > 0 {
		s.touch(c)
	}
	for _, a := range slices.Clone(c.watchers) {
		delete(a.watching, c.id)
		if a.conn != nil {
			a.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: reason})
		}
	}
	c.watchers = nil
}

// nextOwner is the party who takes the chat when its owner leaves: the
// first agent conferenced into it, never a supervisor who barged in; nil
// when there is none (the owner's end then ends the chat).
func (c *chat) nextOwner() *agent {
	for _, p := range c.parties {
		if !p.super {
			return p
		}
	}
	return nil
}
