package hub

import (
	"encoding/json"
	"fmt"
	"time"

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
	if c.pseq == 0 && !c.multi && len(c.parties) == 0 {
		return nil
	}
	r := partyRow{Seq: c.pseq, Multi: c.multi}
	for _, p := range c.parties {
		r.Parties = append(r.Parties, p.cfg.ID)
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
	for _, id := range r.Parties {
		if a := s.agents[id]; a != nil && a != c.agent {
			c.parties = append(c.parties, a)
			a.joined[c.id] = c
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

// rearmInvites continues a resumed chat's invitations from their stored
// expiry.
func (s *Server) rearmInvites(c *chat, now time.Time) {
	for _, inv := range c.invites {
		s.arm(&inv.t, inv.expiry.Sub(now), func() {
			s.inviteOver(inv, session.InviteTimeout, fmt.Sprintf("%s did not answer within %v", inv.to.cfg.Name, s.cfg.Timers.TransferTimeout))
		})
	}
}
