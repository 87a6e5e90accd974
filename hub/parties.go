package hub

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Multi-party chats (issue 14): an owner invites another agent to take the
// chat (transfer, R-I7), to join it (conference, R-I8) or to talk about it
// in a separate internal chat (consultation, R-I9). An invitation is
// offered to one agent at a time; a queue's invitation goes to its next
// available member when one rejects. Everything here runs under the hub's
// exclusive lock and is stored with the chat's row (partyRow).

// Limits of a chat's parties, so no client grows the hub's memory.
const (
	maxParties  = 4 // conferenced agents besides the owner
	maxInvites  = 3 // invitations pending at once
	maxConsults = 2 // consultations open at once
)

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

// consult is one open consultation about a chat (R-I9): its lines are
// its two agents' alone, never the chat's transcript, recording or the
// contact's history.
type consult struct {
	id    string
	c     *chat
	from  *agent // the chat's owner who asked
	with  *agent
	lines []session.MessageData
	cost  int
}

func ref(a *agent) session.AgentRef { return session.AgentRef{ID: a.cfg.ID, Name: a.cfg.Name} }

// nextID hands out the chat's next invitation or consultation id.
func (c *chat) nextID(what string) string {
	c.pseq++
	return c.id + "-" + what + "-" + strconv.Itoa(c.pseq)
}

// in reports whether a owns or is conferenced into c.
func (c *chat) in(a *agent) bool { return c.agent == a || slices.Contains(c.parties, a) }

// parties is who is in the chat, for its agents.
func (c *chat) partiesData() *session.PartiesData {
	if (!c.multi && len(c.watchers) == 0) || c.agent == nil {
		return nil
	}
	d := &session.PartiesData{Owner: ref(c.agent), Parties: []session.AgentRef{}}
	for _, p := range c.parties {
		d.Parties = append(d.Parties, ref(p))
	}
	for _, w := range c.watchers {
		d.Listening = append(d.Listening, ref(w))
	}
	return d
}

// snapshotFor is the chat as agent a sees it: the owner with its
// recording buttons, a conferenced party with none of them.
func (c *chat) snapshotFor(a *agent) session.ChatData {
	d := c.snapshot()
	if c.agent != a && c.rec != nil {
		d.Recording = c.partyRecording("")
	}
	return d
}

// partyRecording is the chat's recording state as a conferenced party
// sees it: what records the chat (their desktop captures while it runs),
// no button of theirs.
func (c *chat) partyRecording(change string) *session.RecordingData {
	d := c.recordingData(change)
	for k := range d.Buttons {
		d.Buttons[k] = session.ButtonState{Reason: "only the chat's owner controls its recording"}
	}
	return d
}

// tellParties sends who is in the chat to everyone in it.
func (s *Server) tellParties(c *chat) {
	d := c.partiesData()
	if d == nil {
		return
	}
	b := encode(session.TypeParties, c.id, d)
	for _, a := range slices.Concat([]*agent{c.agent}, c.parties, c.watchers) {
		if a.conn != nil {
			a.conn.push(b)
		}
	}
}

