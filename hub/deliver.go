package hub

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/audit"
	hubmail "github.com/agentdesk/agentdesk/hub/mail"
	"github.com/agentdesk/agentdesk/hub/store"
)

// ActionMail is the audit entry of one attempt to e-mail an ad hoc
// recording to its agent (issue 13 point 7, R-C7): outcome ok (the mail
// server took it), retry (it failed for now) or failed (given up).
const ActionMail = "mail"

// OutcomeRetry is an attempt that failed for now: it is tried again.
const OutcomeRetry = "retry"

// deliverer e-mails each ad hoc recording's stored file to the agent who
// made it (R-C7): one worker goroutine, the queue in the store
// (store.Deliveries) so a restarted hub goes on with it.
type deliverer struct {
	s      *Server
	q      store.Deliveries
	sender *hubmail.Sender
	cfg    MailConfig // with its defaults filled in
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	noEmail map[string]bool // agents without an address, logged once each
}

// newDeliveries makes the deliverer (s.dl) when mail is configured,
// recordings are to be e-mailed and the store keeps deliveries: files
// stored from then on are queued; start sends them.
func (s *Server) newDeliveries(raw store.Store, sender *hubmail.Sender) {
	c := s.cfg.Mail
	if sender == nil || (c.Recordings != nil && !*c.Recordings) {
		return
	}
	q, ok := raw.(store.Deliveries)
	if !ok {
		s.log.Warn("the store keeps no deliveries: ad hoc recordings are not e-mailed to agents")
		return
	}
	c.AttachMax = cmpOr(c.AttachMax, DefaultAttachMax)
	c.RetryWait = cmpOr(c.RetryWait, DefaultRetryWait)
	c.RetryMax = max(cmpOr(c.RetryMax, DefaultRetryMax), c.RetryWait)
	c.RetryFor = cmpOr(c.RetryFor, DefaultRetryFor)
	s.dl = &deliverer{s: s, q: q, sender: sender, cfg: c, kick: make(chan struct{}, 1), noEmail: map[string]bool{}}
}

// start runs the worker (once the hub's ingest is open: it reads the
// files). A nil deliverer does nothing.
func (d *deliverer) start() {
	if d == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go d.run(ctx)
}

