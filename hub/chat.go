package hub

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// chat is one live interaction. Only touched under the hub's lock; lines,
// cost, lastCust and warned may also change under the hub's shared lock
// plus mu. Every change of a field the store keeps goes with s.touch(c).
type chat struct {
	mu          sync.Mutex
	id          string
	resumeHash  string // SHA-256 of the customer's resume token
	name        string // the customer's name
	contact     string
	queue       string
	seq         int64 // arrival order, for FIFO; also the number in the id
	state       session.State
	reason      string
	agent       *agent // owner (offered, connected, ACW, done)
	cust        *peer  // nil while the customer's socket is away
	created     time.Time
	offeredAt   time.Time
	offerExpiry time.Time
	connectedAt time.Time
	acwDeadline time.Time
	awayUntil   time.Time // contact_grace runs out then; zero while the customer is connected
	endedAt     time.Time
	lastCust    time.Time // last customer message, for inactivity (not stored: the lines tell)
	warned      bool      // inactivity_soon sent since lastCust
	lines       []session.MessageData
	cost        int // the transcript's size as frames (limits.max_transcript_bytes)
	history     []session.Session
	historyMore bool // older sessions than history remain in the store
	disposition string
	note        string
	caseData    map[string]string
	tried       []*agent // agents this chat was offered to in this round
	position    int      // last queue position told to the customer
	toldAgents  int      // last count of ready agents told to the customer (-1: none yet)
	waited      bool     // its wait for a first offer is counted (queueWait)

	// Recording (issue 4): every change goes through Server.recDo.
	rec       *session.Recorder
	private   []int64           // ids of agent-only lines (recording markers)
	consent   string            // "", "asked", "yes", "no"
	deleteAsk bool              // the customer asked for deletion (R-H6)
	deleted   bool              // the agent confirmed it
	names     map[string]string // recording id → file name, once done (R-H4)
	told      string            // the recording notice the customer was last given
	mailed    int               // transcripts e-mailed to the customer

	// Multi-party (issue 14): conferenced agents besides the owner, in
	// the order they joined; pending invitations; open consultations.
	parties   []*agent
	invites   []*invite
	consults  []*consult
	watchers  []*agent // supervisors listening silently (R-C8); not stored
	multi     bool     // more than one agent has had it: snapshots say who is in it
	pseq      int      // the last invitation or consultation number handed out
	files     int      // files sent in it (files.max_per_chat); the lines tell after a restart; under mu
	uploading int      // files being sent now; under mu

	offer, inact, custGrace, acw timer
}

func (c *chat) stopTimers() {
	c.offer.stop()
	c.inact.stop()
	c.custGrace.stop()
	c.acw.stop()
}

// move is the one function through which every state change goes.
func (s *Server) move(c *chat, ev session.Event) error {
	next, err := session.Transition(c.state, ev)
	if err != nil {
		return err
	}
	s.log.Debug("chat state", "chat", c.id, "from", c.state, "event", ev, "to", next)
	c.state = next
	s.touch(c)
	return nil
}

// transitionError maps a refused transition to a wire error.
func transitionError(err error) *frameError {
	if errors.Is(err, session.ErrChatEnded) {
		return ferr(session.ErrCodeChatEnded, "%v", err)
	}
	return ferr(session.ErrCodeBadState, "%v", err)
}

// lineCost is what a line costs against limits.max_transcript_bytes: about
// the frame that carries it.
func lineCost(m session.MessageData) int { return len(m.Text) + len(m.Name) + len(m.URL) + 96 }

// roomFor refuses a line of a customer or an agent that the chat's
// transcript has no room for (limits). The caller holds c.mu.
func (s *Server) roomFor(c *chat, text, url string) *frameError {
	l := s.cfg.Limits
	switch {
	case len(text) > l.MaxLineBytes:
		return ferr(session.ErrCodeLineTooLong, "the message is %d bytes; the limit is %d (limits.max_line_bytes): send it in parts", len(text), l.MaxLineBytes)
	case len(c.lines) >= l.MaxLinesPerChat:
		return ferr(session.ErrCodeTranscriptFull, "this chat holds %d lines, the most it may (limits.max_lines_per_chat); nothing more can be added", len(c.lines))
	case c.cost+len(text)+len(url)+256 > l.MaxTranscriptBytes:
		return ferr(session.ErrCodeTranscriptFull, "this chat's transcript is full (limits.max_transcript_bytes, %d bytes); nothing more can be added", l.MaxTranscriptBytes)
	}
	return nil
}

