package session

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// Kind is how a recording came to be. One interaction may carry several
// recordings in parallel (R-H4), but the agent's own kinds exclude each
// other: Record and Snip never share an interaction (R-C2).
type Kind int

// The recording kinds.
const (
	KindRecord    Kind = iota // ad hoc, the agent pressed Record (R-C1); delivered to the agent (R-C7)
	KindSnip                  // snippet, the agent pressed Snip (R-C1); to the store, recorder users only (R-C7)
	KindAuto                  // automatic web-chat recording (R-H2, R-H5)
	KindFullTime              // full-time per-agent setting (R-G1)
	KindSelective             // asked for by routing, record=destination (R-G2)
	KindDynamic               // started through the recording API (R-G3)
	KindAbuse                 // forced by the abusive flag (R-H7)
)

var kindNames = [...]string{"record", "snip", "auto", "fulltime", "selective", "dynamic", "abuse"}

// String returns the kind's wire name.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind reads a wire name.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("session: unknown recording kind %q (want one of %s)", s, strings.Join(kindNames[:], ", "))
}

// AgentKind reports whether the agent starts this kind by a button.
func (k Kind) AgentKind() bool { return k == KindRecord || k == KindSnip }

// Pausable reports whether recordings of this kind may be paused: every
// kind but the snippet (R-C4).
func (k Kind) Pausable() bool { return k != KindSnip }

// RecState is where one recording is.
type RecState int

// The recording states. A stopped recording may continue (a new part,
// R-C1) until the interaction ends; then it is Final.
const (
	RecOn RecState = iota
	RecPaused
	RecStopped
	RecFinal
)

var recStateNames = [...]string{"recording", "paused", "stopped", "final"}

// String returns the state's wire name.
func (s RecState) String() string {
	if s < 0 || int(s) >= len(recStateNames) {
		return fmt.Sprintf("recstate(%d)", int(s))
	}
	return recStateNames[s]
}

// RecOp is an operation on a recording. The numbers of the dynamic
// recording API (R-G3) are the ops' codes.
type RecOp int

// The recording operations, numbered as the dynamic API numbers them.
const (
	OpStart  RecOp = 3013
	OpStop   RecOp = 3014
	OpPause  RecOp = 3015
	OpResume RecOp = 3016
)

// String names the op.
func (o RecOp) String() string {
	switch o {
	case OpStart:
		return "start"
	case OpStop:
		return "stop"
	case OpPause:
		return "pause"
	case OpResume:
		return "resume"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// ParseRecOp reads an op by its code ("3013") or name ("START", "start").
func ParseRecOp(s string) (RecOp, error) {
	for _, o := range []RecOp{OpStart, OpStop, OpPause, OpResume} {
		if s == fmt.Sprint(int(o)) || equalFold(s, o.String()) {
			return o, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown operation %q (want 3013/START, 3014/STOP, 3015/PAUSE, 3016/RESUME)", ErrBadRecOp, s)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// recTransitions is the one table of legal moves of a single recording.
// Start on a stopped recording continues it with a new part (R-C1).
var recTransitions = map[RecState]map[RecOp]RecState{
	RecOn:      {OpStop: RecStopped, OpPause: RecPaused},
	RecPaused:  {OpResume: RecOn, OpStop: RecStopped},
	RecStopped: {OpStart: RecOn},
}

// Errors a recording operation can be refused with. Each is what the
// desktop shows beside a disabled button, so each reads as a reason.
var (
	ErrBadRecOp         = errors.New("not a recording operation")
	ErrRecWrongState    = errors.New("the recording is not in a state that allows it")
	ErrChatNotConnected = errors.New("the chat is not in a state that allows recording")
	ErrNoRecordRight    = errors.New("you have no right to record")
	ErrNoSnipRight      = errors.New("you have no right to take snippets")
	ErrNoPauseRight     = errors.New("you have no right to pause recordings")
	ErrSnipAfterRecord  = errors.New("Snip is unavailable: this chat was recorded with Record")
	ErrRecordAfterSnip  = errors.New("Record is unavailable: this chat was recorded with Snip")
	ErrPauseSnip        = errors.New("a snippet cannot be paused")
	ErrNothingToPause   = errors.New("nothing is being recorded")
	ErrAutomatic        = errors.New("this chat is recorded automatically: you may pause it, not start one")
	ErrNotPermitted     = errors.New("an agent in this chat does not permit recordings")
	ErrConsentDeclined  = errors.New("the customer declined to be recorded")
	ErrConsentPending   = errors.New("the customer has not yet agreed to be recorded")
	ErrDeleted          = errors.New("the customer asked for deletion")
	ErrNoSuchRecording  = errors.New("no such recording on this chat")
	ErrDuplicateID      = errors.New("a recording with this id already exists")
)

// step applies op to a recording's state through the table.
func step(s RecState, op RecOp) (RecState, error) {
	if next, ok := recTransitions[s][op]; ok {
		return next, nil
	}
	return s, fmt.Errorf("%w: cannot %s a %s recording", ErrRecWrongState, op, s)
}

// Part is one continuous stretch of a recording, between a start (or
// continue) and a stop. Pauses inside it are listed, so the timeline can
// be padded (R-G4).
type Part struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitzero"`
	Pauses []Span    `json:"pauses,omitempty"`
}

// Span is a stretch of time.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// Actor says who caused a recording change and why (kept for the audit trail).
type Actor struct {
	Role   string `json:"role"` // "agent", "supervisor", "flow", "policy", "system"
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Sampled decides, the same way every time for one interaction, whether it
// falls within percent of interactions: automatic recording (R-H5) and the
// screen share of recorded chats (R-V1) both use it, with different salts.
func Sampled(interaction, salt string, percent int) bool {
	if percent <= 0 {
		return false
	}
	if percent >= 100 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(salt))
	h.Write([]byte{0})
	h.Write([]byte(interaction))
	return int(h.Sum32()%100) < percent
}
