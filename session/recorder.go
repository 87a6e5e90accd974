package session

import (
	"fmt"
	"slices"
	"time"
)

// Rights are one agent's recording rights and policies, set by the admin in
// the hub's config.
type Rights struct {
	MayRecord     bool `json:"may_record" yaml:"may_record"`
	MaySnip       bool `json:"may_snip" yaml:"may_snip"`
	MayPause      bool `json:"may_pause" yaml:"may_pause"`
	Permits       bool `json:"permits" yaml:"permits"`               // permits recordings at all (R-H6)
	Auto          bool `json:"auto" yaml:"auto"`                     // automatic web-chat recording (R-H2)
	AutoPercent   int  `json:"auto_percent" yaml:"auto_percent"`     // share of chats recorded automatically (R-H5)
	FullTime      bool `json:"full_time" yaml:"full_time"`           // full-time recording (R-G1)
	ScreenPercent int  `json:"screen_percent" yaml:"screen_percent"` // share of recorded chats with screen (R-V1)
}

// Route is what routing asked for when it delivered the chat (R-G2).
type Route struct {
	RecordDestination bool   `json:"record_destination,omitempty"` // record=destination
	ID                string `json:"id,omitempty"`                 // optional globally unique recording id
	Dest              string `json:"dest,omitempty"`               // optional override of where the recording is stored
}

// Recording is one recording of an interaction.
type Recording struct {
	ID         string        `json:"id"`
	Kind       Kind          `json:"kind"`
	State      RecState      `json:"state"`
	Agent      string        `json:"agent"`                // the agent whose chat it recorded when it began
	Side       string        `json:"side,omitempty"`       // "source" or "destination" (R-G3)
	Dest       string        `json:"dest,omitempty"`       // storage override (R-G2)
	Partitions []string      `json:"partitions,omitempty"` // kept on the recording (R-G3)
	Screen     bool          `json:"screen"`               // the screen is recorded too (R-V1)
	Parts      []Part        `json:"parts"`
	Lines      []MessageData `json:"lines"` // transcript entered while on and not paused (R-C5)
	Log        []RecChange   `json:"log"`   // every change, with who and why
	// Agents are every agent who owned or was conferenced into the chat
	// while this recording ran, in the order they came (issue 14: a
	// transferred chat's recording names every agent who handled it).
	Agents []string `json:"agents,omitempty"`
}

// RecChange is one change of a recording, kept for the audit trail.
type RecChange struct {
	At   time.Time `json:"at"`
	Op   string    `json:"op"`
	From string    `json:"from,omitempty"`
	To   string    `json:"to"`
	By   Actor     `json:"by"`
}

// Button is one of the agent's recording buttons.
type Button int

// The recording buttons on the desktop's toolbar.
const (
	BtnRecord Button = iota
	BtnSnip
	BtnPause
)

// String names the button as the toolbar labels it.
func (b Button) String() string {
	return [...]string{"Record", "Snip", "Pause"}[b]
}

// Recorder holds every recording of one interaction and enforces the rules
// of SPEC.md R-C*, R-H* and R-G* whoever asks: the desktop, a policy, the
// dynamic API. It is not safe for concurrent use.
type Recorder struct {
	chat      string
	state     State
	owner     string
	present   []string          // the owner, then the conferenced agents (issue 14)
	rights    map[string]Rights // every agent involved so far (R-H6)
	recs      []*Recording
	all       []MessageData // the whole transcript, for an abuse recording (R-H7)
	abusive   bool
	abusiveBy Actor
	consent   int    // 0 not asked, 1 yes, -1 no, consentAsked: asked, no answer yet
	waiting   *Route // the route of a Connect held until the customer's Yes
	deletion  bool
	denied    bool // an agent who does not permit recordings took part (R-H6)
	seq       int
}

// NewRecorder starts the recording set of interaction chat, in state Queued.
func NewRecorder(chat string) *Recorder {
	return &Recorder{chat: chat, rights: map[string]Rights{}}
}

// Recordings returns the recordings, oldest first. The caller must not
// modify them.
func (r *Recorder) Recordings() []*Recording { return r.recs }

// Find returns the recording with id, or nil.
func (r *Recorder) Find(id string) *Recording {
	for _, rec := range r.recs {
		if rec.ID == id {
			return rec
		}
	}
	return nil
}

// Abusive reports whether the chat was flagged abusive (R-H7).
func (r *Recorder) Abusive() bool { return r.abusive }

// consentAsked is Recorder.consent while the customer's answer is awaited.
const consentAsked = 2

