package hub

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Recording control (issue 4). The rules live in session.Recorder, one per
// chat; the hub only feeds it (the agent's buttons, its policies, the
// customer's answers, the dynamic API) and tells the agent the result.
// Every change goes through recDo.

// recDo is the one function through which every recording change of a chat
// goes. It runs f on the chat's Recorder; each change f made is marked in
// the agent's transcript ("Recording started (Record)", agent only, and
// captured in the recording it marks), after the owner got a recording frame
// saying what changed and who caused it: the words f returns, or else words
// derived from the recordings' change logs; recDo returns those words. An
// error from f changes nothing.
func (s *Server) recDo(c *chat, f func(now time.Time) (string, error)) (string, error) {
	before := make(map[*session.Recording]int, len(c.rec.Recordings()))
	for _, r := range c.rec.Recordings() {
		before[r] = len(r.Log)
	}
	now := s.now()
	change, err := f(now)
	if err != nil {
		return "", err
	}
	s.touch(c)
	if c.state != session.Done {
		s.nameRecordings(c, now)
	}
	groups := groupChanges(c.rec.Recordings(), before)
	if change == "" {
		said := make([]string, len(groups))
		for i, g := range groups {
			said[i] = s.phrase(g)
		}
		change = strings.Join(said, "; ")
	}
	if a := c.agent; a != nil && a.conn != nil {
		a.conn.send(session.TypeRecording, c.id, c.recordingData(change))
	}
	if len(c.parties) > 0 { // each desktop in the chat captures while it is recorded (issue 14)
		b := encode(session.TypeRecording, c.id, c.partyRecording(change))
		for _, p := range c.parties {
			if p.conn != nil {
				p.conn.push(b)
			}
		}
	}
	if c.state != session.Connected && c.state != session.ACW {
		return change, nil // no marker in a transcript no one works on
	}
	defer s.tellCustomer(c) // after the markers: the customer's words follow the change
	for _, g := range groups {
		m, _ := s.appendLine(c, session.FromSystem, "", g.line(), "", false, false)
		if m.ID == 0 {
			continue // past the transcript's limits: the change stands, unmarked
		}
		for _, r := range g.recs {
			if r.State != session.RecOn { // the marker of a stop or pause belongs to what it ends
				r.Lines = append(r.Lines, m)
				id, rec := m.ID, r.ID
				s.j.add(func(b *store.Batch) { b.Took = append(b.Took, store.Took{Chat: c.id, Recording: rec, Line: id}) })
			}
		}
	}
	return change, nil
}

// tellCustomer tells the customer when the chat starts being recorded, is
// paused or stops being recorded: a line of the transcript both sides
// see, in the queue's words, and a recording_notice frame for the page's
// indicator. The caller holds the hub's lock.
func (s *Server) tellCustomer(c *chat) {
	now := ""
	for _, r := range c.rec.Recordings() {
		switch {
		case r.State == session.RecOn:
			now = session.NoticeRecording
		case r.State == session.RecPaused && now == "":
			now = session.NoticePaused
		}
	}
	if now == "" && (c.told == session.NoticeRecording || c.told == session.NoticePaused) {
		now = session.NoticeStopped
	}
	if now == "" || now == c.told {
		return
	}
	c.told = now
	s.touch(c)
	text := s.cfg.notice(c.queue, now)
	if c.cust != nil {
		c.cust.send(session.TypeRecordingNotice, c.id, session.RecordingNoticeData{State: now, Text: text})
	}
	s.addLine(c, session.FromSystem, "", text, "")
}

// recGroup is the changes one cause made alike to several recordings.
type recGroup struct {
	verb string // started, continued, stopped, paused, resumed
	by   session.Actor
	recs []*session.Recording
}

var opVerbs = map[string]string{"start": "started", "stop": "stopped", "pause": "paused", "resume": "resumed"}

// groupChanges finds the log entries added since before, grouped by what
// was done and who did it, in order.
func groupChanges(recs []*session.Recording, before map[*session.Recording]int) []*recGroup {
	var groups []*recGroup
	for _, r := range recs {
		for i := before[r]; i < len(r.Log); i++ {
			e := r.Log[i]
			verb := opVerbs[e.Op]
			if e.Op == "start" && i > 0 {
				verb = "continued" // a new part (R-C1)
			}
			var g *recGroup
			for _, x := range groups {
				if x.verb == verb && x.by == e.By {
					g = x
				}
			}
			if g == nil {
				g = &recGroup{verb: verb, by: e.By}
				groups = append(groups, g)
			}
			g.recs = append(g.recs, r)
		}
	}
	return groups
}

