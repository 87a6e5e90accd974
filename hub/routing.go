package hub

import (
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
)

// agent is one configured agent. Only touched under the hub's lock.
type agent struct {
	cfg   AgentConfig
	conn  *peer // nil while offline
	ready bool
	idle  int64            // hub sequence when the agent last got work or became ready
	chats map[string]*chat // offered, connected and ACW chats it owns
	// joined are the chats it is conferenced into, consults its open
	// consultations (issue 14).
	joined   map[string]*chat
	consults map[string]*consult
	// A supervisor's record (R-C8): who said hello, the chats watched.
	super    bool
	who      api.Caller
	watching map[string]*chat
	grace    timer // agent_grace after a dropped socket
}

// load counts live chats: offered and connected. ACW does not count.
func (a *agent) load() int {
	n := 0
	for _, c := range a.chats {
		if c.state == session.Offered || c.state == session.Connected {
			n++
		}
	}
	return n
}

func (a *agent) serves(queue string) bool { return slices.Contains(a.cfg.Queues, queue) }

// eligible reports whether the agent can take a new offer from queue.
func (a *agent) eligible(queue string) bool {
	return a.conn != nil && a.ready && a.serves(queue) && a.load() < a.cfg.Capacity
}

// enqueue puts a waiting chat in its queue in arrival order, or at the head.
func (s *Server) enqueue(c *chat, head bool) {
	q := s.queues[c.queue]
	if head {
		s.queues[c.queue] = append([]*chat{c}, q...)
		return
	}
	i, _ := slices.BinarySearchFunc(q, c.seq, func(x *chat, seq int64) int {
		switch {
		case x.seq < seq:
			return -1
		case x.seq > seq:
			return 1
		}
		return 0
	})
	s.queues[c.queue] = slices.Insert(q, i, c)
}

func (s *Server) dequeue(c *chat) {
	s.queues[c.queue] = slices.DeleteFunc(s.queues[c.queue], func(x *chat) bool { return x == c })
}

// pick chooses the agent for c: eligible, least loaded, then longest idle;
// agents that already had this chat offered come last.
func (s *Server) pick(c *chat) *agent {
	var best *agent
	better := func(a, b *agent) bool {
		if ta, tb := c.wasTried(a), c.wasTried(b); ta != tb {
			return !ta
		}
		if la, lb := a.load(), b.load(); la != lb {
			return la < lb
		}
		return a.idle < b.idle
	}
	for _, a := range s.agents {
		if a.eligible(c.queue) && (best == nil || better(a, best)) {
			best = a
		}
	}
	return best
}

// route offers the waiting chats of queue, head first, to free agents, then
// tells every waiting customer their place.
func (s *Server) route(queue string) {
	if s.closed || len(s.queues[queue]) == 0 {
		return
	}
	began := time.Now()
	defer func() { s.m.routing.Observe(since(began)) }()
	for _, c := range slices.Clone(s.queues[queue]) {
		a := s.pick(c)
		if a == nil {
			break // FIFO: nobody free for the head, nobody for those behind it
		}
		s.offer(c, a)
	}
	ready := s.readyFor(queue)
	wait := s.waits[queue].estimate()
	for i, c := range s.queues[queue] {
		if c.position != i+1 || c.toldAgents != ready {
			c.position, c.toldAgents = i+1, ready
			if c.cust != nil {
				c.cust.send(session.TypeQueue, c.id, session.QueueData{Position: c.position, Agents: ready, Wait: session.Duration(wait)})
			}
		}
	}
}

// readyFor counts the online, ready agents serving queue.
func (s *Server) readyFor(queue string) int {
	n := 0
	for _, a := range s.agents {
		if a.conn != nil && a.ready && a.serves(queue) {
			n++
		}
	}
	return n
}

// queueWait is a queue's recent waits for a first offer: an exponential
// moving average over about the last ten chats.
type queueWait struct {
	avg time.Duration
	n   int
}

func (w *queueWait) add(d time.Duration) {
	if w.n == 0 {
		w.avg = d
	} else {
		w.avg += (d - w.avg) / 10
	}
	w.n++
}

// estimate is the average once three chats were seen, else 0.
func (w *queueWait) estimate() time.Duration {
	if w == nil || w.n < 3 {
		return 0
	}
	return w.avg.Round(time.Second)
}

// routeAll routes every queue the agent serves (it became free or ready).
func (s *Server) routeAll(a *agent) {
	for _, q := range a.cfg.Queues {
		s.route(q)
	}
}

func (s *Server) offer(c *chat, a *agent) {
	if err := s.move(c, session.EvOffer); err != nil {
		s.log.Error("offer", "chat", c.id, "err", err)
		return
	}
	s.dequeue(c)
	c.position = 0
	s.idleSeq++
	a.idle = s.idleSeq
	s.touchAgent(a)
	c.agent = a
	if !c.wasTried(a) {
		c.tried = append(c.tried, a)
	}
	now := s.now()
	c.offeredAt, c.offerExpiry = now, now.Add(s.cfg.Timers.OfferTimeout)
	if !c.waited {
		c.waited = true
		if s.waits[c.queue] == nil {
			s.waits[c.queue] = &queueWait{}
		}
		s.waits[c.queue].add(now.Sub(c.created))
		s.m.queueWait.Observe(now.Sub(c.created).Seconds())
	}
	a.chats[c.id] = c
	a.conn.send(session.TypeOffer, c.id, c.snapshot())
	s.arm(&c.offer, s.cfg.Timers.OfferTimeout, func() { s.revoke(c, session.RevokeTimeout) })
}

// revoke withdraws an offer and puts the chat back in its place; the queue
// is routed again, so it goes to the next agent.
func (s *Server) revoke(c *chat, reason string) {
	if err := s.move(c, session.EvRevoke); err != nil {
		return
	}
	c.offer.stop()
	a := c.agent
	delete(a.chats, c.id)
	c.agent = nil
	c.offeredAt, c.offerExpiry = time.Time{}, time.Time{}
	if a.conn != nil {
		a.conn.send(session.TypeRevoked, c.id, session.RevokedData{Reason: reason})
	}
	// Not the same agent again while another is eligible: if everyone
	// eligible has had it, start a new round.
	if s.allTried(c) {
		c.tried = append(c.tried[:0], a)
	}
	s.enqueue(c, false)
	s.route(c.queue)
	s.routeAll(a) // the agent has room for its other queues too
}

func (s *Server) allTried(c *chat) bool {
	for _, a := range s.agents {
		if a.eligible(c.queue) && !c.wasTried(a) {
			return false
		}
	}
	return true
}

// sortedChats lists the agent's chats oldest first.
func (a *agent) sortedChats() []*chat {
	list := make([]*chat, 0, len(a.chats))
	for _, c := range a.chats {
		list = append(list, c)
	}
	slices.SortFunc(list, func(x, y *chat) int { return int(x.seq - y.seq) })
	return list
}