// Connect is called when agent takes the chat (R-V2: capture starts when
// the agent answers). It applies the agent's policies: full-time (R-G1),
// automatic with its percentage (R-H2, R-H5), and selective if routing asked
// (R-G2). While the customer's consent is asked (AskConsent) nothing starts:
// the policies wait for a Yes.
func (r *Recorder) Connect(agent string, rights Rights, route Route, now time.Time) {
	r.owner = agent
	r.present = []string{agent}
	r.involve(agent, rights)
	r.state = Connected
	if r.consent == consentAsked {
		r.waiting = &route
		return
	}
	r.applyPolicies(agent, rights, route, now)
}

// AskConsent says the flow asks the customer for consent to record (R-H6):
// until the answer nothing may be recorded, by anyone. A No is final.
func (r *Recorder) AskConsent() {
	if r.consent == 0 {
		r.consent = consentAsked
	}
}

// ConsentPending reports whether the customer's answer is still awaited.
func (r *Recorder) ConsentPending() bool { return r.consent == consentAsked }

func (r *Recorder) applyPolicies(agent string, rights Rights, route Route, now time.Time) {
	if r.blocked() != nil {
		return
	}
	policy := Actor{Role: "policy", ID: agent}
	if rights.FullTime {
		policy.Reason = "full-time recording"
		r.begin(KindFullTime, "", "destination", "", nil, policy, now)
	}
	if rights.Auto && Sampled(r.chat, "auto", rights.AutoPercent) {
		policy.Reason = fmt.Sprintf("automatic recording (%d%% of chats)", rights.AutoPercent)
		r.begin(KindAuto, "", "destination", "", nil, policy, now)
	}
	if route.RecordDestination {
		by := Actor{Role: "flow", Reason: "routing asked record=destination"}
		if route.ID != "" && r.Find(route.ID) != nil {
			return
		}
		r.begin(KindSelective, route.ID, "destination", route.Dest, nil, by, now)
	}
}

// Involve records that another agent (a supervisor listening, a conference
// or consultation party) takes part: if they do not permit recordings, no
// recording of this chat is produced (R-H6).
func (r *Recorder) Involve(agent string, rights Rights) { r.involve(agent, rights) }

// involve is the one place agents join; a refusal to be recorded sticks.
func (r *Recorder) involve(agent string, rights Rights) {
	r.rights[agent] = rights
	r.denied = r.denied || !rights.Permits
}

// Transfer moves the chat to agent (R-I7). What belonged to the agent
// who had it stops: full-time (R-G1) and selective (R-G2) recordings, the
// automatic one of their policy (R-H2 is per agent) and their own Record or
// Snip (their desktop no longer captures the chat); recordings the dynamic
// API runs (R-G3) go on and name the new agent too. The new agent is
// involved (R-H6) and their policies apply, selective again only if the new
// route asks (R-G2).
func (r *Recorder) Transfer(agent string, rights Rights, route Route, now time.Time) {
	by := Actor{Role: "system", Reason: "transferred to " + agent}
	for _, rec := range r.recs {
		if rec.Kind != KindDynamic && (rec.State == RecOn || rec.State == RecPaused) {
			r.move(rec, OpStop, by, now)
		}
	}
	old := r.owner
	r.owner = agent
	r.present = slices.DeleteFunc(r.present, func(a string) bool { return a == old || a == agent })
	r.present = append([]string{agent}, r.present...)
	r.involve(agent, rights)
	r.handled(agent)
	r.applyPolicies(agent, rights, route, now)
}

// Join adds a conferenced agent (R-I8): they are involved (R-H6: if they do
// not permit recordings, none of this chat is produced unless it is
// flagged abusive, R-H7), and every running recording names them.
func (r *Recorder) Join(agent string, rights Rights) {
	if !slices.Contains(r.present, agent) {
		r.present = append(r.present, agent)
	}
	r.involve(agent, rights)
	r.handled(agent)
}

// Leave takes a conferenced agent out of the chat. When the owner leaves,
// the first conferenced agent becomes the owner (R-I8); the recordings go
// on (the customer's chat goes on) and their own policies do not apply
// again.
func (r *Recorder) Leave(agent string) {
	r.present = slices.DeleteFunc(r.present, func(a string) bool { return a == agent })
	if agent == r.owner && len(r.present) > 0 {
		r.owner = r.present[0]
	}
}

// HandOver makes agent, already in the chat, its owner (R-I8: the owner
// left and a conferenced agent has the chat now).
func (r *Recorder) HandOver(agent string) {
	r.present = slices.DeleteFunc(r.present, func(a string) bool { return a == agent })
	r.present = append([]string{agent}, r.present...)
	r.owner = agent
}

// Present lists the agents in the chat now: the owner first.
func (r *Recorder) Present() []string { return slices.Clone(r.present) }