// addLine appends a transcript line and sends it to both sides. The caller
// holds the hub's lock, shared or exclusive.
func (s *Server) addLine(c *chat, from, name, text, url string) session.MessageData {
	m, _ := s.appendLine(c, from, name, text, url, true, false)
	return m
}

// appendLine is addLine; toCustomer false keeps the line from the customer
// (the recording markers are the agent's alone). Every line is offered to
// the chat's recordings (R-C5) and stored before its frames leave. A
// customer's or agent's line (checked true) is refused when the transcript
// has no room; the hub's own lines may go past the limits by a margin and
// are dropped beyond it (the state change they mark still happens).
func (s *Server) appendLine(c *chat, from, name, text, url string, toCustomer, checked bool) (session.MessageData, *frameError) {
	return s.appendMsg(c, session.MessageData{From: from, Name: name, Text: text, URL: url}, toCustomer, checked)
}

// appendMsg is appendLine for a line given whole but for its id and time
// (a file's line carries its File).
func (s *Server) appendMsg(c *chat, m session.MessageData, toCustomer, checked bool) (session.MessageData, *frameError) {
	from, text, url := m.From, m.Text, m.URL
	c.mu.Lock()
	defer c.mu.Unlock()
	if checked {
		if fe := s.roomFor(c, text, url); fe != nil {
			return session.MessageData{}, fe
		}
	} else if l := s.cfg.Limits; len(c.lines) >= l.MaxLinesPerChat+l.MaxLinesPerChat/10 || c.cost > l.MaxTranscriptBytes+l.MaxTranscriptBytes/10 {
		return session.MessageData{}, nil
	}
	now := s.now()
	if from == session.FromCustomer {
		c.lastCust, c.warned = now, false
	}
	var id int64 = 1
	if n := len(c.lines); n > 0 {
		id = c.lines[n-1].ID + 1
	}
	m.ID, m.At = id, now
	c.lines = append(c.lines, m)
	c.cost += lineCost(m)
	if c.rec != nil {
		c.rec.Capture(m)
	}
	if !toCustomer {
		c.private = append(c.private, id)
	}
	s.storeLine(c, m, !toCustomer)
	b := encodeMessage(c.id, m) // the same frame to both sides
	if c.cust != nil && toCustomer {
		c.cust.push(b)
	}
	if a := c.agent; a != nil && a.conn != nil && c.state != session.Queued {
		a.conn.push(b)
	}
	for _, p := range c.parties {
		if p.conn != nil {
			p.conn.push(b)
		}
	}
	for _, w := range c.watchers {
		if w.conn != nil {
			w.conn.push(b)
		}
	}
	return m, nil
}

func (s *Server) system(c *chat, format string, a ...any) {
	s.addLine(c, session.FromSystem, "", fmt.Sprintf(format, a...), "")
}

// snapshot is the chat as its agent sees it.
func (c *chat) snapshot() session.ChatData {
	d := session.ChatData{
		ID: c.id, Customer: c.name, CustomerID: c.contact, Queue: c.queue,
		State: c.state, Reason: c.reason, CreatedAt: c.created,
		OfferedAt: c.offeredAt, OfferExpiry: c.offerExpiry, ACWDeadline: c.acwDeadline,
		Transcript: slices.Clone(c.lines), History: c.history, HistoryMore: c.historyMore,
		Disposition: c.disposition, Note: c.note, CaseData: maps.Clone(c.caseData),
		Parties: c.partiesData(),
	}
	if d.Transcript == nil {
		d.Transcript = []session.MessageData{}
	}
	if c.rec != nil && c.agent != nil {
		d.Recording = c.recordingData("")
	}
	if c.state != session.Offered {
		d.OfferExpiry = time.Time{}
	}
	return d
}

