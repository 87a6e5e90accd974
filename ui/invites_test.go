package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

func invitation(kind string, expiry time.Duration) session.InviteData {
	return session.InviteData{ID: "carol-" + kind + "-1", Kind: kind, From: session.AgentRef{ID: "grace", Name: "Grace Hopper"},
		Text: "billing question", Expiry: now.Add(expiry),
		Chat: session.ChatData{ID: "carol", Customer: "Carol King", Queue: "billing", State: session.Connected,
			Transcript: []session.MessageData{line(1, session.FromCustomer, "Carol King", "I was charged twice", now.Add(-time.Minute))}}}
}

// R-I7: an invitation shows who asks, what for and its countdown; A
// accepts it (answer{accept}), and it leaves the bar.
func TestInvitationAccept_R_I7(t *testing.T) {
	m, h, clock := newModel(t)
	welcomeDesk(t, m)
	feed(t, m, frame_(t, session.TypeInvite, "", invitation(session.InviteTransfer, 20*time.Second)))
	s := plain(t, m)
	if !strings.Contains(s, "⇄ 00:20 Grace Hopper transfers the chat with Carol King to you: “billing") ||
		!strings.Contains(s, "[A Accept] [X Reject]") {
		t.Fatalf("the invitation line is not shown:\n%s", s)
	}
	if m.status != "! Grace Hopper asks you to take the chat with Carol King: A accepts, X rejects" {
		t.Errorf("status %q", m.status)
	}
	// I shows the chat offered, read-only, before the answer (R-I7: with its transcript)
	press(t, m, "I")
	if s := plain(t, m); !strings.Contains(s, "the chat with Carol King") || !strings.Contains(s, "Carol King: I was charged twice") ||
		!strings.Contains(s, "read-only until you accept") {
		t.Errorf("I does not show the invitation's chat:\n%s", s)
	}
	*clock = now.Add(5 * time.Second)
	if !strings.Contains(plain(t, m), "⇄ 00:15 Grace Hopper") {
		t.Error("the countdown does not run")
	}
	h.reset()
	press(t, m, "A")
	a := decode[session.AnswerData](t, h.last(t))
	if h.last(t).Type != session.TypeAnswer || a.Invite != "carol-transfer-1" || !a.Accept {
		t.Errorf("A sent %s %+v, want answer accept carol-transfer-1", h.last(t).Type, a)
	}
	if s := plain(t, m); strings.Contains(s, "[A Accept]") || strings.Contains(s, "read-only until you accept") {
		t.Error("the answered invitation is still shown")
	}
}

// R-I8: X (or f6, from the message box) rejects; a run-out invitation
// leaves the bar by itself, and its withdrawal is said.
func TestInvitationRejectAndTimeout_R_I8(t *testing.T) {
	m, h, clock := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	press(t, m, "enter") // the message box: single keys are text there
	feed(t, m, frame_(t, session.TypeInvite, "", invitation(session.InviteConference, 20*time.Second)))
	if !strings.Contains(plain(t, m), "Grace Hopper invites you into the chat with Carol King") {
		t.Fatal("the conference invitation is not shown")
	}
	h.reset()
	press(t, m, "X")
	if len(h.types()) != 1 || h.types()[0] != session.TypeTyping+":bob" {
		t.Errorf("X in the message box sent %v, want only typing (it is text there)", h.types())
	}
	press(t, m, "f6")
	if a := decode[session.AnswerData](t, h.last(t)); a.Accept || a.Invite != "carol-conference-1" {
		t.Errorf("f6 sent %+v, want a reject", a)
	}
	feed(t, m, frame_(t, session.TypeInvite, "", invitation(session.InviteConsult, 10*time.Second)))
	*clock = now.Add(11 * time.Second)
	if strings.Contains(plain(t, m), "asks to consult you") {
		t.Error("a run-out invitation is still offered")
	}
	feed(t, m, frame_(t, session.TypeInviteResult, "", session.InviteResultData{ID: "carol-consult-1", Kind: session.InviteConsult, Chat: "carol", Status: session.InviteTimeout}))
	if !strings.Contains(m.status, "The consultation invitation is gone: it ran out") {
		t.Errorf("status %q", m.status)
	}
}

// R-I8, R-C8: a conference shows its parties and who listens; the owner
// removes a party by number.
func TestConferenceParties_R_I8_R_C8(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	feed(t, m, frame_(t, session.TypeParties, "bob", session.PartiesData{
		Owner:     session.AgentRef{ID: "ada", Name: "Ada Lovelace"},
		Parties:   []session.AgentRef{{ID: "grace", Name: "Grace Hopper"}, {ID: "alan", Name: "Alan Turing"}},
		Listening: []session.AgentRef{{ID: "sue", Name: "Sue Supervisor"}},
	}))
	feed(t, m, frame_(t, session.TypeInvite, "", invitation(session.InviteConsult, 20*time.Second)))
	golden(t, m, "conference")
	s := plain(t, m)
	if !strings.Contains(s, "In the chat: Ada Lovelace (you) owner · Grace Hopper") {
		t.Errorf("the parties line is not shown:\n%s", s)
	}
	if !strings.Contains(s, "listening: Sue Supervisor") {
		t.Errorf("who listens (R-C8) is not shown:\n%s", s)
	}
	h.reset()
	press(t, m, "R")
	if !strings.Contains(plain(t, m), "Remove whom from the chat? 1 Grace Hopper · 2 Alan Turing · esc cancels") {
		t.Fatalf("R does not ask whom:\n%s", plain(t, m))
	}
	press(t, m, "2")
	e := h.last(t)
	if r := decode[session.RemoveData](t, e); e.Type != session.TypeRemove || e.Chat != "bob" || r.Agent != "alan" {
		t.Errorf("sent %s %s %+v, want remove alan from bob", e.Type, e.Chat, r)
	}
	// a party (not the owner) cannot remove
	feed(t, m, frame_(t, session.TypeParties, "bob", session.PartiesData{
		Owner: session.AgentRef{ID: "grace", Name: "Grace Hopper"}, Parties: []session.AgentRef{{ID: "ada", Name: "Ada Lovelace"}}}))
	press(t, m, "R")
	if m.removing != "" || !strings.Contains(m.status, "only the chat's owner (Grace Hopper)") {
		t.Errorf("a party was asked whom to remove (status %q)", m.status)
	}
	// removed by the owner: the chat leaves, and the status line says why
	feed(t, m, frame_(t, session.TypeState, "bob", session.StateData{State: session.Done, Reason: session.EndRemoved}))
	if m.desk.Chat("bob") != nil || !strings.Contains(m.status, "you were removed from the chat with Bob Marsh by its owner") {
		t.Errorf("removal not said (status %q)", m.status)
	}
}

