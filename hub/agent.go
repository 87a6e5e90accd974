package hub

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	p, c, ok := s.accept(w, r, "send hello with your token within "+s.cfg.Limits.HelloTimeout.String())
	if !ok {
		return
	}
	defer s.dropPeer(p)
	as := &agentSocket{s: s, p: p}
	s.readLoop(p, &wsSource{c: c, max: s.cfg.MaxFrameBytes}, as.frame)
	as.gone()
}

// agentSocket is one agent websocket: its peer and, once it said hello,
// its agent.
type agentSocket struct {
	s  *Server
	p  *peer
	me *agent
}

// frame handles one envelope of the agent's.
func (as *agentSocket) frame(in *inbound) *frameError {
	s, p, env := as.s, as.p, in.env
	if as.me != nil && (env.Type == session.TypeSend || env.Type == session.TypeTyping || env.Type == session.TypePushURL) {
		return s.agentRelay(p, as.me, in)
	}
	s.lock()
	defer s.unlock()
	if as.me == nil {
		var fe *frameError
		if as.me, fe = s.hello(p, env); as.me != nil {
			p.helloDone()
		}
		return fe
	}
	if as.me.conn != p {
		return ferr(session.ErrCodeUnauthorized, "this agent logged in on another connection")
	}
	return s.agentFrame(as.me, env)
}

// gone is the end of the socket: the agent's grace begins (agentGone).
func (as *agentSocket) gone() {
	as.s.lock()
	defer as.s.unlock()
	if as.me != nil && as.me.conn == as.p {
		as.s.agentGone(as.me)
	}
}

// hello authenticates the first frame and welcomes the agent.
func (s *Server) hello(p *peer, env session.Envelope) (*agent, *frameError) {
	if env.Type != session.TypeHello {
		return nil, ferr(session.ErrCodeNotHello, "send hello with your token first")
	}
	var h session.HelloData
	if fe := decode(env, &h); fe != nil {
		return nil, fe
	}
	who, ok := s.tokens.Lookup(h.Token)
	a := s.agents[who.ID]
	if ok && !who.Agent() && canSupervise(who) {
		a = s.supervisor(who) // R-C8: a supervisor watches chats
	} else if !ok || !who.Agent() || a == nil {
		return nil, ferr(session.ErrCodeUnauthorized, "the token is not known to this hub")
	}
	if a.conn != nil { // a second login replaces the first
		a.conn.sendError("", session.ErrCodeUnauthorized, "logged in elsewhere", true)
		a.conn.closeAfter(websocket.StatusPolicyViolation, "replaced by a new login")
	}
	back := a.grace.running()
	a.grace.stop()
	a.conn = p
	if a.idle == 0 && !a.super {
		s.idleSeq++
		a.idle = s.idleSeq
		s.touchAgent(a)
	}
	s.log.Info("agent online", "agent", a.cfg.ID, "resumed", back)
	t := s.cfg.Timers
	w := session.WelcomeData{
		Agent: session.AgentInfo{ID: a.cfg.ID, Name: a.cfg.Name, Capacity: a.cfg.Capacity},
		Settings: session.Settings{
			PendingWarn: session.Duration(t.PendingWarn), PendingAlarm: session.Duration(t.PendingAlarm),
			ACW: session.Duration(t.ACW), OfferTimeout: session.Duration(t.OfferTimeout),
			Dispositions:       append([]string{}, s.cfg.Dispositions...),
			RequireDisposition: s.cfg.RequireDisposition,
			AgentGrace:         session.Duration(t.AgentGrace),
		},
		Ready:     a.ready,
		Chats:     []session.ChatData{},
		Recipient: s.recipient,
	}
	// The welcome lists the chats without their transcripts; each follows
	// in a frame of its own, so no frame grows with the agent's capacity.
	chats := a.sortedChats()
	for _, c := range chats {
		d := c.snapshot()
		d.Transcript, d.History = []session.MessageData{}, nil
		w.Chats = append(w.Chats, d)
	}
	p.send(session.TypeWelcome, "", w)
	for _, c := range chats {
		typ := session.TypeChat
		if c.state == session.Offered {
			typ = session.TypeOffer
		}
		p.send(typ, c.id, c.snapshot())
	}
	for _, c := range a.chats {
		if c.state == session.Connected && c.cust != nil {
			c.cust.send(session.TypePresence, c.id, session.PresenceData{Reconnecting: false})
		}
	}
	s.resumeParties(a)
	s.routeAll(a)
	return a, nil
}