// attend draws the agents' eye to a party joining or leaving (R-I11).
func (s *Server) attend(c *chat, reason, text string, except *agent) {
	for _, a := range append([]*agent{c.agent}, c.parties...) {
		if a != except && a != nil && a.conn != nil {
			a.conn.send(session.TypeAttention, c.id, session.AttentionData{Reason: reason, Text: text})
		}
	}
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
			return ferr(session.ErrCodeBadRequest, "%s: no agent %q", env.Type, d.Agent)
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
			return ferr(session.ErrCodeBadRequest, "%s: no queue %q; choose one of: %s", env.Type, d.Queue, strings.Join(s.cfg.queueNames(), ", "))
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

// transfer gives the chat to agent to (R-I7): a line tells everyone, the
// chat leaves its owner (state done, reason transferred), the new owner
// gets it whole, the customer is told who has it now; the recordings
// follow R-G1, R-G2 and R-H6. A transfer to a queue moves the chat to that
// queue, and its route may ask for a selective recording again (R-G2); a
// transfer to an agent has no route of its own.
func (s *Server) transfer(c *chat, to *agent, queue string) {
	old := c.agent
	s.system(c, "%s transferred the chat to %s", old.cfg.Name, to.cfg.Name)
	s.closeFor(c, old, "the chat was transferred")
	c.parties = slices.DeleteFunc(c.parties, func(p *agent) bool { return p == to })
	delete(to.joined, c.id)
	delete(old.chats, c.id)
	c.agent, c.multi = to, true
	to.chats[c.id] = c
	s.idleSeq++
	to.idle = s.idleSeq
	s.touchAgent(to)
	s.touch(c)
	if old.conn != nil {
		old.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: session.EndTransferred})
	}
	var route session.Route
	if queue != "" {
		c.queue = queue
		route = s.cfg.queue(queue).Route()
	}
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		c.rec.Transfer(to.cfg.ID, to.cfg.Rights(), route, now)
		return "", nil
	})
	if to.conn != nil {
		to.conn.send(session.TypeChat, c.id, c.snapshotFor(to))
	}
	if c.cust != nil {
		c.cust.send(session.TypeAgentIn, c.id, session.AgentInData{Name: to.cfg.Name})
	}
	s.tellParties(c)
	s.routeAll(old) // the old owner has room again
}

// join conferences agent a into the chat (R-I8): a line says who joined,
// then they get the whole transcript and every line after it.
func (s *Server) join(c *chat, a *agent) {
	if c.in(a) {
		return // in it already (a consultation turned conference after a conference invitation)
	}
	s.system(c, "%s joined the chat", a.cfg.Name)
	c.parties = append(c.parties, a)
	c.multi = true
	a.joined[c.id] = c
	c.rec.Join(a.cfg.ID, a.cfg.Rights()) // R-H6: their refusal to be recorded counts
	s.touch(c)
	if a.conn != nil {
		a.conn.send(session.TypeChat, c.id, c.snapshotFor(a))
	}
	if o := c.agent; o.conn != nil {
		o.conn.send(session.TypeRecording, c.id, c.recordingData(a.cfg.Name+" joined"))
	}
	s.tellParties(c)
	s.attend(c, session.AttnPartyJoined, a.cfg.Name+" joined the chat", a)
}

// leave takes a conferenced party out of the chat (the owner removed them,
// they left, or their connection did not come back): they are told the
// chat is done for them, and a line and the parties frame tell the rest.
func (s *Server) leave(c *chat, a *agent, reason, line string) {
	c.parties = slices.DeleteFunc(c.parties, func(p *agent) bool { return p == a })
	delete(a.joined, c.id)
	c.rec.Leave(a.cfg.ID)
	s.touch(c)
	if a.conn != nil {
		a.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: reason})
	}
	s.system(c, "%s", line)
	s.tellParties(c)
	s.attend(c, session.AttnPartyLeft, line, nil)
}

// ownerLeaves passes the chat to its first conferenced party when its
// owner ends or leaves it (R-I8): the customer's chat goes on.
func (s *Server) ownerLeaves(c *chat, reason string) {
	old, next := c.agent, c.nextOwner()
	s.closeFor(c, old, old.cfg.Name+" left the chat")
	c.parties = slices.DeleteFunc(c.parties, func(p *agent) bool { return p == next })
	delete(next.joined, c.id)
	delete(old.chats, c.id)
	c.agent = next
	next.chats[c.id] = c
	c.rec.Leave(old.cfg.ID)
	c.rec.HandOver(next.cfg.ID)
	s.touch(c)
	if old.conn != nil {
		old.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: reason})
	}
	s.system(c, "%s left the chat; %s has it now", old.cfg.Name, next.cfg.Name)
	if next.conn != nil {
		next.conn.send(session.TypeChat, c.id, c.snapshotFor(next))
	}
	if c.cust != nil {
		c.cust.send(session.TypeAgentIn, c.id, session.AgentInData{Name: next.cfg.Name})
	}
	s.tellParties(c)
	s.attend(c, session.AttnPartyLeft, old.cfg.Name+" left the chat", nil)
	s.routeAll(old)
}

