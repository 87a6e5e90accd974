package hub

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Limits on what a customer may send.
const (
	maxNameLen    = 80
	maxPreviewLen = 500
)

func (s *Server) serveCustomer(w http.ResponseWriter, r *http.Request) {
	ip := s.clientIP(r)
	switch s.admitCustomer(ip) {
	case overIP:
		w.Header().Set("Retry-After", "30")
		api.WriteError(w, http.StatusTooManyRequests, api.ErrTooManyConnections,
			"this address has %d chat connections open, the most it may (limits.customers_per_ip)", s.cfg.Limits.CustomersPerIP)
		return
	case overTotal:
		w.Header().Set("Retry-After", "30")
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrTooManyConnections,
			"the hub is serving %d customers, the most it may (limits.max_customers); try again in a moment", s.conns.customers)
		return
	}
	defer s.leaveCustomer(ip)
	p, c, ok := s.accept(w, r, "join a chat within "+s.cfg.Limits.HelloTimeout.String())
	if !ok {
		return
	}
	defer s.dropPeer(p)
	cs := s.newCustomerSocket(p)
	s.readLoop(p, &wsSource{c: c, max: s.cfg.MaxFrameBytes}, cs.frame)
	cs.gone()
}

// customerSocket is one customer websocket: its peer, its rate buckets
// and, once it joined, its chat.
type customerSocket struct {
	s            *Server
	p            *peer
	me           *chat
	msgs, typing bucket
	told         time.Time // the last rate_limited error sent: at most one a second
}

func (s *Server) newCustomerSocket(p *peer) *customerSocket {
	l, now := s.cfg.Limits, s.now()
	return &customerSocket{s: s, p: p, msgs: newBucket(l.MessageRate, l.MessageBurst, now), typing: newBucket(l.TypingRate, l.TypingBurst, now)}
}

// frame handles one envelope of the customer's.
func (cs *customerSocket) frame(in *inbound) *frameError {
	s, p, env := cs.s, cs.p, in.env
	l, now := s.cfg.Limits, s.now()
	if env.Type == session.TypeTyping && !cs.typing.take(now) {
		return nil // a typing notice over its rate is dropped: the next one says the same
	}
	if env.Type != session.TypeTyping && !cs.msgs.take(now) {
		if now.Sub(cs.told) < time.Second {
			return nil // one error a second says it
		}
		cs.told = now
		return ferr(session.ErrCodeRateLimited, "too many messages: at most %v a second (a burst of %d); this one was not sent", l.MessageRate, l.MessageBurst)
	}
	if env.Type == session.TypeSend || env.Type == session.TypeTyping {
		return s.customerRelay(p, cs.me, in)
	}
	s.lock()
	defer s.unlock()
	if cs.me != nil && cs.me.cust != p && env.Type != session.TypeJoin {
		return ferr(session.ErrCodeNotYours, "this chat was resumed on another connection")
	}
	var fe *frameError
	if cs.me, fe = s.customerFrame(p, cs.me, env); cs.me != nil {
		p.helloDone()
	}
	return fe
}

// gone is the end of the socket: the chat's contact_grace begins
// (customerGone).
func (cs *customerSocket) gone() {
	cs.s.lock()
	defer cs.s.unlock()
	if cs.me != nil && cs.me.cust == cs.p {
		cs.s.customerGone(cs.me)
	}
}

// admitCustomer counts a customer socket from ip (admitted), or refuses
// it when ip has limits.customers_per_ip open (overIP) or the hub serves
// as many customers as it may (overTotal).
func (s *Server) admitCustomer(ip string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.perIP[ip] >= s.cfg.Limits.CustomersPerIP:
		return overIP
	case s.customer >= s.conns.customers:
		return overTotal
	}
	s.perIP[ip]++
	s.customer++
	return admitted
}