var kindLabels = map[session.Kind]string{
	session.KindRecord: "Record", session.KindSnip: "Snip", session.KindAuto: "automatic",
	session.KindFullTime: "full-time", session.KindSelective: "selective", session.KindDynamic: "API",
	session.KindAbuse: "abusive chat",
}

func (g *recGroup) labels() string {
	var l []string
	for _, r := range g.recs {
		l = append(l, kindLabels[r.Kind])
	}
	return strings.Join(l, ", ")
}

// line is the transcript marker: "Recording paused (automatic, full-time)".
func (g *recGroup) line() string {
	return fmt.Sprintf("Recording %s (%s)", g.verb, g.labels())
}

// phrase says the change in words, with who: "Ada Lovelace started Record".
func (s *Server) phrase(g *recGroup) string {
	p := fmt.Sprintf("%s %s %s", s.who(g.by), g.verb, g.labels())
	if !g.recs[0].Kind.AgentKind() {
		p += " recording" // "the recording policy started automatic recording"
	}
	if r := g.by.Reason; r != "" && g.by.Role != "policy" && !strings.HasSuffix(r, " pressed") {
		p += " (" + r + ")"
	}
	return p
}

// who names an actor for the agent.
func (s *Server) who(a session.Actor) string {
	switch a.Role {
	case "agent":
		for _, ac := range s.cfg.Agents {
			if ac.ID == a.ID {
				return ac.Name
			}
		}
		return "agent " + a.ID
	case api.RoleSupervisor, api.RoleFlow:
		return strings.TrimSpace(a.Role + " " + a.ID)
	case "policy":
		return "the recording policy"
	case "customer":
		return "the customer"
	}
	return "the hub"
}

// recordingData is the chat's recording state as its agent sees it, with
// the buttons as the rules stand for that agent.
func (c *chat) recordingData(change string) *session.RecordingData {
	d := &session.RecordingData{
		Buttons: map[string]session.ButtonState{}, Abusive: c.rec.Abusive(),
		Consent: c.consent, DeleteAsk: c.deleteAsk, Deleted: c.deleted,
		Recordings: []session.RecordingInfo{}, Change: change,
	}
	who := ""
	if c.agent != nil {
		who = c.agent.cfg.ID
	}
	for _, b := range []session.Button{session.BtnRecord, session.BtnSnip, session.BtnPause} {
		st := session.ButtonState{Enabled: true}
		if err := c.rec.Check(b, who); err != nil {
			st = session.ButtonState{Reason: err.Error()}
		}
		d.Buttons[b.Key()] = st
	}
	st := c.rec.Status()
	d.Recording, d.Paused, d.Observed = st.Recording, st.Paused, st.Observed
	for _, r := range c.rec.Recordings() {
		d.Automatic = d.Automatic || r.Kind == session.KindAuto
		d.Recordings = append(d.Recordings, recInfo(r, c.names[r.ID]))
	}
	return d
}

// recInfo is one recording as the desktop and the API show it.
func recInfo(r *session.Recording, name string) session.RecordingInfo {
	ri := session.RecordingInfo{
		ID: r.ID, Kind: r.Kind.String(), State: r.State.String(), Parts: len(r.Parts),
		Screen: r.Screen, Name: name, Partitions: r.Partitions,
	}
	for _, l := range r.Lines {
		ri.Lines = append(ri.Lines, l.ID)
	}
	if (r.State == session.RecOn || r.State == session.RecPaused) && len(r.Parts) > 0 {
		ri.Since = r.Parts[len(r.Parts)-1].Start
	}
	if len(r.Log) > 0 {
		ri.By = r.Log[0].By.Role
	}
	return ri
}

// recConnect applies the agent's and the queue's policies when the agent
// takes the chat (R-G1, R-G2, R-H2, R-H5) and asks the customer for
// consent if the queue says so (R-H6).
func (s *Server) recConnect(a *agent, c *chat) {
	if text := s.cfg.consentText(c.queue); text != "" && c.consent == "" {
		c.consent = "asked"
		c.rec.AskConsent() // nothing is recorded before a Yes
		if c.cust != nil {
			c.cust.send(session.TypeConsentAsk, c.id, session.ConsentAskData{Text: text})
		}
	}
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		c.rec.Connect(a.cfg.ID, a.cfg.Rights(), s.cfg.queue(c.queue).Route(), now)
		return "", nil
	})
}

// recState follows the chat's state: leaving Connected stops every
// recording (R-C6 joins the parts at done).
func (s *Server) recState(c *chat) {
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		c.rec.SetState(c.state, now)
		return "", nil
	})
}