// closeFor withdraws what agent a started about the chat: their pending
// invitations and their consultations (a left the chat, or it ended).
func (s *Server) closeFor(c *chat, a *agent, why string) {
	for _, inv := range slices.Clone(c.invites) {
		if a == nil || inv.from == a {
			s.inviteOver(inv, session.InviteCancelled, why)
		}
	}
	for _, k := range slices.Clone(c.consults) {
		if a == nil || k.from == a {
			s.endConsult(k, why)
		}
	}
}

// chatEnded closes a chat's multi-party state when it leaves Connected:
// invitations are withdrawn, consultations end (R-I9), the conferenced
// parties are told the chat is over for them.
func (s *Server) chatEnded(c *chat, reason string) {
	s.closeFor(c, nil, "the contact's chat ended")
	s.unwatchAll(c, reason)
	for _, p := range slices.Clone(c.parties) {
		delete(p.joined, c.id)
		c.rec.Leave(p.cfg.ID)
		if p.conn != nil {
			p.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: reason})
		}
	}
	if len(c.parties) > 0 {
		c.parties = nil
		s.touch(c)
		s.tellParties(c)
	}
}

// partyFrame handles a frame of a conferenced party: end (they leave) and
// remove by the owner.
func (s *Server) remove(a *agent, c *chat, env session.Envelope) *frameError {
	var d session.RemoveData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	i := slices.IndexFunc(c.parties, func(p *agent) bool { return p.cfg.ID == d.Agent })
	if i < 0 {
		return ferr(session.ErrCodeBadRequest, "remove: %.60q is not a party of chat %s", d.Agent, c.id)
	}
	p := c.parties[i]
	s.leave(c, p, session.EndRemoved, fmt.Sprintf("%s removed %s from the chat", a.cfg.Name, p.cfg.Name))
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

// partiesGraceOver takes an agent who did not come back out of the chats
// they were conferenced into and ends their consultations.
func (s *Server) partiesGraceOver(a *agent) {
	for _, c := range sortChats(a.joined) {
		s.leave(c, a, session.EndAgentGone, a.cfg.Name+" was disconnected and left the chat")
	}
	for _, k := range sortConsults(a.consults) {
		s.endConsult(k, a.cfg.Name+" was disconnected")
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

func sortChats(m map[string]*chat) []*chat {
	list := make([]*chat, 0, len(m))
	for _, c := range m {
		list = append(list, c)
	}
	slices.SortFunc(list, func(x, y *chat) int { return int(x.seq - y.seq) })
	return list
}

// resumeParties sends a returning agent the chats they are conferenced
// into, the invitations offered to them and their consultations.
func (s *Server) resumeParties(a *agent) {
	for _, c := range sortChats(a.joined) {
		a.conn.send(session.TypeChat, c.id, c.snapshotFor(a))
	}
	for _, inv := range s.sortedInvites() {
		if inv.to == a {
			a.conn.send(session.TypeInvite, "", session.InviteData{
				ID: inv.id, Kind: inv.kind, From: ref(inv.from), Queue: inv.queue, Text: inv.text,
				Expiry: inv.expiry, Chat: inv.c.snapshotFor(a),
			})
		}
	}
	for _, k := range sortConsults(a.consults) {
		a.conn.send(session.TypeConsultation, k.id, k.data(a, ""))
	}
	for _, c := range sortChats(a.chats) {
		if c.multi {
			a.conn.send(session.TypeParties, c.id, c.partiesData())
		}
	}
}
