package hub

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// Limits on what a customer may send.
const (
	maxNameLen    = 80
	maxPreviewLen = 500
)

func (s *Server) serveCustomer(w http.ResponseWriter, r *http.Request) {
	p, ok := s.accept(w, r)
	if !ok {
		return
	}
	defer s.dropPeer(p)
	s.mu.Lock()
	s.customer++
	s.mu.Unlock()
	var me *chat
	s.readLoop(p, func(in *inbound) *frameError {
		env := in.env
		if env.Type == session.TypeSend || env.Type == session.TypeTyping {
			return s.customerRelay(p, me, in)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if me != nil && me.cust != p && env.Type != session.TypeJoin {
			return ferr(session.ErrCodeNotYours, "this chat was resumed on another connection")
		}
		var fe *frameError
		me, fe = s.customerFrame(p, me, env)
		return fe
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customer--
	if me != nil && me.cust == p {
		s.customerGone(me)
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
		s.addLine(me, session.FromCustomer, me.name, send.Text, "")
		return nil
	}
	if me.state == session.Connected && me.agent.conn != nil {
		typing.Preview = truncate(typing.Preview, maxPreviewLen)
		me.agent.conn.push(encodeTyping(me.id, typing)) // the preview goes to the agent only (R-I3)
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
	s.seq++
	c := &chat{
		id: "chat-" + strconv.FormatInt(s.seq, 10), resume: newToken(),
		name: truncate(name, maxNameLen), contact: truncate(d.Contact, maxNameLen), queue: queue, seq: s.seq,
		state: session.Queued, cust: p, created: time.Now().UTC(),
	}
	c.rec = session.NewRecorder(c.id)
	if c.contact != "" {
		c.history = s.history[c.contact]
	}
	s.chats[c.id] = c
	s.resumes[c.resume] = c
	p.send(session.TypeJoined, c.id, session.JoinedData{Chat: c.id, Resume: c.resume, Queue: queue})
	s.enqueue(c, false)
	s.route(queue)
	return c, nil
}

// resumeChat attaches a customer socket to the chat of a resume token.
func (s *Server) resumeChat(p *peer, me *chat, token string) (*chat, *frameError) {
	c := s.resumes[token]
	if c == nil {
		return me, ferr(session.ErrCodeNoSuchChat, "that chat is over or unknown; join again without a resume token")
	}
	if c.cust != nil && c.cust != p {
		c.cust.closeAfter(websocket.StatusPolicyViolation, "resumed on another connection")
	}
	c.cust = p
	p.send(session.TypeJoined, c.id, session.JoinedData{Chat: c.id, Resume: c.resume, Queue: c.queue, Lines: c.customerLines()})
	if c.custGrace.running() {
		c.custGrace.stop()
		if a := c.agent; c.state == session.Connected && a.conn != nil {
			a.conn.send(session.TypeAttention, c.id, session.AttentionData{Reason: session.AttnContactBack, Text: c.name + " is back"})
		}
	}
	switch c.state {
	case session.Queued:
		if c.position > 0 {
			p.send(session.TypeQueue, c.id, session.QueueData{Position: c.position})
		}
	case session.Connected:
		p.send(session.TypeAgentIn, c.id, session.AgentInData{Name: c.agent.cfg.Name})
		if c.consent == "asked" {
			p.send(session.TypeConsentAsk, c.id, session.ConsentAskData{Text: s.cfg.consentText(c.queue)})
		}
		if c.agent.conn == nil {
			p.send(session.TypePresence, c.id, session.PresenceData{Reconnecting: true})
		}
	case session.ACW, session.Done:
		p.send(session.TypeEnded, c.id, session.EndedData{Reason: c.reason})
	}
	return c, nil
}

// customerGone starts contact_grace for a chat whose customer dropped
// without leaving.
func (s *Server) customerGone(c *chat) {
	c.cust = nil
	if !c.state.Live() {
		return
	}
	deadline := time.Now().Add(s.cfg.Timers.ContactGrace).UTC()
	if a := c.agent; c.state == session.Connected && a.conn != nil {
		a.conn.send(session.TypeAttention, c.id, session.AttentionData{
			Reason: session.AttnContactGone, Deadline: deadline,
			Text: fmt.Sprintf("%s was disconnected; the chat closes at %s unless they come back", c.name, deadline.Format("15:04:05")),
		})
	}
	s.arm(&c.custGrace, s.cfg.Timers.ContactGrace, func() {
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
		c.cust.send(session.TypeEnded, c.id, session.EndedData{Reason: reason})
	}
	s.archive(c)
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
