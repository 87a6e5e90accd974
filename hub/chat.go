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

// chat is one interaction. Only touched under the hub's lock; lines,
// lastCust and warned may also change under the hub's shared lock plus mu.
type chat struct {
	mu          sync.Mutex
	id, resume  string
	name        string // the customer's name
	contact     string
	queue       string
	seq         int64 // arrival order, for FIFO
	state       session.State
	reason      string
	agent       *agent // owner (offered, connected, ACW, done)
	cust        *peer  // nil while the customer's socket is away
	created     time.Time
	offeredAt   time.Time
	offerExpiry time.Time
	acwDeadline time.Time
	lastCust    time.Time // last customer message, for inactivity
	warned      bool      // inactivity_soon sent since lastCust
	lines       []session.MessageData
	history     []session.Session
	disposition string
	note        string
	caseData    map[string]string
	tried       []*agent // agents this chat was offered to in this round
	position    int      // last queue position told to the customer

	// Recording (issue 4): every change goes through Server.recDo.
	rec       *session.Recorder
	private   []int64           // ids of agent-only lines (recording markers)
	consent   string            // "", "asked", "yes", "no"
	deleteAsk bool              // the customer asked for deletion (R-H6)
	deleted   bool              // the agent confirmed it
	names     map[string]string // recording id → file name, once done (R-H4)

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
	return nil
}

// transitionError maps a refused transition to a wire error.
func transitionError(err error) *frameError {
	if errors.Is(err, session.ErrChatEnded) {
		return ferr(session.ErrCodeChatEnded, "%v", err)
	}
	return ferr(session.ErrCodeBadState, "%v", err)
}

// addLine appends a transcript line and sends it to both sides. The caller
// holds the hub's lock, shared or exclusive.
func (s *Server) addLine(c *chat, from, name, text, url string) session.MessageData {
	return s.appendLine(c, from, name, text, url, true)
}

// appendLine is addLine; toCustomer false keeps the line from the customer
// (the recording markers are the agent's alone). Every line is offered to
// the chat's recordings (R-C5).
func (s *Server) appendLine(c *chat, from, name, text, url string, toCustomer bool) session.MessageData {
	c.mu.Lock()
	defer c.mu.Unlock()
	if from == session.FromCustomer {
		c.lastCust, c.warned = time.Now(), false
	}
	var id int64 = 1
	if n := len(c.lines); n > 0 {
		id = c.lines[n-1].ID + 1
	}
	m := session.MessageData{ID: id, From: from, Name: name, Text: text, URL: url, At: time.Now().UTC()}
	c.lines = append(c.lines, m)
	if c.rec != nil {
		c.rec.Capture(m)
	}
	if !toCustomer {
		c.private = append(c.private, id)
	}
	b := encodeMessage(c.id, m) // the same frame to both sides
	if c.cust != nil && toCustomer {
		c.cust.push(b)
	}
	if a := c.agent; a != nil && a.conn != nil && c.state != session.Queued {
		a.conn.push(b)
	}
	return m
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
		Transcript: slices.Clone(c.lines), History: c.history,
		Disposition: c.disposition, Note: c.note, CaseData: maps.Clone(c.caseData),
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
	c.acwDeadline = time.Now().Add(s.cfg.Timers.ACW).UTC()
	if a := c.agent; a.conn != nil {
		a.conn.send(session.TypeState, c.id, session.StateData{State: session.ACW, Reason: reason, ACWDeadline: c.acwDeadline})
	}
	if c.cust != nil {
		c.cust.send(session.TypeEnded, c.id, session.EndedData{Reason: reason})
	}
	s.arm(&c.acw, s.cfg.Timers.ACW, func() { _ = s.finish(c) })
	s.routeAll(c.agent) // the agent has room again
	return nil
}

// finish closes ACW (Mark Done or the ACW timer): the chat leaves the
// agent's live set and its transcript joins the contact's history (R-I2).
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
	s.archive(c)
	return nil
}

// archive keeps the chat's transcript for the contact's later chats and
// forgets the resume token.
func (s *Server) archive(c *chat) {
	delete(s.resumes, c.resume)
	if c.contact != "" && len(c.lines) > 0 {
		s.history[c.contact] = append(s.history[c.contact], session.Session{Chat: c.id, Start: c.created, Transcript: c.lines})
	}
	c.lines = nil
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
		idle := time.Since(c.lastCust)
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
