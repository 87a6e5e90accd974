package hub

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
)

// partyRow is a chat's multi-party state as the store keeps it (the chat
// row's Parties): written whole with the row, so an acknowledged
// transfer, join or consultation line survives a kill -9.
type partyRow struct {
	Seq      int          `json:"seq,omitempty"`
	Multi    bool         `json:"multi,omitempty"`
	Parties  []string     `json:"parties,omitempty"`
	Invites  []inviteRow  `json:"invites,omitempty"`
	Consults []consultRow `json:"consults,omitempty"`
	// Supers are the supervisors among Parties (they barged in), Watchers
	// those watching silently (R-C8): who they are, so that a restarted
	// hub keeps their place until they come back or agent_grace runs out.
	Supers   []superRow `json:"supers,omitempty"`
	Watchers []superRow `json:"watchers,omitempty"`
}

// superRow is a supervisor as a chat's row keeps them.
type superRow struct {
	ID      string `json:"id"`
	Role    string `json:"role"`
	Name    string `json:"name,omitempty"`
	Team    string `json:"team,omitempty"`
	Service bool   `json:"service,omitempty"`
}

func superRowOf(a *agent) superRow {
	return superRow{ID: a.who.ID, Role: a.who.Role, Name: a.who.Name, Team: a.who.Team, Service: a.who.Service}
}

type inviteRow struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Queue  string    `json:"queue,omitempty"`
	Text   string    `json:"text,omitempty"`
	Tried  []string  `json:"tried,omitempty"`
	Expiry time.Time `json:"expiry"`
}

type consultRow struct {
	ID    string                `json:"id"`
	From  string                `json:"from"`
	With  string                `json:"with"`
	Lines []session.MessageData `json:"lines,omitempty"`
}

// partiesJSON is the chat's partyRow, or nil when it never had more than
// one agent.
func (c *chat) partiesJSON() json.RawMessage {
	if c.pseq == 0 && !c.multi && len(c.parties) == 0 && len(c.watchers) == 0 {
		return nil
	}
	r := partyRow{Seq: c.pseq, Multi: c.multi}
	for _, p := range c.parties {
		r.Parties = append(r.Parties, p.cfg.ID)
		if p.super {
			r.Supers = append(r.Supers, superRowOf(p))
		}
	}
	for _, w := range c.watchers {
		r.Watchers = append(r.Watchers, superRowOf(w))
	}
	for _, inv := range c.invites {
		ir := inviteRow{ID: inv.id, Kind: inv.kind, From: inv.from.cfg.ID, Queue: inv.queue, Text: inv.text, Tried: inv.tried, Expiry: inv.expiry}
		if inv.to != nil {
			ir.To = inv.to.cfg.ID
		}
		r.Invites = append(r.Invites, ir)
	}
	for _, k := range c.consults {
		r.Consults = append(r.Consults, consultRow{ID: k.id, From: k.from.cfg.ID, With: k.with.cfg.ID, Lines: k.lines})
	}
	b, _ := json.Marshal(r) // plain data: always encodes
	return b
}

// restoreParties rebuilds a resumed chat's parties, invitations and
// consultations; agents no longer configured are left out.
func (s *Server) restoreParties(c *chat, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var r partyRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("chat %s: parties: %w", c.id, err)
	}
	c.pseq, c.multi = r.Seq, r.Multi
	if c.state != session.Connected || c.agent == nil {
		return nil // nothing multi-party outlives the connected chat
	}
	supers := map[string]*agent{}
	for _, sr := range r.Supers {
		supers[sr.ID] = s.restoreSuper(sr)
	}
	for _, id := range r.Parties {
		a := s.agents[id]
		if sp, ok := supers[id]; ok {
			a = sp
		}
		if a != nil && a != c.agent {
			c.parties = append(c.parties, a)
			a.joined[c.id] = c
		}
	}
	for _, sr := range r.Watchers {
		if a := s.restoreSuper(sr); a != nil && !slices.Contains(c.watchers, a) && !c.in(a) {
			c.watchers = append(c.watchers, a)
			a.watching[c.id] = c
		}
	}
	for _, ir := range r.Invites {
		from, to := s.agents[ir.From], s.agents[ir.To]
		if from == nil || to == nil || !c.in(from) {
			continue
		}
		inv := &invite{id: ir.ID, kind: ir.Kind, c: c, from: from, to: to, queue: ir.Queue, text: ir.Text, tried: ir.Tried, expiry: ir.Expiry}
		c.invites = append(c.invites, inv)
		s.invites[inv.id] = inv
	}
	for _, kr := range r.Consults {
		from, with := s.agents[kr.From], s.agents[kr.With]
		if from == nil || with == nil {
			continue
		}
		k := &consult{id: kr.ID, c: c, from: from, with: with, lines: kr.Lines}
		for _, m := range k.lines {
			k.cost += lineCost(m)
		}
		c.consults = append(c.consults, k)
		s.consults[k.id] = k
		from.consults[k.id] = k
		with.consults[k.id] = k
	}
	return nil
}

// restoreSuper is the record of a supervisor a resumed chat names, nil
// for one who may no longer supervise. Their socket went with the old
// hub: they have agent_grace from now to say hello again, or they stop
// watching (and leave what they barged into) and the agents are told.
func (s *Server) restoreSuper(sr superRow) *agent {
	who := api.Caller{ID: sr.ID, Role: sr.Role, Name: sr.Name, Team: sr.Team, Service: sr.Service}
	if sr.ID == "" || !canSupervise(who) {
		return nil
	}
	a := s.supervisor(who)
	if a.conn == nil && !a.grace.running() {
		s.arm(&a.grace, s.cfg.Timers.AgentGrace, func() { s.superGraceOver(a) })
	}
	return a
}

// rearmInvites continues a resumed chat's invitations from their stored
// expiry.
func (s *Server) rearmInvites(c *chat, now time.Time) {
	for _, inv := range c.invites {
		s.arm(&inv.t, inv.expiry.Sub(now), func() {
			s.inviteOver(inv, session.InviteTimeout, fmt.Sprintf("%s did not answer within %v", inv.to.cfg.Name, s.cfg.Timers.TransferTimeout))
		})
	}
}
