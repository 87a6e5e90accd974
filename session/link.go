package session

import "time"

// LinkState is the state of the desktop's connection to the hub.
type LinkState int

// The link states.
const (
	LinkConnecting LinkState = iota // dialling (first time or after a drop)
	LinkUp                          // connected and welcomed
	LinkDown                        // dropped; RetryIn tells when the next try is
	LinkRefused                     // the hub refused us for good (bad token): no retry
)

var linkNames = [...]string{"connecting", "connected", "disconnected", "refused"}

// String names the link state.
func (s LinkState) String() string {
	if s < 0 || int(s) >= len(linkNames) {
		return "link(?)"
	}
	return linkNames[s]
}

// LinkStatus describes a change of the connection to the hub.
type LinkStatus struct {
	State   LinkState
	Err     string        // why it dropped or was refused, in words
	RetryIn time.Duration // with LinkDown: the wait before the next attempt
	Attempt int           // reconnect attempts since the last success
}

// LinkEvent is what a hub connection delivers to the desktop: either a frame
// from the hub or a change of the connection's state. Exactly one is set.
type LinkEvent struct {
	Envelope *Envelope
	Status   *LinkStatus
}
