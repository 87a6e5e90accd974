package session

import (
	"encoding/json"
	"errors"
	"fmt"
)

// State is where an interaction is in its life (R-I1):
// queued → offered (alerting) → connected → ACW (after it ended) → done.
type State int

// The interaction states. Ended chats are in ACW until Mark Done or the ACW
// timer runs out; the reason they ended travels beside the state.
const (
	Queued State = iota
	Offered
	Connected
	ACW
	Done
)

var stateNames = [...]string{"queued", "offered", "connected", "acw", "done"}

// String returns the state's wire name.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("state(%d)", int(s))
	}
	return stateNames[s]
}

// Label returns the state as the desktop shows it.
func (s State) Label() string {
	switch s {
	case Queued:
		return "Waiting"
	case Offered:
		return "Alerting"
	case Connected:
		return "Connected"
	case ACW:
		return "Wrap-up"
	case Done:
		return "Done"
	}
	return s.String()
}

// ParseState reads a wire name.
func ParseState(name string) (State, error) {
	for i, n := range stateNames {
		if n == name {
			return State(i), nil
		}
	}
	return 0, fmt.Errorf("session: unknown state %q", name)
}

// MarshalJSON writes the wire name.
func (s State) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the wire name.
func (s *State) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("session: state must be a string: %w", err)
	}
	v, err := ParseState(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Live reports whether the chat is still open to messages (not ended).
func (s State) Live() bool { return s == Queued || s == Offered || s == Connected }

// Event is something that moves an interaction between states.
type Event int

// The interaction events.
const (
	EvOffer   Event = iota // routing offers a queued chat to an agent
	EvRevoke               // the offer is withdrawn: timeout, reject, taken
	EvAccept               // the agent accepts the offer
	EvEnd                  // the contact left, the agent ended, inactivity, …
	EvDone                 // Mark Done, or the ACW timer ran out
	EvAbandon              // the contact left before an agent took the chat
	EvRequeue              // the agent's connection was lost past its grace: back to the queue
)

var eventNames = [...]string{"offer", "revoke", "accept", "end", "done", "abandon", "requeue"}

// String names the event.
func (e Event) String() string {
	if e < 0 || int(e) >= len(eventNames) {
		return fmt.Sprintf("event(%d)", int(e))
	}
	return eventNames[e]
}

// Errors returned by Transition. ErrChatEnded is returned for any event on
// a chat that has already ended, so callers can tell it apart.
var (
	ErrBadTransition = errors.New("session: not allowed in this state")
	ErrChatEnded     = errors.New("session: the chat has ended")
)

// transitions is the one table of legal moves. Everything else is refused.
var transitions = map[State]map[Event]State{
	Queued:    {EvOffer: Offered, EvAbandon: Done},
	Offered:   {EvRevoke: Queued, EvAccept: Connected, EvAbandon: Done},
	Connected: {EvEnd: ACW, EvRequeue: Queued},
	ACW:       {EvDone: Done},
}

// Transition returns the state that event e leads to from s, or a named
// error: ErrChatEnded when s is ACW or Done and e is not EvDone, else
// ErrBadTransition.
func Transition(s State, e Event) (State, error) {
	if next, ok := transitions[s][e]; ok {
		return next, nil
	}
	if !s.Live() {
		return s, fmt.Errorf("%w: cannot %s a chat in %s", ErrChatEnded, e, s)
	}
	return s, fmt.Errorf("%w: cannot %s a chat in %s", ErrBadTransition, e, s)
}