// end moves a connected chat to ACW for reason (R-I1): the agent gets the
// new state with the ACW deadline, the customer is told it ended.
func (s *Server) end(c *chat, reason string) error {
	if err := s.move(c, session.EvEnd); err != nil {
		return err
	}
	c.reason = reason
	c.inact.stop()
	c.custGrace.stop()
	s.chatEnded(c, reason)
	switch reason {
	case session.EndContactLeft:
		s.system(c, "%s left the chat", c.name)
	case session.EndAgentEnded:
		s.system(c, "%s ended the chat", c.agent.cfg.Name)
	case session.EndInactivity:
		s.system(c, "The chat ended after %v without a message", s.cfg.Timers.InactivityTimeout)
	case session.EndContactGone:
		s.system(c, "%s was disconnected and did not come back", c.name)
	default:
		s.system(c, "The chat ended (%s)", reason)
	}
	s.recState(c)
	c.acwDeadline = s.now().Add(s.cfg.Timers.ACW)
	if a := c.agent; a.conn != nil {
		a.conn.send(session.TypeState, c.id, session.StateData{State: session.ACW, Reason: reason, ACWDeadline: c.acwDeadline})
	}
	if c.cust != nil {
		c.cust.send(session.TypeEnded, c.id, session.EndedData{Reason: reason, Mail: s.mail != nil})
	}
	s.arm(&c.acw, s.cfg.Timers.ACW, func() { _ = s.finish(c) })
	s.routeAll(c.agent) // the agent has room again
	return nil
}

// finish closes ACW (Mark Done or the ACW timer): the chat leaves the
// agent's live set and the hub's memory; the store keeps it, and the
// contact's later chats find it as history (R-I2).
func (s *Server) finish(c *chat) error {
	if err := s.move(c, session.EvDone); err != nil {
		return err
	}
	c.acw.stop()
	c.acwDeadline = time.Time{}
	s.recFinish(c)
	if a := c.agent; a != nil {
		delete(a.chats, c.id)
		if a.conn != nil {
			a.conn.send(session.TypeState, c.id, session.StateData{State: session.Done, Reason: c.reason})
		}
	}
	s.evict(c)
	return nil
}

// evict drops a done chat from memory (its row is written at unlock) and
// forgets its resume token.
func (s *Server) evict(c *chat) {
	c.endedAt = s.now()
	c.stopTimers()
	s.touch(c)
	delete(s.resumes, c.resumeHash)
	delete(s.chats, c.id)
	for _, name := range c.names {
		delete(s.live, name) // finished: the store has them now
	}
	delete(s.saved, c)
	c.mu.Lock()
	c.lines, c.history, c.private = nil, nil, nil // a customer's socket may hold the chat a while longer
	c.mu.Unlock()
}

// armInactivity (re)starts the inactivity watch of a connected chat: a
// warning after inactivity_warn, the end after inactivity_timeout, both
// counted from the customer's last message.
func (s *Server) armInactivity(c *chat, d time.Duration) {
	s.arm(&c.inact, d, func() {
		if c.state != session.Connected {
			return
		}
		t := s.cfg.Timers
		idle := s.now().Sub(c.lastCust)
		switch {
		case idle >= t.InactivityTimeout:
			if a := c.agent; a.conn != nil {
				a.conn.send(session.TypeAttention, c.id, session.AttentionData{Reason: session.AttnInactivity, Text: "The chat ended: the contact was inactive"})
			}
			_ = s.end(c, session.EndInactivity)
		case idle >= t.InactivityWarn && !c.warned:
			c.warned = true
			deadline := c.lastCust.Add(t.InactivityTimeout).UTC()
			if a := c.agent; a.conn != nil {
				a.conn.send(session.TypeAttention, c.id, session.AttentionData{
					Reason: session.AttnInactivitySoon, Deadline: deadline,
					Text: fmt.Sprintf("%s has been quiet for %v; the chat closes at %s", c.name, t.InactivityWarn, deadline.Format("15:04:05")),
				})
			}
			s.armInactivity(c, t.InactivityTimeout-idle)
		case idle >= t.InactivityWarn:
			s.armInactivity(c, t.InactivityTimeout-idle)
		default:
			s.armInactivity(c, t.InactivityWarn-idle)
		}
	})
}

// wasTried reports whether a had this chat offered in this round.
func (c *chat) wasTried(a *agent) bool { return slices.Contains(c.tried, a) }
