package hub

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Invitations (issue 14): a transfer, conference or consultation starts
// with one, offered to one agent at a time (a queue's available members in
// turn), until it is accepted, rejected by everyone it could go to, or runs
// out after timers.transfer_timeout.

// invite is one pending invitation of a chat.
type invite struct {
	id     string
	kind   string // session.InviteTransfer, InviteConference, InviteConsult
	c      *chat
	from   *agent
	to     *agent // offered to now
	queue  string // sent to a queue: the next member gets it on a reject
	text   string
	tried  []string // agents of the queue it was offered to
	expiry time.Time
	t      timer
}

// inviteFrame handles transfer, conference and consult from the chat's
// owner: it checks the request and offers the invitation.
func (s *Server) inviteFrame(a *agent, c *chat, env session.Envelope) *frameError {
	var d session.InviteRequest
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	if fe := live(c, env.Type); fe != nil {
		return fe
	}
	d.Agent, d.Queue = strings.TrimSpace(d.Agent), strings.TrimSpace(d.Queue)
	switch {
	case (d.Agent == "") == (d.Queue == ""):
		return ferr(session.ErrCodeBadRequest, "%s: name one target: an \"agent\" id or a \"queue\"", env.Type)
	case len(d.Text) > s.cfg.Limits.MaxLineBytes:
		return ferr(session.ErrCodeLineTooLong, "%s: the text is %d bytes; the limit is %d (limits.max_line_bytes)", env.Type, len(d.Text), s.cfg.Limits.MaxLineBytes)
	case len(c.invites) >= maxInvites:
		return ferr(session.ErrCodeBadRequest, "chat %s has %d invitations pending, the most it may; wait for an answer", c.id, maxInvites)
	case env.Type == session.TypeConference && len(c.parties)+c.pending(session.InviteConference) >= maxParties:
		return ferr(session.ErrCodeBadRequest, "a conference holds at most %d agents besides its owner", maxParties)
	case env.Type == session.TypeConsult && len(c.consults)+c.pending(session.InviteConsult) >= maxConsults:
		return ferr(session.ErrCodeBadRequest, "chat %s has %d consultations, the most it may; end one first", c.id, maxConsults)
	case env.Type == session.TypeTransfer && c.pending(session.InviteTransfer) > 0:
		return ferr(session.ErrCodeBadState, "chat %s is being transferred already; wait for the answer", c.id)
	}
	inv := &invite{kind: env.Type, c: c, from: a, queue: d.Queue, text: d.Text}
	var to *agent
	if d.Agent != "" {
		to = s.agents[d.Agent]
		switch {
		case to == nil:
			return ferr(session.ErrCodeBadRequest, "%s: no agent %.60q", env.Type, d.Agent)
		case to == a || c.in(to):
			return ferr(session.ErrCodeBadRequest, "%s: %s is in this chat already", env.Type, to.cfg.Name)
		case c.invited(to):
			return ferr(session.ErrCodeBadState, "%s: %s has an invitation to this chat already", env.Type, to.cfg.Name)
		case to.conn == nil:
			return ferr(session.ErrCodeUnavailable, "%s: %s is offline", env.Type, to.cfg.Name)
		case env.Type == session.TypeTransfer && !to.ready:
			return ferr(session.ErrCodeUnavailable, "transfer: %s is not ready", to.cfg.Name)
		case env.Type == session.TypeTransfer && to.load() >= to.cfg.Capacity:
			return ferr(session.ErrCodeUnavailable, "transfer: %s has no room (%d of %d chats)", to.cfg.Name, to.load(), to.cfg.Capacity)
		}
	} else {
		if s.cfg.queue(d.Queue).Name == "" {
			return ferr(session.ErrCodeBadRequest, "%s: no queue %.60q; choose one of: %s", env.Type, d.Queue, strings.Join(s.cfg.queueNames(), ", "))
		}
		if to = s.pickFor(inv); to == nil {
			return ferr(session.ErrCodeUnavailable, "%s: nobody in queue %s is available now", env.Type, d.Queue)
		}
	}
	inv.id = c.nextID(map[string]string{session.TypeTransfer: "transfer", session.TypeConference: "conf", session.TypeConsult: "consult-inv"}[env.Type])
	inv.expiry = s.now().Add(s.cfg.Timers.TransferTimeout)
	c.invites = append(c.invites, inv)
	s.invites[inv.id] = inv
	s.touch(c)
	s.offerInvite(inv, to)
	return nil
}

// pending counts the chat's pending invitations of kind.
func (c *chat) pending(kind string) int {
	n := 0
	for _, inv := range c.invites {
		if inv.kind == kind {
			n++
		}
	}
	return n
}

// invited reports whether a holds an invitation to c.
func (c *chat) invited(a *agent) bool {
	return slices.ContainsFunc(c.invites, func(inv *invite) bool { return inv.to == a })
}

// pickFor chooses the next member of an invitation's queue: available,
// not in the chat, not yet tried, least loaded then longest idle.
func (s *Server) pickFor(inv *invite) *agent {
	var best *agent
	for _, a := range s.agents {
		if !a.eligible(inv.queue) || inv.c.in(a) || inv.c.invited(a) || slices.Contains(inv.tried, a.cfg.ID) {
			continue
		}
		if best == nil || a.load() < best.load() || (a.load() == best.load() && a.idle < best.idle) {
			best = a
		}
	}
	return best
}