// agentGone keeps the agent's chats for agent_grace; its offers go to the
// next agent at once.
func (s *Server) agentGone(a *agent) {
	if a.super {
		s.superGone(a)
		return
	}
	a.conn = nil
	if s.closed {
		return // the hub is stopping: its chats stay as they are for the next one
	}
	s.log.Info("agent offline", "agent", a.cfg.ID)
	s.agentPartiesGone(a)
	for _, c := range a.sortedChats() {
		switch c.state {
		case session.Offered:
			s.revoke(c, "agent_gone")
		case session.Connected:
			if c.cust != nil {
				c.cust.send(session.TypePresence, c.id, session.PresenceData{Reconnecting: true})
			}
		}
	}
	s.arm(&a.grace, s.cfg.Timers.AgentGrace, func() { s.graceOver(a) })
	for _, q := range a.cfg.Queues {
		s.route(q) // the waiting customers learn one agent fewer is there
	}
}

// graceOver puts the chats of an agent who did not come back at the head
// of their queues.
func (s *Server) graceOver(a *agent) {
	a.ready = false
	queues := map[string]bool{}
	s.touchAgent(a)
	s.agentPartiesGone(a) // invitations resumed after a restart that it never came back for
	s.partiesGraceOver(a)
	for _, c := range a.sortedChats() {
		if c.state == session.Offered {
			s.revoke(c, "agent_gone") // an offer resumed after a restart that its agent never came back for
			continue
		}
		if c.state != session.Connected {
			continue
		}
		if c.nextOwner() != nil { // a conferenced agent takes it over (R-I8)
			s.ownerLeaves(c, session.EndAgentGone)
			continue
		}
		if err := s.move(c, session.EvRequeue); err != nil {
			continue
		}
		s.chatEnded(c, session.EndAgentGone)
		c.inact.stop()
		s.recState(c)
		s.system(c, "%s was disconnected; you are back in the queue for the next agent", a.cfg.Name)
		delete(a.chats, c.id)
		c.agent = nil
		c.tried = nil
		c.connectedAt = time.Time{}
		if c.cust != nil {
			c.cust.send(session.TypePresence, c.id, session.PresenceData{Reconnecting: false})
		}
		c.position = 0
		s.enqueue(c, true)
		queues[c.queue] = true
	}
	for q := range queues {
		s.route(q)
	}
}

// chatOf finds a chat the agent may act on.
func (s *Server) chatOf(a *agent, env session.Envelope) (*chat, *frameError) {
	if env.Chat == "" {
		return nil, ferr(session.ErrCodeNoSuchChat, "%s needs a \"chat\" id", env.Type)
	}
	c := s.chats[env.Chat]
	if c == nil {
		return nil, s.goneChat(a, env)
	}
	if c.agent != a {
		return nil, ferr(session.ErrCodeNotYours, "chat %s is not yours", c.id)
	}
	return c, nil
}

// live refuses acting on a chat that is not connected.
func live(c *chat, what string) *frameError {
	switch {
	case !c.state.Live():
		return ferr(session.ErrCodeChatEnded, "chat %s has ended; cannot %s", c.id, what)
	case c.state != session.Connected:
		return ferr(session.ErrCodeBadState, "chat %s is %s; accept it before you %s", c.id, c.state, what)
	}
	return nil
}

