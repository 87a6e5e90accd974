package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// lock takes the hub's exclusive lock and opens a journal section: what
// changes until unlock, and every frame queued meanwhile, is one epoch.
func (s *Server) lock() {
	s.mu.Lock()
	s.j.begin()
}

// unlock writes the rows of the chats and agents the section changed into
// the journal and lets the lock go.
func (s *Server) unlock() {
	if s.verify {
		s.checkMarked()
	}
	s.j.end(s.flushDirty)
	clear(s.names)
	s.mu.Unlock()
}

// touch marks a chat changed in the open section: its row is written at
// unlock. Every change of a field the store keeps must touch the chat.
func (s *Server) touch(c *chat) { s.dirty[c] = struct{}{} }

// touchAgent marks an agent's ready state or idle order changed.
func (s *Server) touchAgent(a *agent) { s.dirtyAg[a] = struct{}{} }

// flushDirty adds the changed rows to the section; the journal calls it
// under its lock, at unlock.
func (s *Server) flushDirty(b *store.Batch) {
	for c := range s.dirty {
		row := s.chatRow(c)
		b.Chats = append(b.Chats, row)
		if s.verify {
			s.saved[c] = rowKey(row)
		}
	}
	for a := range s.dirtyAg {
		b.Agents = append(b.Agents, store.Agent{ID: a.cfg.ID, Ready: a.ready, Idle: a.idle})
	}
	clear(s.dirty)
	clear(s.dirtyAg)
}

// chatRow is a chat as the store keeps it.
func (s *Server) chatRow(c *chat) store.Chat {
	row := store.Chat{
		ID: c.id, Seq: c.seq, ResumeHash: c.resumeHash, Name: c.name, Contact: c.contact, Queue: c.queue,
		State: c.state, Reason: c.reason, Created: c.created, OfferedAt: c.offeredAt, OfferExpiry: c.offerExpiry,
		ConnectedAt: c.connectedAt, ACWDeadline: c.acwDeadline, AwayUntil: c.awayUntil, EndedAt: c.endedAt,
		Disposition: c.disposition, Note: c.note, CaseData: maps.Clone(c.caseData),
		Consent: c.consent, DeleteAsk: c.deleteAsk, Deleted: c.deleted, Names: maps.Clone(c.names), Told: c.told,
		Parties: c.partiesJSON(),
	}
	if c.agent != nil {
		row.Agent = c.agent.cfg.ID
	}
	for _, a := range c.tried {
		row.Tried = append(row.Tried, a.cfg.ID)
	}
	if c.rec != nil {
		row.Recorder, _ = json.Marshal(c.rec.Snapshot()) // plain data: always encodes
	}
	return row
}

// rowKey is a row's content, to compare rows in verify mode.
func rowKey(row store.Chat) string {
	b, _ := json.Marshal(row)
	return string(b)
}

// checkMarked (tests) notes every live chat that changed in the section
// without being touched: its change would not have been stored.
func (s *Server) checkMarked() {
	for _, c := range s.chats {
		if _, ok := s.dirty[c]; ok {
			continue
		}
		if want, ok := s.saved[c]; ok && rowKey(s.chatRow(c)) != want {
			s.unmarked = append(s.unmarked, fmt.Sprintf("chat %s changed without touch: the store would miss it\n was %s\n now %s", c.id, want, rowKey(s.chatRow(c))))
			s.saved[c] = rowKey(s.chatRow(c))
		}
	}
}