// R-I9: a consultation is its own view: the contact's transcript
// read-only, the agents' lines, enter sends consult_send, f7 makes it a
// transfer, ^E ends it; the consulted agent cannot convert it.
func TestConsultationView_R_I9(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	k := session.ConsultationData{ID: "bob-consult-1", Chat: "bob", State: session.ConsultOpen,
		From: session.AgentRef{ID: "ada", Name: "Ada Lovelace"}, With: session.AgentRef{ID: "grace", Name: "Grace Hopper"}}
	feed(t, m, frame_(t, session.TypeConsultation, "bob-consult-1", k),
		frame_(t, session.TypeConsultLine, "bob-consult-1", line(1, session.FromAgent, "Grace Hopper", "a refund up to 50 EUR is fine", now)))
	if !strings.Contains(plain(t, m), "✉ Consultation with Grace Hopper · 1 unread [C Open]") {
		t.Fatalf("the consultation is not announced:\n%s", plain(t, m))
	}
	press(t, m, "C")
	s := plain(t, m)
	for _, want := range []string{"Consultation with Grace Hopper about the chat with Bob Marsh · the customer does not see it",
		"the contact's chat, read-only", "Bob Marsh: Thanks. Will the refund take long?", "between you",
		"Grace Hopper: a refund up to 50 EUR is fine", "f7 make it a transfer"} {
		if !strings.Contains(s, want) {
			t.Errorf("the consultation view lacks %q", want)
		}
	}
	h.reset()
	press(t, m, "t:thanks", "enter")
	e := h.last(t)
	if d := decode[session.SendData](t, e); e.Type != session.TypeConsultSend || e.Chat != "bob-consult-1" || d.Text != "thanks" {
		t.Errorf("enter sent %s %s %+v", e.Type, e.Chat, d)
	}
	press(t, m, "f7")
	e = h.last(t)
	if d := decode[session.ConvertData](t, e); e.Type != session.TypeConsultTo || d.To != session.InviteTransfer {
		t.Errorf("f7 sent %s %+v, want consult_to transfer", e.Type, d)
	}
	press(t, m, "ctrl+e")
	if e = h.last(t); e.Type != session.TypeConsultEnd || e.Chat != "bob-consult-1" {
		t.Errorf("^E sent %s %s, want consult_end", e.Type, e.Chat)
	}
	if m.desk.Chat("bob").State != session.Connected {
		t.Error("ending the consultation touched the chat")
	}
	k.State, k.Reason = session.ConsultEnded, "Ada Lovelace ended it"
	feed(t, m, frame_(t, session.TypeConsultation, "bob-consult-1", k))
	if m.consult.shown || strings.Contains(plain(t, m), "between you") {
		t.Error("the consultation view stayed after the consultation ended")
	}
	// the consulted side: the contact's transcript comes with it; no f7
	m2, h2, _ := newModel(t)
	feed(t, m2, frame_(t, session.TypeWelcome, "", session.WelcomeData{Agent: session.AgentInfo{ID: "grace", Name: "Grace Hopper", Capacity: 3}, Settings: settings()}))
	feed(t, m2, frame_(t, session.TypeInvite, "", invitation(session.InviteConsult, 20*time.Second)))
	press(t, m2, "A")
	k2 := session.ConsultationData{ID: "carol-consult-1", Chat: "carol", State: session.ConsultOpen,
		From: session.AgentRef{ID: "ada", Name: "Ada Lovelace"}, With: session.AgentRef{ID: "grace", Name: "Grace Hopper"},
		Contact: []session.MessageData{line(1, session.FromCustomer, "Carol King", "I was charged twice", now)}}
	feed(t, m2, frame_(t, session.TypeConsultation, "carol-consult-1", k2))
	if s := plain(t, m2); !m2.consult.shown || !strings.Contains(s, "Carol King: I was charged twice") ||
		!strings.Contains(s, "Consultation with Ada Lovelace about the chat with Carol King") || strings.Contains(s, "f7") {
		t.Fatalf("the accepted consultation is not shown with the contact's transcript:\n%s", plain(t, m2))
	}
	if !strings.Contains(m2.status, "Consultation with Ada Lovelace opened") {
		t.Errorf("the consulted agent is told %q, want who asked", m2.status)
	}
	h2.reset()
	press(t, m2, "f8")
	if len(h2.types()) != 0 || !strings.Contains(m2.status, "only Ada Lovelace, who owns the chat") {
		t.Errorf("the consulted agent could convert (sent %v, status %q)", h2.types(), m2.status)
	}
}
