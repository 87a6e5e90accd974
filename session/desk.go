package session

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors returned by Desk.Apply. Both leave the desk unchanged.
var (
	// ErrUnknownChat is returned for a frame about a chat the desk does not
	// hold (it may have been closed already).
	ErrUnknownChat = errors.New("session: frame about an unknown chat")
	// ErrUnknownFrame is returned for a frame type the desk does not know.
	ErrUnknownFrame = errors.New("session: unknown frame type")
)

// Default R-I4 thresholds, used while the hub has not sent its settings.
const (
	DefaultPendingWarn  = 20 * time.Second
	DefaultPendingAlarm = 45 * time.Second
)

// Attention reasons the desk itself uses besides the hub's Attn* ones.
const (
	AttnRevoked = "offer_revoked" // an offer was withdrawn (not stored: the chat is gone)
	AttnError   = "error"         // the hub refused a frame
	AttnOffer   = "offer"         // a new offer alerts (the desktop rings its bell)
)

// Pending is the level of the pending-response indicator (R-I4).
type Pending int

// The indicator levels: None when nothing waits for the agent's reply.
const (
	PendingNone Pending = iota
	PendingGreen
	PendingYellow
	PendingRed
)

// String names the level.
func (p Pending) String() string {
	switch p {
	case PendingGreen:
		return "green"
	case PendingYellow:
		return "yellow"
	case PendingRed:
		return "red"
	}
	return "none"
}

// Notice is something the agent should notice now (R-I11): an attention
// reason with words for it. Chat is empty for desk-wide notices.
type Notice struct {
	Chat     string
	Reason   string
	Text     string
	At       time.Time
	Deadline time.Time
}

// Chat is the desk's view of one interaction: the hub's snapshot plus what
// the desktop derives from the frames it saw.
type Chat struct {
	ChatData
	Typing    bool      // the contact is typing (R-I3)
	Preview   string    // what the contact has typed so far, if the hub sends it
	Attention []Notice  // attention reasons for this chat, oldest first (R-I11)
	LastError string    // the last error the hub sent about this chat, in words
	pendingAt time.Time // first customer line after the agent's last reply; zero: none
	warned    bool      // the pending warning notice was given for pendingAt
	seq       int       // arrival order, for a stable list
}

// Pending returns the R-I4 indicator level at now: Green from the first
// customer message after the agent's last reply, Yellow after t1, Red
// after t2. It is None unless the chat is connected and waits for a reply.
func (c *Chat) Pending(now time.Time, t1, t2 time.Duration) Pending {
	if c.State != Connected || c.pendingAt.IsZero() {
		return PendingNone
	}
	switch d := now.Sub(c.pendingAt); {
	case d >= t2:
		return PendingRed
	case d >= t1:
		return PendingYellow
	}
	return PendingGreen
}

// PendingSince returns when the contact started waiting for a reply, or
// the zero time when nothing is pending.
func (c *Chat) PendingSince() time.Time {
	if c.State != Connected {
		return time.Time{}
	}
	return c.pendingAt
}

// Waiting returns the time the list shows for the chat: how long an offer
// has been alerting, how long the contact has waited for a reply, or the
// ACW time left. ok is false when there is nothing to show.
func (c *Chat) Waiting(now time.Time) (d time.Duration, ok bool) {
	switch c.State {
	case Offered:
		from := c.OfferedAt
		if from.IsZero() {
			from = c.CreatedAt
		}
		return max(now.Sub(from), 0), !from.IsZero()
	case Connected:
		if c.pendingAt.IsZero() {
			return 0, false
		}
		return max(now.Sub(c.pendingAt), 0), true
	case ACW:
		if c.ACWDeadline.IsZero() {
			return 0, false
		}
		return max(c.ACWDeadline.Sub(now), 0), true
	}
	return 0, false
}

// Desk is the agent's view of the world: who they are, the admin's
// settings, ready state, the link to the hub and the chats they own or are
// offered. It is changed only by Apply (frames from the hub) and SetLink;
// it does no I/O. It is not safe for concurrent use.
//
// Chats keep the order the desk first saw them in, whatever their state:
// a row never moves under the agent's cursor (an offer that comes or is
// accepted does not reorder the list), so a key acts on the chat the
// cursor is on (issue 11 point 10). A new offer is announced instead
// (AttnOffer).
type Desk struct {
	Agent    AgentInfo
	Settings Settings
	Ready    bool
	Link     LinkStatus
	Welcomed bool // a welcome arrived on the current link
	// Recipient is the store's age public key the hub's welcome told, ""
	// when it has none.
	Recipient string
	Error     string // the last desk-wide error from the hub, in words

	chats    map[string]*Chat
	invites  map[string]InviteData    // offered to this agent (issue 14)
	consults map[string]*Consultation // open, this agent's
	next     int
}

// NewDesk returns an empty desk, connecting.
func NewDesk() *Desk {
	return &Desk{chats: map[string]*Chat{}, invites: map[string]InviteData{}, consults: map[string]*Consultation{}, Link: LinkStatus{State: LinkConnecting}}
}

// Thresholds returns T1 and T2 of R-I4 from the settings, or the defaults.
func (d *Desk) Thresholds() (t1, t2 time.Duration) {
	t1, t2 = d.Settings.PendingWarn.Std(), d.Settings.PendingAlarm.Std()
	if t1 <= 0 {
		t1 = DefaultPendingWarn
	}
	if t2 <= t1 {
		t2 = max(DefaultPendingAlarm, t1+time.Second)
	}
	return t1, t2
}

// Chat returns the chat with id, or nil.
func (d *Desk) Chat(id string) *Chat { return d.chats[id] }

// Chats returns the chats in display order (see Desk).
func (d *Desk) Chats() []*Chat {
	out := make([]*Chat, 0, len(d.chats))
	for _, c := range d.chats {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Chat) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// SetLink records a change of the hub connection. A drop forgets the
// welcome: the next welcome brings the chats again.
func (d *Desk) SetLink(s LinkStatus) {
	d.Link = s
	if s.State != LinkUp {
		d.Welcomed = false
		for _, c := range d.chats {
			c.Typing, c.Preview = false, ""
		}
	}
}

// Tick derives the time-driven notices at now: the pending-response
// warning when a chat's indicator reaches yellow (R-I4, R-I11). Each
// waiting period warns once.
func (d *Desk) Tick(now time.Time) []Notice {
	t1, t2 := d.Thresholds()
	var out []Notice
	for _, c := range d.Chats() {
		if c.warned || c.Pending(now, t1, t2) < PendingYellow {
			continue
		}
		c.warned = true
		n := Notice{Chat: c.ID, Reason: AttnPendingWarn, At: now,
			Text: fmt.Sprintf("%s has waited %s for a reply", c.Customer, now.Sub(c.pendingAt).Truncate(time.Second))}
		c.Attention = append(c.Attention, n)
		out = append(out, n)
	}
	return out
}