// hashResume is how the store keeps a resume token: only its SHA-256.
func hashResume(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// storeLine adds a transcript line, and which recordings took it, to the
// journal: the frames that carry it leave once it is stored.
func (s *Server) storeLine(c *chat, m session.MessageData, private bool) {
	var took []string
	if c.rec != nil {
		for _, r := range c.rec.Recordings() {
			if n := len(r.Lines); n > 0 && r.Lines[n-1].ID == m.ID {
				took = append(took, r.ID)
			}
		}
	}
	s.j.add(func(b *store.Batch) {
		b.Lines = append(b.Lines, store.Line{Chat: c.id, Private: private, MessageData: m})
		for _, r := range took {
			b.Took = append(b.Took, store.Took{Chat: c.id, Recording: r, Line: m.ID})
		}
	})
}

// restore resumes what the store holds: agents' ready state, then every
// live chat in arrival order with its transcript and recordings, back in
// its queue or with its agent, its timers continued from their stored
// deadlines (issue 9).
func (s *Server) restore(ctx context.Context) error {
	live, err := s.st.Load(ctx)
	if err != nil {
		return err
	}
	s.lock()
	defer s.unlock()
	s.chatSeq = live.ChatSeq
	for _, row := range live.Agents {
		if a := s.agents[row.ID]; a != nil {
			a.ready, a.idle = row.Ready, row.Idle
			s.idleSeq = max(s.idleSeq, row.Idle)
		}
	}
	now := s.now()
	resumed := map[string]int{}
	for i := range live.Chats {
		c, err := s.restoreChat(&live.Chats[i])
		if err != nil {
			return err
		}
		s.chatSeq = max(s.chatSeq, c.seq)
		resumed[c.state.String()]++
		s.rearm(c, now)
	}
	// Agents who owned live chats were online when the hub stopped: they
	// get agent_grace from now to come back.
	for _, a := range s.agents {
		if len(a.chats) > 0 || len(a.joined) > 0 || len(a.consults) > 0 {
			s.arm(&a.grace, s.cfg.Timers.AgentGrace, func() { s.graceOver(a) })
		}
	}
	if len(live.Chats) > 0 {
		s.log.Info("resumed chats from the store", "queued", resumed["queued"], "offered", resumed["offered"],
			"connected", resumed["connected"], "acw", resumed["acw"], "next_chat", s.chatSeq+1)
	}
	return nil
}

// restoreChat rebuilds one live chat from its row.
func (s *Server) restoreChat(lc *store.LiveChat) (*chat, error) {
	row := lc.Chat
	c := &chat{
		id: row.ID, resumeHash: row.ResumeHash, name: row.Name, contact: row.Contact, queue: row.Queue,
		seq: row.Seq, state: row.State, reason: row.Reason, created: row.Created, offeredAt: row.OfferedAt,
		offerExpiry: row.OfferExpiry, connectedAt: row.ConnectedAt, acwDeadline: row.ACWDeadline,
		awayUntil: row.AwayUntil, disposition: row.Disposition, note: row.Note, caseData: row.CaseData,
		consent: row.Consent, deleteAsk: row.DeleteAsk, deleted: row.Deleted, names: row.Names, told: row.Told,
		toldAgents: -1, waited: !row.OfferedAt.IsZero(),
	}
	for _, l := range lc.Lines {
		c.lines = append(c.lines, l.MessageData)
		c.cost += lineCost(l.MessageData)
		if l.Private {
			c.private = append(c.private, l.ID)
		}
		if l.From == session.FromCustomer {
			c.lastCust = l.At
		}
		if l.File != nil && l.File.Status == session.FileSent {
			c.files++
		}
	}
	c.lastCust = latest(c.lastCust, c.connectedAt)
	if len(row.Recorder) > 0 {
		var st session.RecorderState
		if err := json.Unmarshal(row.Recorder, &st); err != nil {
			return nil, fmt.Errorf("chat %s: recorder: %w", c.id, err)
		}
		rec, err := session.RestoreRecorder(st, c.lines, lc.Took)
		if err != nil {
			return nil, err
		}
		c.rec = rec
	} else {
		c.rec = session.NewRecorder(c.id)
	}
	if s.cfg.queue(c.queue).Name == "" {
		s.log.Warn("a resumed chat's queue is no longer configured; it goes to the first queue", "chat", c.id, "queue", c.queue)
		c.queue = s.cfg.Queues[0].Name
		s.touch(c)
	}
	for _, id := range row.Tried {
		if a := s.agents[id]; a != nil {
			c.tried = append(c.tried, a)
		}
	}
	if a := s.agents[row.Agent]; a != nil && row.Agent != "" {
		c.agent = a
		a.chats[c.id] = c
	} else if c.state != session.Queued {
		// Its agent is no longer configured: the chat waits at the head of
		// its queue (a chat in ACW is done: its work has nobody to do it).
		s.log.Warn("a resumed chat's agent is no longer configured", "chat", c.id, "agent", row.Agent)
		c.agent = nil
		if c.state == session.ACW {
			c.state = session.Done
			c.endedAt = s.now()
			s.touch(c)
			return c, nil
		}
		c.state, c.offeredAt, c.offerExpiry, c.connectedAt = session.Queued, time.Time{}, time.Time{}, time.Time{}
		c.rec.SetState(session.Queued, s.now())
		s.touch(c)
		s.chats[c.id] = c
		if c.resumeHash != "" {
			s.resumes[c.resumeHash] = c
		}
		s.enqueue(c, true)
		return c, nil
	}
	s.chats[c.id] = c
	if c.resumeHash != "" {
		s.resumes[c.resumeHash] = c
	}
	if err := s.restoreParties(c, row.Parties); err != nil {
		return nil, err
	}
	for _, name := range c.names {
		s.live[name] = true
	}
	if c.contact != "" {
		c.history, c.historyMore = s.loadHistory(c)
	}
	if c.state == session.Queued {
		s.enqueue(c, false)
	}
	return c, nil
}

// rearm continues a resumed chat's timers from their stored deadlines:
// the offer, after-call work, inactivity, and contact_grace (a customer
// who was connected when the hub stopped gets it from now).
func (s *Server) rearm(c *chat, now time.Time) {
	switch c.state {
	case session.Offered:
		s.arm(&c.offer, c.offerExpiry.Sub(now), func() { s.revoke(c, session.RevokeTimeout) })
	case session.Connected:
		s.armInactivity(c, 0)
		s.rearmInvites(c, now)
	case session.ACW:
		s.arm(&c.acw, c.acwDeadline.Sub(now), func() { _ = s.finish(c) })
	}
	if c.state.Live() {
		away := c.awayUntil
		if away.IsZero() {
			away = now.Add(s.cfg.Timers.ContactGrace)
		}
		s.awayUntil(c, away)
	}
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