func cmpOr[T int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// stop ends the worker: an attempt under way is cut off and stays due.
func (d *deliverer) stop() {
	if d == nil || d.done == nil {
		return
	}
	d.cancel()
	<-d.done
}

// fileStored queues the e-mail of a stored file that carries an ad hoc
// recording (the hub's own record of the recording says so; the upload's
// manifest only while the hub knows nothing of it). Its SHA-256 was
// checked before it was stored.
func (s *Server) fileStored(ctx context.Context, f store.File) {
	d := s.dl
	if d == nil || f.Recording == "" || f.Agent == "" {
		return
	}
	kind := f.Kind
	if rec, ok, err := s.finishedRecording(ctx, f); err == nil && ok {
		kind = rec.Kind
	} else if k, live := s.liveKind(f.Interaction, f.Recording); live {
		kind = k
	}
	if kind != "record" {
		return
	}
	now := s.clock.Now()
	err := d.q.AddDelivery(ctx, store.Delivery{File: f.ID, Recording: f.Recording, Interaction: f.Interaction, Agent: f.Agent,
		State: store.DeliveryPending, Next: now, Created: now})
	if err != nil && !errors.Is(err, store.ErrExists) {
		s.log.Error("mail: queue a recording for its agent", "file", f.ID, "err", err)
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// finishedRecording is the store's row of f's recording, without lines.
func (s *Server) finishedRecording(ctx context.Context, f store.File) (store.Recording, bool, error) {
	page, err := s.st.Recordings(ctx, store.RecordingFilter{ID: f.Recording, Interaction: f.Interaction, NoLines: true, Limit: 100})
	if err != nil {
		return store.Recording{}, false, err
	}
	for _, r := range page.Recordings {
		if r.ID == f.Recording {
			return r, true, nil
		}
	}
	return store.Recording{}, false, nil
}

// liveKind is the kind of a recording of a chat that is not done yet.
func (s *Server) liveKind(interaction, id string) (kind string, live bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.chats[interaction]
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rec == nil {
		return "", true
	}
	if r := c.rec.Find(id); r != nil {
		return r.Kind.String(), true
	}
	return "", true
}

// run sends what is due, then waits for a new file or the next poll.
func (d *deliverer) run(ctx context.Context) {
	defer close(d.done)
	poll := min(max(d.cfg.RetryWait/4, 50*time.Millisecond), 5*time.Second)
	for {
		for ctx.Err() == nil {
			due, err := d.q.DueDeliveries(ctx, d.s.clock.Now(), 20)
			if err != nil {
				if ctx.Err() == nil {
					d.s.log.Error("mail: the deliveries to agents cannot be read", "err", err)
				}
				break
			}
			for _, row := range due {
				if ctx.Err() != nil {
					return
				}
				d.attempt(ctx, row)
			}
			if len(due) < 20 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
		case <-time.After(poll):
		}
	}
}

// attempt tries one delivery once and keeps what came of it.
func (d *deliverer) attempt(ctx context.Context, row store.Delivery) {
	s := d.s
	f, err := s.st.File(ctx, row.File)
	if errors.Is(err, store.ErrNotFound) {
		d.finish(ctx, row, store.Delivery{}, store.DeliveryFailed, "the file is no longer in the store", false)
		return
	}
	if err != nil {
		d.later(ctx, row, "the store cannot be read just now", false)
		return
	}
	rec, ok, err := s.finishedRecording(ctx, f)
	switch {
	case err != nil:
		d.later(ctx, row, "the store cannot be read just now", false)
		return
	case !ok:
		if _, live := s.liveKind(f.Interaction, f.Recording); live {
			d.later(ctx, row, "waiting for the chat to be done", false) // not a try: R-H6 may still delete it
			return
		}
		d.finish(ctx, row, store.Delivery{}, store.DeliveryFailed, "the hub has no such recording", false)
		return
	case !rec.Produced:
		d.finish(ctx, row, store.Delivery{}, store.DeliveryFailed, "not kept: "+rec.Why, false)
		return
	case rec.Kind != "record" || rec.Agent != f.Agent:
		d.finish(ctx, row, store.Delivery{}, store.DeliveryFailed, "not an ad hoc recording of the agent's own", false)
		return
	}
	to := s.agentEmail(rec.Agent)
	if to == "" {
		d.logNoEmail(rec.Agent)
		d.finish(ctx, row, store.Delivery{}, store.DeliveryFailed, "the hub has no e-mail address for "+rec.Agent, false)
		return
	}
	msg, link := d.message(f, rec, to)
	err = d.sender.Deliver(ctx, msg)
	if ctx.Err() != nil {
		return // the hub is stopping: it stays due, tried at the next start
	}
	row.Tries++
	if err != nil {
		err = scrubbed{err, to} // the address stays out of the log, the audit log and the words
	}
	switch {
	case err == nil:
		row.Sent = s.clock.Now()
		d.finish(ctx, row, row, store.DeliverySent, "", link)
		s.log.Info("mail: recording sent to its agent", "file", f.ID, "agent", rec.Agent, "tries", row.Tries, "link", link)
	case hubmail.Permanent(err) || s.clock.Now().Sub(row.Created) >= d.cfg.RetryFor:
		s.log.Warn("mail: recording not sent to its agent; given up", "file", f.ID, "agent", rec.Agent, "tries", row.Tries, "err", err)
		d.finish(ctx, row, row, store.DeliveryFailed, mailWhy(err), link)
	default:
		s.log.Warn("mail: recording not sent to its agent; trying again", "file", f.ID, "agent", rec.Agent, "tries", row.Tries, "err", err)
		d.later(ctx, row, mailWhy(err), true)
	}
}

// later keeps row pending, due after the backoff of its tries (tried:
// this was an attempt, audited as a retry).
func (d *deliverer) later(ctx context.Context, row store.Delivery, why string, tried bool) {
	wait := d.cfg.RetryWait
	for i := 1; i < row.Tries && wait < d.cfg.RetryMax; i++ {
		wait *= 2
	}
	row.State, row.Why, row.Next = store.DeliveryPending, why, d.s.clock.Now().Add(min(wait, d.cfg.RetryMax))
	d.update(ctx, row)
	if tried {
		d.audited(ctx, row, OutcomeRetry, false)
	}
}

// finish ends row as state (sent or failed). An attempt (tried.Tries > 0)
// is audited; a delivery refused before any attempt is not.
func (d *deliverer) finish(ctx context.Context, row, tried store.Delivery, state, why string, link bool) {
	row.State, row.Why, row.Next, row.Link = state, why, time.Time{}, link
	d.update(ctx, row)
	if tried.Tries > 0 {
		outcome := store.OutcomeOK
		if state == store.DeliveryFailed {
			outcome = store.OutcomeFailed
		}
		d.audited(ctx, row, outcome, link)
	}
}

func (d *deliverer) update(ctx context.Context, row store.Delivery) {
	if err := d.q.UpdateDelivery(context.WithoutCancel(ctx), row); err != nil {
		d.s.log.Error("mail: keep a delivery's state", "file", row.File, "err", err)
	}
}

// audited appends an attempt to the audit log: the agent it was for, the
// recording, the file, how it went and why.
func (d *deliverer) audited(ctx context.Context, row store.Delivery, outcome string, link bool) {
	meta, _ := json.Marshal(map[string]any{"file": row.File, "attempt": row.Tries, "link": link})
	d.s.audited(ctx, audit.Entry{Action: ActionMail, At: d.s.clock.Now().UTC().Format(time.RFC3339Nano), User: row.Agent,
		Role: "agent", Interaction: row.Interaction, Recording: row.Recording, Kind: "record", Metadata: meta,
		Reason: row.Why, Outcome: outcome})
}

// logNoEmail says once per agent that their recordings are not e-mailed.
func (d *deliverer) logNoEmail(agent string) {
	d.mu.Lock()
	first := !d.noEmail[agent]
	d.noEmail[agent] = true
	d.mu.Unlock()
	if first {
		d.s.log.Warn("mail: an agent has no e-mail address (agents: email, or the user's email): their ad hoc recordings are not e-mailed", "agent", agent)
	}
}

// agentEmail is where an agent's recordings go: the agents: entry's
// email, else the user's of the same id.
func (s *Server) agentEmail(id string) string {
	for _, a := range s.cfg.Agents {
		if a.ID == id && a.Email != "" {
			return a.Email
		}
	}
	if u, ok := s.tokens.User(id); ok {
		return u.Email
	}
	return ""
}