// agentFrame handles one frame of a logged-in agent.
func (s *Server) agentFrame(a *agent, env session.Envelope) *frameError {
	if a.super {
		return s.superFrame(a, env)
	}
	switch env.Type {
	case session.TypeMonitor, session.TypeUnmonitor, session.TypeBarge:
		return ferr(session.ErrCodeUnauthorized, "%s is for supervisors: say hello with a supervisor's token", env.Type)
	case session.TypeHello:
		return ferr(session.ErrCodeBadState, "already logged in")
	case session.TypeReady:
		var d session.ReadyData
		if fe := decode(env, &d); fe != nil {
			return fe
		}
		if d.Ready && !a.ready {
			s.idleSeq++
			a.idle = s.idleSeq
		}
		a.ready = d.Ready
		s.touchAgent(a)
		a.conn.send(session.TypeAgent, "", session.AgentData{Ready: a.ready})
		s.routeAll(a)
		return nil
	case session.TypeAnswer:
		return s.answer(a, env)
	case session.TypeConsultSend, session.TypeConsultEnd, session.TypeConsultTo:
		return s.consultFrame(a, env)
	case session.TypeEnd:
		if c := s.chats[env.Chat]; c != nil && c.agent != a && slices.Contains(c.parties, a) {
			s.leave(c, a, session.EndLeft, a.cfg.Name+" left the chat") // a party leaves (R-I8)
			return nil
		}
	case session.TypeAccept, session.TypeReject, session.TypeWrapUp, session.TypeDone,
		session.TypeRecord, session.TypeAbusive, session.TypeDeleteRec, session.TypeHistory,
		session.TypeTransfer, session.TypeConference, session.TypeConsult, session.TypeRemove:
	default:
		return ferr(session.ErrCodeUnknownType, "unknown message type %q", env.Type)
	}
	c, fe := s.chatOf(a, env)
	if fe != nil {
		return fe
	}
	switch env.Type {
	case session.TypeAccept:
		return s.acceptChat(a, c)
	case session.TypeReject:
		if c.state != session.Offered {
			return transitionError(func() error { _, err := session.Transition(c.state, session.EvRevoke); return err }())
		}
		s.revoke(c, session.RevokeRejected)
	case session.TypeTransfer, session.TypeConference, session.TypeConsult:
		return s.inviteFrame(a, c, env)
	case session.TypeRemove:
		if fe := live(c, env.Type); fe != nil {
			return fe
		}
		return s.remove(a, c, env)
	case session.TypeEnd:
		if c.state == session.Connected && c.nextOwner() != nil {
			s.ownerLeaves(c, session.EndLeft) // ownership passes to the conference (R-I8)
			return nil
		}
		if err := s.end(c, session.EndAgentEnded); err != nil {
			return transitionError(err)
		}
	case session.TypeWrapUp:
		return s.wrapUp(a, c, env)
	case session.TypeRecord, session.TypeAbusive, session.TypeDeleteRec:
		return s.agentRecording(a, c, env)
	case session.TypeHistory:
		return s.olderHistory(a, c, env)
	case session.TypeDone:
		if s.cfg.RequireDisposition && c.disposition == "" && c.state == session.ACW {
			return ferr(session.ErrCodeBadRequest, "choose a disposition code before Mark Done (require_disposition)")
		}
		if err := s.finish(c); err != nil {
			return transitionError(err)
		}
		s.routeAll(a)
	}
	return nil
}

func (s *Server) acceptChat(a *agent, c *chat) *frameError {
	if err := s.move(c, session.EvAccept); err != nil {
		return transitionError(err)
	}
	c.offer.stop()
	c.connectedAt = s.now()
	c.lastCust = c.connectedAt
	c.warned = false
	if c.cust != nil {
		c.cust.send(session.TypeAgentIn, c.id, session.AgentInData{Name: a.cfg.Name})
	}
	s.recConnect(a, c)
	// The snapshot goes after the recorder knows the chat is connected, so
	// the desk never shows a connected chat without its recording buttons:
	// a Record pressed the instant "Connected" shows must not be refused.
	a.conn.send(session.TypeChat, c.id, c.snapshot())
	s.system(c, "%s joined the chat", a.cfg.Name)
	s.armInactivity(c, s.cfg.Timers.InactivityWarn)
	if !c.custGrace.running() {
		return nil
	}
	// The customer is away: the agent should know at once.
	a.conn.send(session.TypeAttention, c.id, session.AttentionData{Reason: session.AttnContactGone, Text: c.name + " is disconnected"})
	return nil
}

