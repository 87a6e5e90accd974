package hub

import (
	"slices"
	"strings"

	"github.com/agentdesk/agentdesk/session"
)

// Consultations (R-I9): a separate internal chat between a chat's owner
// and another agent about the chat. The consulted agent sees the
// contact's transcript read-only; the customer never sees a frame of it;
// its lines are not the chat's transcript, nor any recording's, nor the
// contact's history. Ending it leaves the chat alone; the chat ending
// ends it; the owner turns it into a transfer or a conference with one
// frame.

// openConsult opens a consultation about c between from and with; text,
// when set, is its first line.
func (s *Server) openConsult(c *chat, from, with *agent, text string) *consult {
	k := &consult{id: c.nextID("consult"), c: c, from: from, with: with}
	c.consults = append(c.consults, k)
	s.consults[k.id] = k
	from.consults[k.id] = k
	with.consults[k.id] = k
	if strings.TrimSpace(text) != "" {
		k.add(from, text, s)
	}
	s.touch(c)
	return k
}

// add appends a line of agent a to the consultation.
func (k *consult) add(a *agent, text string, s *Server) session.MessageData {
	m := session.MessageData{ID: int64(len(k.lines) + 1), From: session.FromAgent, Name: a.cfg.Name, Text: text, At: s.now()}
	k.lines = append(k.lines, m)
	k.cost += lineCost(m)
	return m
}

// data is the consultation as agent a sees it: the consulted agent gets
// the contact's transcript too, read-only.
func (k *consult) data(a *agent, reason string) session.ConsultationData {
	d := session.ConsultationData{
		ID: k.id, Chat: k.c.id, From: ref(k.from), With: ref(k.with), State: session.ConsultOpen,
		Lines: slices.Clone(k.lines), Reason: reason,
	}
	if d.Lines == nil {
		d.Lines = []session.MessageData{}
	}
	if reason != "" {
		d.State = session.ConsultEnded
	}
	if a == k.with && reason == "" {
		d.Contact = slices.Clone(k.c.customerLines())
	}
	return d
}

// tellConsult sends the consultation to both its agents.
func (s *Server) tellConsult(k *consult, reason string) {
	for _, a := range []*agent{k.from, k.with} {
		if a.conn != nil {
			a.conn.send(session.TypeConsultation, k.id, k.data(a, reason))
		}
	}
}

// endConsult ends a consultation; both agents are told why.
func (s *Server) endConsult(k *consult, why string) {
	if s.consults[k.id] != k {
		return
	}
	delete(s.consults, k.id)
	delete(k.from.consults, k.id)
	delete(k.with.consults, k.id)
	k.c.consults = slices.DeleteFunc(k.c.consults, func(x *consult) bool { return x == k })
	s.touch(k.c)
	s.tellConsult(k, why)
}

// consultFrame handles consult_send, consult_end and consult_to; the
// envelope's "chat" names the consultation.
func (s *Server) consultFrame(a *agent, env session.Envelope) *frameError {
	k := s.consults[env.Chat]
	if k == nil || (k.from != a && k.with != a) {
		return ferr(session.ErrCodeNoSuchChat, "%s: no consultation %.60q is open for you", env.Type, env.Chat)
	}
	switch env.Type {
	case session.TypeConsultEnd:
		s.endConsult(k, a.cfg.Name+" ended the consultation")
		return nil
	case session.TypeConsultSend:
		var d session.SendData
		if fe := decode(env, &d); fe != nil {
			return fe
		}
		l := s.cfg.Limits
		switch {
		case strings.TrimSpace(d.Text) == "":
			return ferr(session.ErrCodeBadRequest, "consult_send: text is empty")
		case len(d.Text) > l.MaxLineBytes:
			return ferr(session.ErrCodeLineTooLong, "the message is %d bytes; the limit is %d (limits.max_line_bytes)", len(d.Text), l.MaxLineBytes)
		case len(k.lines) >= l.MaxLinesPerChat || k.cost+len(d.Text)+256 > l.MaxTranscriptBytes:
			return ferr(session.ErrCodeTranscriptFull, "this consultation is full; end it and open another")
		}
		m := k.add(a, d.Text, s)
		s.touch(k.c)
		b := encode(session.TypeConsultLine, k.id, m)
		for _, x := range []*agent{k.from, k.with} {
			if x.conn != nil {
				x.conn.push(b)
			}
		}
		return nil
	}
	var d session.ConvertData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	c := k.c
	switch {
	case c.agent != a:
		return ferr(session.ErrCodeNotYours, "consult_to: only the chat's owner turns the consultation into a %s", d.To)
	case c.state != session.Connected:
		return ferr(session.ErrCodeBadState, "consult_to: chat %s is %s", c.id, c.state)
	case d.To == session.InviteTransfer:
		s.endConsult(k, "it became a transfer")
		s.transfer(c, k.with, "")
	case d.To == session.InviteConference:
		if len(c.parties) >= maxParties {
			return ferr(session.ErrCodeBadRequest, "a conference holds at most %d agents besides its owner", maxParties)
		}
		s.endConsult(k, "it became a conference")
		s.join(c, k.with)
	default:
		return ferr(session.ErrCodeBadRequest, "consult_to: \"to\" must be %q or %q, not %.40q", session.InviteTransfer, session.InviteConference, d.To)
	}
	return nil
}

func sortConsults(m map[string]*consult) []*consult {
	list := make([]*consult, 0, len(m))
	for _, k := range m {
		list = append(list, k)
	}
	slices.SortFunc(list, func(x, y *consult) int { return strings.Compare(x.id, y.id) })
	return list
}
