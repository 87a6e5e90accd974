package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// outgoing is an invitation this agent sent from a chat (a transfer, a
// conference or a consultation) and how it stands, in words for the
// pane: waiting, accepted, rejected, timed out (issue 14 point 2).
type outgoing struct {
	kind   string // session.Invite*
	target string // whom it went to, as a sentence names them
	at     time.Time
	status string // "" while pending, else session.Invite*
	reason string
	who    string // who answered
	until  time.Time
}

// outgoingKeep is how long an answered invitation stays in the pane.
const outgoingKeep = 30 * time.Second

func kindWord(kind string) string {
	switch kind {
	case session.InviteTransfer:
		return "Transfer"
	case session.InviteConference:
		return "Conference"
	case session.InviteConsult:
		return "Consultation"
	}
	return "Invitation"
}

// outgoingSent notes an invitation sent from chat.
func (m *Model) outgoingSent(chat, kind, target string) {
	if m.outgoing == nil {
		m.outgoing = map[string][]*outgoing{}
	}
	m.outgoing[chat] = append(m.outgoing[chat], &outgoing{kind: kind, target: target, at: m.now()})
}

// inviteResult applies an invite_result to what this agent sent: the
// oldest pending invitation of its kind in the chat. It returns the
// result in words for the status line ("" when it was not ours).
func (m *Model) inviteResult(e *session.Envelope) (words string, bad bool) {
	if e == nil || e.Type != session.TypeInviteResult {
		return "", false
	}
	var r session.InviteResultData
	if e.Decode(&r) != nil {
		return "", false
	}
	var o *outgoing
	for _, x := range m.outgoing[r.Chat] {
		if x.status == "" && x.kind == r.Kind {
			o = x
			break
		}
	}
	if o == nil {
		if m.desk.Chat(r.Chat) == nil || r.Status != session.InviteCancelled && r.Status != session.InviteTimeout {
			// an invitation to this agent that was withdrawn
			return invitationGone(r), false
		}
		o = &outgoing{kind: r.Kind, target: "the agent"}
		m.outgoing[r.Chat] = append(m.outgoing[r.Chat], o)
	}
	o.status, o.reason, o.who, o.until = r.Status, r.Reason, r.Agent.Name, m.now().Add(outgoingKeep)
	return o.words(m.now()), r.Status != session.InviteAccepted
}

// invitationGone says that an invitation to this agent was withdrawn.
func invitationGone(r session.InviteResultData) string {
	why := "it was withdrawn"
	if r.Status == session.InviteTimeout {
		why = "it ran out"
	}
	if r.Reason != "" {
		why += " (" + oneLine(r.Reason) + ")"
	}
	return "The " + lowerKind(r.Kind) + " invitation is gone: " + why
}

func lowerKind(kind string) string {
	switch kind {
	case session.InviteConsult:
		return "consultation"
	case "":
		return ""
	}
	return kind
}

// words says how the invitation stands.
func (o *outgoing) words(now time.Time) string {
	who := o.target
	if o.who != "" {
		who = oneLine(o.who)
	}
	to := " to "
	if o.kind == session.InviteConsult {
		to = " with "
	}
	s := kindWord(o.kind) + to + who + ": "
	switch o.status {
	case "":
		s += fmt.Sprintf("waiting for an answer (%s)", mmss(now.Sub(o.at)))
	case session.InviteAccepted:
		s += "accepted"
	case session.InviteRejected:
		s += "rejected"
	case session.InviteTimeout:
		s += "no answer in time"
	case session.InviteCancelled:
		s += "withdrawn"
	case session.InviteFailed:
		s += "nobody could take it"
	default:
		s += oneLine(o.status)
	}
	// a reason that only says the status again ("Grace Hopper rejected it") is left out
	if r := oneLine(o.reason); r != "" && !(o.status == session.InviteRejected && strings.Contains(r, "rejected")) {
		s += " — " + r
	}
	return s
}

// outgoingOf returns what the pane shows of chat's invitations: the
// pending ones and the answered ones for a while.
func (m *Model) outgoingOf(chat string, now time.Time) []*outgoing {
	var out, keep []*outgoing
	for _, o := range m.outgoing[chat] {
		if o.status != "" && now.After(o.until) {
			continue
		}
		keep = append(keep, o)
		out = append(out, o)
	}
	if len(keep) == 0 {
		delete(m.outgoing, chat)
	} else {
		m.outgoing[chat] = keep
	}
	return out
}
