package session

import (
	"errors"
	"fmt"
	"strings"
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
// Chats keep a stable order: offered (alerting) chats first, because they
// need an answer now, then all others; within each group, in the order
// the desk first saw them.
type Desk struct {
	Agent    AgentInfo
	Settings Settings
	Ready    bool
	Link     LinkStatus
	Welcomed bool   // a welcome arrived on the current link
	Error    string // the last desk-wide error from the hub, in words

	chats map[string]*Chat
	next  int
}

// NewDesk returns an empty desk, connecting.
func NewDesk() *Desk {
	return &Desk{chats: map[string]*Chat{}, Link: LinkStatus{State: LinkConnecting}}
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
	rank := func(c *Chat) int {
		if c.State == Offered {
			return 0
		}
		return 1
	}
	// Insertion sort: the list is short and the order must be stable.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0; j-- {
			a, b := out[j-1], out[j]
			if rank(a) < rank(b) || (rank(a) == rank(b) && a.seq < b.seq) {
				break
			}
			out[j-1], out[j] = b, a
		}
	}
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

// Apply updates the desk with one frame from the hub and returns what the
// agent should be told about it. A frame with a bad payload, about an
// unknown chat, or of an unknown type returns an error and changes nothing.
func (d *Desk) Apply(e Envelope, now time.Time) ([]Notice, error) {
	switch e.Type {
	case TypeWelcome:
		return d.applyWelcome(e, now)
	case TypeOffer, TypeChat:
		var cd ChatData
		if err := e.Decode(&cd); err != nil {
			return nil, err
		}
		if cd.ID == "" {
			cd.ID = e.Chat
		}
		if cd.ID == "" {
			return nil, fmt.Errorf("session: %s frame without a chat id", e.Type)
		}
		if e.Type == TypeOffer {
			cd.State = Offered
		}
		return d.put(cd, now), nil
	case TypeRevoked:
		return d.applyRevoked(e, now)
	case TypeMessage:
		return d.applyMessage(e, now)
	case TypeTyping:
		c, err := d.chatOf(e)
		if err != nil {
			return nil, err
		}
		var td TypingData
		if err := e.Decode(&td); err != nil {
			return nil, err
		}
		c.Typing, c.Preview = td.Typing, td.Preview
		if !td.Typing {
			c.Preview = ""
		}
		return nil, nil
	case TypeState:
		return d.applyState(e, now)
	case TypeAttention:
		return d.applyAttention(e, now)
	case TypeAgent:
		var ad AgentData
		if err := e.Decode(&ad); err != nil {
			return nil, err
		}
		d.Ready = ad.Ready
		return nil, nil
	case TypeError:
		return d.applyError(e, now)
	case TypePong:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownFrame, e.Type)
}

func (d *Desk) chatOf(e Envelope) (*Chat, error) {
	c := d.chats[e.Chat]
	if c == nil {
		return nil, fmt.Errorf("%w: %s %q", ErrUnknownChat, e.Type, e.Chat)
	}
	return c, nil
}

func (d *Desk) applyWelcome(e Envelope, now time.Time) ([]Notice, error) {
	var w WelcomeData
	if err := e.Decode(&w); err != nil {
		return nil, err
	}
	d.Agent, d.Settings, d.Ready, d.Welcomed, d.Error = w.Agent, w.Settings, w.Ready, true, ""
	keep := map[string]bool{}
	var out []Notice
	for _, cd := range w.Chats {
		if cd.ID == "" {
			continue
		}
		keep[cd.ID] = true
		out = append(out, d.put(cd, now)...)
	}
	for id := range d.chats {
		if !keep[id] {
			delete(d.chats, id)
		}
	}
	return out, nil
}

// put stores a snapshot, keeping the chat's place, attention and the
// pending timer when the hub's transcript agrees with it. A chat in ACW
// because the contact left says so once (R-I11).
func (d *Desk) put(cd ChatData, now time.Time) []Notice {
	c := d.chats[cd.ID]
	if c == nil {
		c = &Chat{seq: d.next}
		d.next++
		d.chats[cd.ID] = c
	}
	c.ChatData = cd
	if !cd.State.Live() {
		c.Typing, c.Preview = false, ""
	}
	since := pendingFrom(cd.Transcript)
	if !since.Equal(c.pendingAt) {
		c.pendingAt, c.warned = since, false
	}
	return d.contactLeft(c, now)
}

// contactLeft adds the contact-left attention once, when the chat is in
// ACW because the contact left.
func (d *Desk) contactLeft(c *Chat, now time.Time) []Notice {
	if c.State != ACW || c.Reason != EndContactLeft || hasReason(c.Attention, AttnContactLeft) {
		return nil
	}
	n := Notice{Chat: c.ID, Reason: AttnContactLeft, Text: c.Customer + " left the chat", At: now}
	c.Attention = append(c.Attention, n)
	return []Notice{n}
}

