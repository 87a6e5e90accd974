package session

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The desk's side of multi-party chats (issue 14): invitations offered to
// this agent, who is in each chat, and the consultations this agent takes
// part in. The keys and the picker that act on them are the desktop's.

// Desk-side attention reasons of multi-party chats.
const (
	AttnInvite       = "invite"        // someone offers this agent a chat, a place in it or a consultation
	AttnInviteResult = "invite_result" // an invitation this agent sent or got ended
	AttnConsult      = "consult"       // a consultation opened, got a line or ended
)

// Consultation is a consultation as the desk holds it.
type Consultation struct {
	ConsultationData
	Unread int // lines from the other agent since the desk last saw it (ReadConsultation)
}

// Invites returns the invitations offered to this agent, oldest expiry
// first.
func (d *Desk) Invites() []InviteData {
	out := make([]InviteData, 0, len(d.invites))
	for _, inv := range d.invites {
		out = append(out, inv)
	}
	slices.SortFunc(out, func(a, b InviteData) int { return a.Expiry.Compare(b.Expiry) })
	return out
}

// Consultations returns the open consultations, by id.
func (d *Desk) Consultations() []*Consultation {
	out := make([]*Consultation, 0, len(d.consults))
	for _, k := range d.consults {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b *Consultation) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ReadConsultation marks a consultation's lines read.
func (d *Desk) ReadConsultation(id string) {
	if k := d.consults[id]; k != nil {
		k.Unread = 0
	}
}

// applyParties applies a multi-party frame; ok is false for other types.
func (d *Desk) applyParties(e Envelope, now time.Time) (ns []Notice, ok bool, err error) {
	switch e.Type {
	case TypeInvite:
		var inv InviteData
		if err := e.Decode(&inv); err != nil {
			return nil, true, err
		}
		if inv.ID == "" {
			return nil, true, fmt.Errorf("session: invite without an id")
		}
		d.invites[inv.ID] = inv
		what := map[string]string{InviteTransfer: "to take", InviteConference: "to join", InviteConsult: "to consult about"}[inv.Kind]
		return []Notice{{Chat: inv.Chat.ID, Reason: AttnInvite, At: now, Deadline: inv.Expiry,
			Text: fmt.Sprintf("%s asks you %s the chat with %s", inv.From.Name, what, inv.Chat.Customer)}}, true, nil
	case TypeInviteResult:
		var r InviteResultData
		if err := e.Decode(&r); err != nil {
			return nil, true, err
		}
		delete(d.invites, r.ID)
		text := fmt.Sprintf("%s %s: %s", r.Kind, r.Chat, r.Status)
		if r.Reason != "" {
			text += " (" + r.Reason + ")"
		}
		return []Notice{{Chat: r.Chat, Reason: AttnInviteResult, At: now, Text: text}}, true, nil
	case TypeParties:
		c, err := d.chatOf(e)
		if err != nil {
			return nil, true, err
		}
		var p PartiesData
		if err := e.Decode(&p); err != nil {
			return nil, true, err
		}
		c.Parties = &p
		return nil, true, nil
	case TypeConsultation:
		var k ConsultationData
		if err := e.Decode(&k); err != nil {
			return nil, true, err
		}
		if k.State == ConsultEnded {
			delete(d.consults, k.ID)
			return []Notice{{Chat: k.Chat, Reason: AttnConsult, At: now, Text: "The consultation ended: " + k.Reason}}, true, nil
		}
		fresh := d.consults[k.ID] == nil
		d.consults[k.ID] = &Consultation{ConsultationData: k}
		if !fresh {
			return nil, true, nil
		}
		other := k.With // the consulted agent sees who asked
		if other.ID == d.Agent.ID {
			other = k.From
		}
		return []Notice{{Chat: k.Chat, Reason: AttnConsult, At: now, Text: fmt.Sprintf("Consultation with %s opened", other.Name)}}, true, nil
	case TypeConsultLine:
		k := d.consults[e.Chat]
		if k == nil {
			return nil, true, fmt.Errorf("%w: consultation %s", ErrUnknownChat, e.Chat)
		}
		var m MessageData
		if err := e.Decode(&m); err != nil {
			return nil, true, err
		}
		k.Lines = append(k.Lines, m)
		if m.Name != d.Agent.Name {
			k.Unread++
		}
		return nil, true, nil
	}
	return nil, false, nil
}
