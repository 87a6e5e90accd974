package hub

import (
	"fmt"
	"slices"
	"strconv"
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

// partiesData is who is in the chat, for its agents; nil while only its
// owner ever had it and nobody watches it.
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
	s.dropInvitesTo(c, to)
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
	s.dropInvitesTo(c, a)
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

// remove handles the owner's remove: the named party leaves the chat
// (R-I8).
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
	for _, c := range sortChats(a.watching) { // a supervisor back after a restart watches on (R-C8)
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
		if c.multi || len(c.watchers) > 0 {
			a.conn.send(session.TypeParties, c.id, c.partiesData())
		}
	}
}
