package session

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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
		fresh := d.chats[cd.ID] == nil || d.chats[cd.ID].State != Offered
		if e.Type == TypeOffer {
			cd.State = Offered
		}
		ns := d.put(cd, now)
		if cd.State == Offered && fresh {
			ns = append(ns, offerNotice(cd, now))
		}
		return ns, nil
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
	case TypeRecording:
		return d.applyRecording(e, now)
	case TypeError:
		return d.applyError(e, now)
	case TypePong:
		return nil, nil
	case TypeRestarting:
		return d.applyRestarting(e)
	case TypeHistory:
		return d.applyHistory(e)
	}
	if ns, ok, err := d.applyParties(e, now); ok {
		return ns, err
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
	d.Recipient = w.Recipient
	clear(d.invites) // the hub sends them again after the welcome
	clear(d.consults)
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
// because the contact left says so once (R-I11). A snapshot without
// recording state keeps the last state the hub sent (a hub that sends none
// leaves the recording buttons disabled).
func (d *Desk) put(cd ChatData, now time.Time) []Notice {
	c := d.chats[cd.ID]
	if c == nil {
		c = &Chat{seq: d.next}
		d.next++
		d.chats[cd.ID] = c
	}
	prev, rd := c.Recording, cd.Recording
	if rd == nil {
		rd = prev
	}
	c.ChatData = cd
	c.Recording = prev
	out := d.setRecording(c, rd, false, now)
	if !cd.State.Live() {
		c.Typing, c.Preview = false, ""
	}
	since := pendingFrom(cd.Transcript)
	if !since.Equal(c.pendingAt) {
		c.pendingAt, c.warned = since, false
	}
	return append(out, d.contactLeft(c, now)...)
}

// offerNotice announces a new offer: who, from which queue, what to press.
func offerNotice(cd ChatData, now time.Time) Notice {
	text := "new offer from " + cd.Customer
	if cd.Queue != "" {
		text += " (queue " + cd.Queue + ")"
	}
	return Notice{Chat: cd.ID, Reason: AttnOffer, Text: text + ": a accepts, x rejects", At: now}
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
	if m.From == FromCustomer || m.From == FromAgent {
		// someone wrote: the hub's inactivity countdown starts again
		c.Attention = dropReason(c.Attention, AttnInactivitySoon)
	}
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
		if r := partyReason(m.Text); r != "" && !d.aboutMe(m.Text) && !contactLeaving(c, r, m.Text) {
			n := Notice{Chat: c.ID, Reason: r, Text: m.Text, At: m.At}
			c.Attention = append(c.Attention, n)
			return []Notice{n}, nil
		}
	}
	return nil, nil
}

// aboutMe tells whether a system line is about this agent (their own
// join is no news to them).
func (d *Desk) aboutMe(text string) bool {
	return d.Agent.Name != "" && strings.HasPrefix(text, d.Agent.Name+" ")
}

// contactLeaving tells whether a party-left system line is about the chat's
// contact: that is the contact_left attention, which the hub's attention
// frame or the change to ACW gives once (contactLeft), not a party's.
func contactLeaving(c *Chat, reason, text string) bool {
	return reason == AttnPartyLeft && c.Customer != "" && strings.HasPrefix(text, c.Customer+" ")
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
	if (ad.Reason == AttnPartyJoined || ad.Reason == AttnPartyLeft) && slices.ContainsFunc(c.Attention, func(o Notice) bool {
		return o.Reason == ad.Reason && o.Text == text
	}) {
		return nil, nil // the system line of the same words said it already
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
	text = "hub refused: " + text
	if ed.Code == ErrCodeRecRefused {
		text = "recording refused: " + ed.Message
		if ed.Message == "" {
			text = "the hub refused the recording request"
		}
	}
	n := Notice{Chat: e.Chat, Reason: AttnError, Text: text, At: now}
	if c := d.chats[e.Chat]; c != nil {
		c.LastError = n.Text
	} else {
		n.Chat = ""
		d.Error = n.Text
	}
	return []Notice{n}, nil
}