// handled names agent on every recording still running.
func (r *Recorder) handled(agent string) {
	for _, rec := range r.recs {
		if (rec.State == RecOn || rec.State == RecPaused) && !slices.Contains(rec.Agents, agent) {
			rec.Agents = append(rec.Agents, agent)
		}
	}
}

// SetConsent records the customer's answer to the flow's consent question
// (R-H6). A No stops every recording and sticks; Finish will produce none
// unless the chat is abusive.
// A Yes starts what the policies held back since Connect.
func (r *Recorder) SetConsent(yes bool, now time.Time) {
	if r.consent < 0 {
		return // a No is never overridden by a later answer
	}
	r.consent = map[bool]int{true: 1, false: -1}[yes]
	route := r.waiting
	r.waiting = nil
	if !yes {
		r.stopAll(Actor{Role: "customer", Reason: "consent declined"}, now)
		return
	}
	if route != nil && r.state == Connected {
		r.applyPolicies(r.owner, r.rights[r.owner], *route, now)
	}
}

// ConfirmDeletion is the agent pressing Delete after the customer asked for
// deletion (R-H6): every recording stops and none will be produced unless
// the chat is abusive.
func (r *Recorder) ConfirmDeletion(agent string, now time.Time) {
	r.deletion = true
	r.stopAll(Actor{Role: "agent", ID: agent, Reason: "customer asked for deletion"}, now)
}

// FlagAbusive marks the chat abusive: it will be recorded whatever R-H6
// says (R-H7).
func (r *Recorder) FlagAbusive(by Actor) {
	r.abusive = true
	r.abusiveBy = by
}

func (r *Recorder) stopAll(by Actor, now time.Time) {
	for _, rec := range r.recs {
		if rec.State == RecOn || rec.State == RecPaused {
			r.move(rec, OpStop, by, now)
		}
	}
}

// blocked returns why no recording may start now, or nil.
func (r *Recorder) blocked() error {
	switch {
	case r.state != Connected:
		return ErrChatNotConnected
	case r.deletion:
		return ErrDeleted
	case r.consent < 0:
		return ErrConsentDeclined
	case r.consent == consentAsked:
		return ErrConsentPending
	case r.denied:
		return ErrNotPermitted
	}
	return nil
}

// SetState follows the interaction's state. When the chat leaves Connected
// every running recording stops; the parts are joined by Finish (R-C6).
func (r *Recorder) SetState(s State, now time.Time) {
	r.state = s
	if s != Connected {
		r.stopAll(Actor{Role: "system", Reason: "chat " + s.String()}, now)
	}
}

// Capture offers one transcript line: it is kept by every recording that is
// on and not paused (R-C5).
func (r *Recorder) Capture(m MessageData) {
	r.all = append(r.all, m)
	for _, rec := range r.recs {
		if rec.State == RecOn {
			rec.Lines = append(rec.Lines, m)
		}
	}
}

// Outcome is the fate of one recording when the interaction is done.
type Outcome struct {
	Recording *Recording
	Produced  bool
	Why       string // why it was not produced, in words
}

// Finish ends the interaction's recordings: every part is closed and joined
// into one recording each (R-C6). Recordings are dropped when an involved
// agent does not permit them, the customer declined consent or asked for
// deletion (R-H6), unless the chat was flagged abusive (R-H7), in which case
// a recording of the whole transcript is produced if none exists.
func (r *Recorder) Finish(now time.Time) []Outcome {
	r.SetState(Done, now)
	if r.abusive && len(r.recs) == 0 {
		rec := r.newRecording(KindAbuse, "", "destination", "", nil)
		rec.Parts = []Part{{Start: firstAt(r.all, now), End: now}}
		rec.Lines = slices.Clone(r.all)
		rec.Agents = r.involved()
		rec.Log = append(rec.Log, RecChange{At: now, Op: "start", To: RecStopped.String(), By: r.abusiveBy})
	}
	why := ""
	if !r.abusive {
		if err := r.dropReason(); err != nil {
			why = err.Error()
		}
	}
	out := make([]Outcome, 0, len(r.recs))
	for _, rec := range r.recs {
		rec.State = RecFinal
		out = append(out, Outcome{Recording: rec, Produced: why == "", Why: why})
	}
	return out
}

func (r *Recorder) dropReason() error {
	if r.deletion {
		return ErrDeleted
	}
	if r.consent < 0 {
		return ErrConsentDeclined
	}
	if r.denied {
		return ErrNotPermitted
	}
	return nil
}

func firstAt(lines []MessageData, now time.Time) time.Time {
	if len(lines) > 0 {
		return lines[0].At
	}
	return now
}

// involved lists every agent who took part, sorted (for a recording of the
// whole chat).
func (r *Recorder) involved() []string {
	out := make([]string, 0, len(r.rights))
	for a := range r.rights {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