// agentRelay is the hot path of send, typing and push_url (R-I5): the
// payload is decoded before any lock, and the hub's lock is only shared.
func (s *Server) agentRelay(p *peer, a *agent, in *inbound) *frameError {
	env := in.env
	var text, link string
	var typing session.TypingData
	switch env.Type {
	case session.TypeSend:
		d, fe := in.sendData()
		if fe != nil {
			return fe
		}
		if strings.TrimSpace(d.Text) == "" {
			return ferr(session.ErrCodeBadRequest, "send: text is empty")
		}
		text = d.Text
	case session.TypePushURL:
		var d session.PushURLData
		if fe := decode(env, &d); fe != nil {
			return fe
		}
		u, err := url.Parse(strings.TrimSpace(d.URL))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ferr(session.ErrCodeBadRequest, "push_url: %q is not an http or https URL", d.URL)
		}
		link = u.String()
		text = "Please navigate to the link: " + link
	default:
		var fe *frameError
		if typing, fe = in.typingData(); fe != nil {
			return fe
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a.conn != p {
		return ferr(session.ErrCodeUnauthorized, "this agent logged in on another connection")
	}
	c, fe := s.chatOf(a, env)
	if x := s.chats[env.Chat]; fe != nil && x != nil && slices.Contains(x.parties, a) {
		c, fe = x, nil // a conferenced party talks in the chat too (R-I8)
	}
	if fe != nil {
		return fe
	}
	if fe := live(c, env.Type); fe != nil {
		return fe
	}
	if env.Type == session.TypeTyping {
		if c.cust != nil {
			c.cust.send(session.TypeTyping, c.id, session.TypingData{Typing: typing.Typing}) // never the preview
		}
		return nil
	}
	_, fe = s.appendLine(c, session.FromAgent, a.cfg.Name, text, link, true, true)
	return fe
}

// wrapUp records disposition, note and case data (R-I10), while connected
// or in ACW.
func (s *Server) wrapUp(a *agent, c *chat, env session.Envelope) *frameError {
	var d session.WrapUpData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	switch c.state {
	case session.Connected, session.ACW:
	case session.Done:
		return ferr(session.ErrCodeChatEnded, "chat %s is done; wrap-up is closed", c.id)
	default:
		return ferr(session.ErrCodeBadState, "chat %s is %s; wrap-up comes after accepting", c.id, c.state)
	}
	if d.Disposition != "" {
		ok := false
		for _, v := range s.cfg.Dispositions {
			ok = ok || v == d.Disposition
		}
		if !ok {
			return ferr(session.ErrCodeBadRequest, "disposition %q is not one of: %s", d.Disposition, strings.Join(s.cfg.Dispositions, ", "))
		}
		c.disposition = d.Disposition
	}
	if len(d.Note) > s.cfg.Limits.MaxLineBytes {
		return ferr(session.ErrCodeLineTooLong, "the note is %d bytes; the limit is %d (limits.max_line_bytes)", len(d.Note), s.cfg.Limits.MaxLineBytes)
	}
	for k, v := range d.CaseData {
		if len(k) > maxCaseKey || len(v) > s.cfg.Limits.MaxLineBytes {
			return ferr(session.ErrCodeLineTooLong, "case data %.40q: keys are at most %d bytes, values at most %d", k, maxCaseKey, s.cfg.Limits.MaxLineBytes)
		}
		if _, known := c.caseData[k]; !known && len(c.caseData)+len(d.CaseData) > maxCaseKeys {
			return ferr(session.ErrCodeBadRequest, "a chat holds at most %d case data keys", maxCaseKeys)
		}
	}
	if d.Note != "" {
		c.note = d.Note
	}
	if len(d.CaseData) > 0 {
		if c.caseData == nil {
			c.caseData = map[string]string{}
		}
		for k, v := range d.CaseData {
			c.caseData[k] = v
		}
	}
	s.touch(c)
	a.conn.send(session.TypeChat, c.id, c.snapshot())
	return nil
}