// offerInvite offers inv to agent to and (re)arms its timer.
func (s *Server) offerInvite(inv *invite, to *agent) {
	inv.to = to
	inv.tried = append(inv.tried, to.cfg.ID)
	s.touch(inv.c)
	to.conn.send(session.TypeInvite, "", session.InviteData{
		ID: inv.id, Kind: inv.kind, From: ref(inv.from), Queue: inv.queue, Text: inv.text,
		Expiry: inv.expiry, Chat: inv.c.snapshotFor(to),
	})
	s.arm(&inv.t, inv.expiry.Sub(s.now()), func() {
		s.inviteOver(inv, session.InviteTimeout, fmt.Sprintf("%s did not answer within %v", inv.to.cfg.Name, s.cfg.Timers.TransferTimeout))
	})
}

// inviteOver ends an invitation that was not accepted: the sender is told
// why and keeps the chat (R-I7); the invited agent is told it is gone.
func (s *Server) inviteOver(inv *invite, status, why string) {
	c := inv.c
	if s.invites[inv.id] != inv {
		return
	}
	inv.t.stop()
	delete(s.invites, inv.id)
	c.invites = slices.DeleteFunc(c.invites, func(x *invite) bool { return x == inv })
	s.touch(c)
	res := session.InviteResultData{ID: inv.id, Kind: inv.kind, Chat: c.id, Status: status, Reason: why}
	if inv.to != nil {
		res.Agent = ref(inv.to)
		if status != session.InviteRejected && inv.to.conn != nil {
			inv.to.conn.send(session.TypeInviteResult, "", res)
		}
	}
	if inv.from.conn != nil {
		inv.from.conn.send(session.TypeInviteResult, "", res)
	}
	if inv.kind == session.InviteConference && status != session.InviteCancelled && c.state == session.Connected {
		s.system(c, "%s did not join the chat (%s)", res.Agent.Name, status) // R-I8: a line says so
	}
}

// dropInvitesTo withdraws c's other invitations to a, who is in the chat
// now (another invitation of theirs was accepted, or a consultation
// became a transfer or a conference): an invitation to join a chat one is
// in means nothing.
func (s *Server) dropInvitesTo(c *chat, a *agent) {
	for _, inv := range slices.Clone(c.invites) {
		if inv.to == a {
			s.inviteOver(inv, session.InviteCancelled, a.cfg.Name+" is in the chat already")
		}
	}
}

// answer handles an invited agent's accept or reject.
func (s *Server) answer(a *agent, env session.Envelope) *frameError {
	var d session.AnswerData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	inv := s.invites[d.Invite]
	if inv == nil || inv.to != a {
		return ferr(session.ErrCodeNoSuchChat, "answer: no invitation %.60q is open for you", d.Invite)
	}
	if len(d.Reason) > maxNameLen {
		d.Reason = truncate(d.Reason, maxNameLen)
	}
	c := inv.c
	if !d.Accept {
		why := a.cfg.Name + " rejected it"
		if d.Reason != "" {
			why += ": " + d.Reason
		}
		if inv.queue != "" {
			if next := s.pickFor(inv); next != nil {
				s.offerInvite(inv, next) // the queue's next available member (R-I7)
				return nil
			}
			why += "; nobody else in queue " + inv.queue + " is available"
		}
		s.inviteOver(inv, session.InviteRejected, why)
		return nil
	}
	if c.state != session.Connected {
		s.inviteOver(inv, session.InviteCancelled, "the chat has ended")
		return ferr(session.ErrCodeChatEnded, "chat %s has ended", c.id)
	}
	inv.t.stop()
	delete(s.invites, inv.id)
	c.invites = slices.DeleteFunc(c.invites, func(x *invite) bool { return x == inv })
	s.touch(c)
	res := session.InviteResultData{ID: inv.id, Kind: inv.kind, Chat: c.id, Status: session.InviteAccepted, Agent: ref(a)}
	switch inv.kind {
	case session.InviteTransfer:
		if inv.from.conn != nil {
			inv.from.conn.send(session.TypeInviteResult, "", res)
		}
		s.transfer(c, a, inv.queue)
	case session.InviteConference:
		if inv.from.conn != nil {
			inv.from.conn.send(session.TypeInviteResult, "", res)
		}
		s.join(c, a)
	default:
		k := s.openConsult(c, inv.from, a, inv.text)
		res.Consult = k.id
		if inv.from.conn != nil {
			inv.from.conn.send(session.TypeInviteResult, "", res)
		}
		a.conn.send(session.TypeInviteResult, "", res)
		s.tellConsult(k, "")
	}
	return nil
}

// agentPartiesGone handles an agent whose socket went: their invitations
// go to the next member of the queue or back to the sender at once.
func (s *Server) agentPartiesGone(a *agent) {
	for _, inv := range s.sortedInvites() {
		if inv.to != a {
			continue
		}
		if inv.queue != "" {
			if next := s.pickFor(inv); next != nil {
				s.offerInvite(inv, next)
				continue
			}
		}
		s.inviteOver(inv, session.InviteRejected, a.cfg.Name+" went offline")
	}
}

func (s *Server) sortedInvites() []*invite {
	list := make([]*invite, 0, len(s.invites))
	for _, inv := range s.invites {
		list = append(list, inv)
	}
	slices.SortFunc(list, func(x, y *invite) int { return strings.Compare(x.id, y.id) })
	return list
}