func (s *Server) leaveCustomer(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customer--
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

// customerFrame handles one frame of a customer; it returns the customer's
// chat after the frame.
func (s *Server) customerFrame(p *peer, me *chat, env session.Envelope) (*chat, *frameError) {
	switch env.Type {
	case session.TypeJoin:
		if me != nil && me.state.Live() && me.cust == p {
			return me, ferr(session.ErrCodeBadState, "you are already in chat %s; leave it first", me.id)
		}
		var d session.JoinData
		if fe := decode(env, &d); fe != nil {
			return me, fe
		}
		if d.Resume != "" {
			return s.resumeChat(p, me, d.Resume)
		}
		c, fe := s.newChat(p, d)
		if fe != nil {
			return me, fe
		}
		return c, nil
	case session.TypeConsent, session.TypeDeleteAsk:
		return me, s.customerRecording(me, env)
	case session.TypeTranscriptMail:
		return me, s.transcriptMail(p, me, env)
	case session.TypeLeave:
	default:
		return me, ferr(session.ErrCodeUnknownType, "unknown message type %q", env.Type)
	}
	if me == nil {
		return me, ferr(session.ErrCodeBadState, "join a chat first")
	}
	if !me.state.Live() {
		return me, ferr(session.ErrCodeChatEnded, "the chat has ended")
	}
	if me.state == session.Connected {
		if a := me.agent; a.conn != nil {
			a.conn.send(session.TypeAttention, me.id, session.AttentionData{Reason: session.AttnContactLeft, Text: me.name + " left the chat"})
		}
		_ = s.end(me, session.EndContactLeft)
	} else {
		s.abandon(me, session.EndContactLeft)
	}
	return me, nil
}

// customerRelay is the hot path of send and typing: the payload is decoded
// before any lock, and the hub's lock is only shared.
func (s *Server) customerRelay(p *peer, me *chat, in *inbound) *frameError {
	env := in.env
	var send session.SendData
	var typing session.TypingData
	var fe *frameError
	if env.Type == session.TypeSend {
		if send, fe = in.sendData(); fe != nil {
			return fe
		}
		if strings.TrimSpace(send.Text) == "" {
			return ferr(session.ErrCodeBadRequest, "send: text is empty")
		}
	} else if typing, fe = in.typingData(); fe != nil {
		return fe
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case me == nil:
		return ferr(session.ErrCodeBadState, "join a chat first")
	case me.cust != p:
		return ferr(session.ErrCodeNotYours, "this chat was resumed on another connection")
	case !me.state.Live():
		return ferr(session.ErrCodeChatEnded, "the chat has ended")
	}
	if env.Type == session.TypeSend {
		if s.j.backlog() {
			return ferr(session.ErrCodeUnavailable, "the hub cannot store messages just now; try again in a moment")
		}
		_, fe := s.appendLine(me, session.FromCustomer, me.name, send.Text, "", true, true)
		return fe
	}
	if me.state == session.Connected && (me.agent.conn != nil || len(me.parties) > 0) {
		typing.Preview = truncate(typing.Preview, maxPreviewLen)
		b := encodeTyping(me.id, typing) // the preview goes to the agents only (R-I3)
		if me.agent.conn != nil {
			me.agent.conn.push(b)
		}
		for _, p := range me.parties { // and to the conferenced ones (issue 14)
			if p.conn != nil {
				p.conn.push(b)
			}
		}
	}
	return nil
}

// newChat opens a chat for a join and queues it.
func (s *Server) newChat(p *peer, d session.JoinData) (*chat, *frameError) {
	name := strings.TrimSpace(d.Name)
	if name == "" {
		return nil, ferr(session.ErrCodeBadRequest, "join: name is required")
	}
	queue := d.Queue
	if queue == "" {
		queue = s.cfg.Queues[0].Name
	}
	found := false
	for _, q := range s.cfg.Queues {
		found = found || q.Name == queue
	}
	if !found {
		return nil, ferr(session.ErrCodeBadRequest, "join: no queue %q; choose one of: %s", queue, strings.Join(s.cfg.queueNames(), ", "))
	}
	s.chatSeq++
	resume := newToken()
	c := &chat{
		id: "chat-" + strconv.FormatInt(s.chatSeq, 10), resumeHash: hashResume(resume),
		name: truncate(name, maxNameLen), contact: truncate(d.Contact, maxNameLen), queue: queue, seq: s.chatSeq,
		state: session.Queued, cust: p, created: s.now(), toldAgents: -1,
	}
	c.rec = session.NewRecorder(c.id)
	s.touch(c)
	seq := s.chatSeq
	s.j.add(func(b *store.Batch) { b.ChatSeq = max(b.ChatSeq, seq) })
	if c.contact != "" {
		c.history, c.historyMore = s.loadHistory(c)
		contact := store.Contact{ID: c.contact, Name: c.name, LastSeen: c.created}
		s.j.add(func(b *store.Batch) { b.Contacts = append(b.Contacts, contact) })
	}
	s.chats[c.id] = c
	s.resumes[c.resumeHash] = c
	p.send(session.TypeJoined, c.id, session.JoinedData{Chat: c.id, Resume: resume, Queue: queue})
	s.enqueue(c, false)
	s.route(queue)
	return c, nil
}

// resumeChat attaches a customer socket to the chat of a resume token.
func (s *Server) resumeChat(p *peer, me *chat, token string) (*chat, *frameError) {
	c := s.resumes[hashResume(token)]
	if c == nil {
		return me, ferr(session.ErrCodeNoSuchChat, "that chat is over or unknown; join again without a resume token")
	}
	if c.cust != nil && c.cust != p {
		c.cust.closeAfter(websocket.StatusPolicyViolation, "resumed on another connection")
	}
	c.cust = p
	p.send(session.TypeJoined, c.id, session.JoinedData{Chat: c.id, Resume: token, Queue: c.queue, Lines: c.customerLines()})
	if c.custGrace.running() {
		c.custGrace.stop()
		c.awayUntil = time.Time{}
		s.touch(c)
		if a := c.agent; c.state == session.Connected && a.conn != nil {
			a.conn.send(session.TypeAttention, c.id, session.AttentionData{Reason: session.AttnContactBack, Text: c.name + " is back"})
		}
	}
	switch c.state {
	case session.Queued:
		if c.position > 0 {
			p.send(session.TypeQueue, c.id, session.QueueData{Position: c.position, Agents: s.readyFor(c.queue),
				Wait: session.Duration(s.waits[c.queue].estimate())})
		}
	case session.Connected:
		p.send(session.TypeAgentIn, c.id, session.AgentInData{Name: c.agent.cfg.Name})
		if c.told != "" {
			p.send(session.TypeRecordingNotice, c.id, session.RecordingNoticeData{State: c.told, Text: s.cfg.notice(c.queue, c.told)})
		}
		if c.consent == "asked" {
			p.send(session.TypeConsentAsk, c.id, session.ConsentAskData{Text: s.cfg.consentText(c.queue)})
		}
		if c.agent.conn == nil {
			p.send(session.TypePresence, c.id, session.PresenceData{Reconnecting: true})
		}
	case session.ACW, session.Done:
		p.send(session.TypeEnded, c.id, session.EndedData{Reason: c.reason, Mail: s.mail != nil})
	}
	return c, nil
}

// customerGone starts contact_grace for a chat whose customer dropped
// without leaving.
func (s *Server) customerGone(c *chat) {
	c.cust = nil
	if s.closed {
		return // the hub is stopping: its chats stay as they are for the next one
	}
	if !c.state.Live() {
		return
	}
	deadline := s.now().Add(s.cfg.Timers.ContactGrace)
	if a := c.agent; c.state == session.Connected && a.conn != nil {
		a.conn.send(session.TypeAttention, c.id, session.AttentionData{
			Reason: session.AttnContactGone, Deadline: deadline,
			Text: fmt.Sprintf("%s was disconnected; the chat closes at %s unless they come back", c.name, deadline.Format("15:04:05")),
		})
	}
	s.awayUntil(c, deadline)
}

// awayUntil keeps a chat whose customer is away until deadline
// (contact_grace), then ends or abandons it. The deadline is stored: a
// restarted hub continues it.
func (s *Server) awayUntil(c *chat, deadline time.Time) {
	c.awayUntil = deadline
	s.touch(c)
	s.arm(&c.custGrace, deadline.Sub(s.now()), func() {
		if c.state == session.Connected {
			_ = s.end(c, session.EndContactGone)
		} else {
			s.abandon(c, session.EndContactGone)
		}
	})
}

// abandon closes a chat no agent took yet (the customer left or is gone).
func (s *Server) abandon(c *chat, reason string) {
	wasOffered := c.state == session.Offered
	a := c.agent
	if err := s.move(c, session.EvAbandon); err != nil {
		return
	}
	c.reason = reason
	c.stopTimers()
	s.dequeue(c)
	if wasOffered && a != nil {
		delete(a.chats, c.id)
		if a.conn != nil {
			a.conn.send(session.TypeRevoked, c.id, session.RevokedData{Reason: session.RevokeContactGo})
		}
	}
	if c.cust != nil {
		c.cust.send(session.TypeEnded, c.id, session.EndedData{Reason: reason, Mail: s.mail != nil})
	}
	s.evict(c)
	s.route(c.queue) // the places behind it move up
	if wasOffered && a != nil {
		s.routeAll(a) // the agent has room again
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