// pendingFrom finds the first customer line after the agent's last reply.
func pendingFrom(lines []MessageData) time.Time {
	var since time.Time
	for _, m := range lines {
		switch m.From {
		case FromAgent:
			since = time.Time{}
		case FromCustomer:
			if since.IsZero() {
				since = m.At
			}
		}
	}
	return since
}

func (d *Desk) applyRevoked(e Envelope, now time.Time) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var rd RevokedData
	if len(e.Data) > 0 {
		if err := e.Decode(&rd); err != nil {
			return nil, err
		}
	}
	delete(d.chats, c.ID)
	text := fmt.Sprintf("Offer from %s withdrawn", c.Customer)
	if rd.Reason != "" {
		text += " (" + strings.ReplaceAll(rd.Reason, "_", " ") + ")"
	}
	return []Notice{{Chat: c.ID, Reason: AttnRevoked, Text: text, At: now}}, nil
}

func (d *Desk) applyMessage(e Envelope, now time.Time) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var m MessageData
	if err := e.Decode(&m); err != nil {
		return nil, err
	}
	if m.At.IsZero() {
		m.At = now
	}
	if m.ID != 0 {
		for _, old := range c.Transcript {
			if old.ID == m.ID {
				return nil, nil // already have it (snapshot, then the line)
			}
		}
	}
	c.Transcript = append(c.Transcript, m)
	switch m.From {
	case FromCustomer:
		c.Typing, c.Preview = false, ""
		if c.pendingAt.IsZero() {
			c.pendingAt, c.warned = m.At, false
		}
	case FromAgent:
		c.pendingAt, c.warned = time.Time{}, false
		c.Attention = dropReason(c.Attention, AttnPendingWarn)
	case FromSystem:
		if r := partyReason(m.Text); r != "" {
			n := Notice{Chat: c.ID, Reason: r, Text: m.Text, At: m.At}
			c.Attention = append(c.Attention, n)
			return []Notice{n}, nil
		}
	}
	return nil, nil
}

// partyReason tells a system line about a party joining or leaving (R-I11).
// System lines carry no kind on the wire, so their words decide.
func partyReason(text string) string {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, " joined"):
		return AttnPartyJoined
	case strings.Contains(t, " left"):
		return AttnPartyLeft
	}
	return ""
}

func dropReason(ns []Notice, reason string) []Notice {
	out := ns[:0]
	for _, n := range ns {
		if n.Reason != reason {
			out = append(out, n)
		}
	}
	return out
}

func (d *Desk) applyState(e Envelope, now time.Time) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var sd StateData
	if err := e.Decode(&sd); err != nil {
		return nil, err
	}
	if sd.State == Done {
		delete(d.chats, c.ID)
		return nil, nil
	}
	c.State, c.Reason = sd.State, sd.Reason
	if !sd.ACWDeadline.IsZero() {
		c.ACWDeadline = sd.ACWDeadline
	}
	if !sd.State.Live() {
		c.Typing, c.Preview = false, ""
		c.Attention = dropReason(c.Attention, AttnPendingWarn)
	}
	return d.contactLeft(c, now), nil
}

func hasReason(ns []Notice, reason string) bool {
	for _, n := range ns {
		if n.Reason == reason {
			return true
		}
	}
	return false
}

func (d *Desk) applyAttention(e Envelope, now time.Time) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var ad AttentionData
	if err := e.Decode(&ad); err != nil {
		return nil, err
	}
	if ad.Reason == AttnContactLeft && hasReason(c.Attention, AttnContactLeft) {
		return nil, nil // already derived from the state change
	}
	if ad.Reason == AttnContactBack {
		c.Attention = dropReason(c.Attention, AttnContactGone)
	}
	text := ad.Text
	if text == "" {
		text = strings.ReplaceAll(ad.Reason, "_", " ")
	}
	n := Notice{Chat: c.ID, Reason: ad.Reason, Text: text, At: now, Deadline: ad.Deadline}
	c.Attention = append(c.Attention, n)
	return []Notice{n}, nil
}

func (d *Desk) applyError(e Envelope, now time.Time) ([]Notice, error) {
	var ed ErrorData
	if err := e.Decode(&ed); err != nil {
		return nil, err
	}
	text := ed.Message
	if text == "" {
		text = strings.ReplaceAll(ed.Code, "_", " ")
	}
	if ed.Code != "" && ed.Message != "" {
		text = fmt.Sprintf("%s (%s)", ed.Message, ed.Code)
	}
	n := Notice{Chat: e.Chat, Reason: AttnError, Text: "hub refused: " + text, At: now}
	if c := d.chats[e.Chat]; c != nil {
		c.LastError = n.Text
	} else {
		n.Chat = ""
		d.Error = n.Text
	}
	return []Notice{n}, nil
}