// agentRecording handles record, abusive and delete_rec of the chat's owner.
func (s *Server) agentRecording(a *agent, c *chat, env session.Envelope) *frameError {
	switch env.Type {
	case session.TypeRecord:
		var d session.RecordData
		if fe := decode(env, &d); fe != nil {
			return fe
		}
		b, ok := map[string]session.Button{"record": session.BtnRecord, "snip": session.BtnSnip, "pause": session.BtnPause}[d.Button]
		if !ok {
			return ferr(session.ErrCodeBadRequest, "record: button must be record, snip or pause, not %q", d.Button)
		}
		_, err := s.recDo(c, func(now time.Time) (string, error) {
			_, err := c.rec.Press(b, a.cfg.ID, now)
			return "", err
		})
		if err != nil {
			return ferr(session.ErrCodeRecRefused, "%s", reason(err))
		}
		return nil
	}
	switch c.state {
	case session.Connected, session.ACW:
	case session.Done:
		return ferr(session.ErrCodeChatEnded, "chat %s is done; cannot %s", c.id, env.Type)
	default:
		return ferr(session.ErrCodeBadState, "chat %s is %s; accept it before you %s", c.id, c.state, env.Type)
	}
	if env.Type == session.TypeAbusive {
		_, _ = s.recDo(c, func(time.Time) (string, error) {
			c.rec.FlagAbusive(session.Actor{Role: "agent", ID: a.cfg.ID, Reason: "flagged abusive"})
			return a.cfg.Name + " flagged the chat abusive: it will be recorded", nil
		})
		return nil
	}
	if !c.deleteAsk {
		return ferr(session.ErrCodeRecRefused, "the customer has not asked for deletion")
	}
	c.deleted = true
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		c.rec.ConfirmDeletion(a.cfg.ID, now)
		return a.cfg.Name + " confirmed the customer's deletion request: nothing will be stored", nil
	})
	if why := mustNotExist(c); why != "" {
		s.erase(c, "agent "+a.cfg.ID, why) // a part already uploaded goes too (R-H6)
	}
	if c.cust != nil { // the customer is told the deletion was confirmed
		c.cust.send(session.TypeRecordingNotice, c.id, session.RecordingNoticeData{State: session.NoticeDeleted, Text: DefaultNoticeDeleted})
	}
	return nil
}

// reason is a refusal in the words the button shows.
func reason(err error) string {
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	return err.Error()
}

// customerRecording handles consent and delete_ask of a customer.
func (s *Server) customerRecording(me *chat, env session.Envelope) *frameError {
	switch {
	case me == nil:
		return ferr(session.ErrCodeBadState, "join a chat first")
	case env.Type == session.TypeDeleteAsk && me.state == session.ACW:
		// The agent can still confirm it in after-call work (R-H6).
	case me.state == session.Done:
		return ferr(session.ErrCodeChatEnded, "the chat is over; to have its recording deleted, contact us and give the chat's number, %s", me.id)
	case !me.state.Live():
		return ferr(session.ErrCodeChatEnded, "the chat has ended")
	case me.state != session.Connected:
		return ferr(session.ErrCodeBadState, "no agent has taken the chat yet")
	}
	if env.Type == session.TypeDeleteAsk {
		if me.deleteAsk {
			return nil // asked already: once is enough
		}
		me.deleteAsk = true
		_, _ = s.recDo(me, func(time.Time) (string, error) {
			return "the customer asked to delete the recording", nil
		})
		return nil
	}
	var d session.ConsentData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	if me.consent != "asked" {
		return ferr(session.ErrCodeBadState, "no consent question is open")
	}
	me.consent = map[bool]string{true: "yes", false: "no"}[d.Yes]
	_, _ = s.recDo(me, func(now time.Time) (string, error) {
		me.rec.SetConsent(d.Yes, now)
		if d.Yes {
			return "the customer agreed to be recorded", nil
		}
		return "the customer declined to be recorded: nothing will be stored", nil
	})
	if why := mustNotExist(me); why != "" {
		s.erase(me, "customer", why)
	}
	return nil
}

// customerLines is the transcript without the agent-only lines.
func (c *chat) customerLines() []session.MessageData {
	if len(c.private) == 0 {
		return c.lines
	}
	out := make([]session.MessageData, 0, len(c.lines))
	j := 0
	for _, m := range c.lines {
		for j < len(c.private) && c.private[j] < m.ID {
			j++
		}
		if j < len(c.private) && c.private[j] == m.ID {
			continue
		}
		out = append(out, m)
	}
	return out
}
