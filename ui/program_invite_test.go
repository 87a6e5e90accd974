package ui

import (
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// The invitation flow in a real tea.Program (R-I7, R-I9): an invitation
// to consult arrives through the event pump, A (raw bytes) accepts it, the
// consultation opens by itself and enter sends a line of it; a transfer
// invitation is then rejected with f6 as a terminal sends it.
func TestProgramInvitation_R_I9(t *testing.T) {
	h := newFakeHub()
	lp := startProgram(t, h, true)
	keys, done, waitScreen := lp.keys, lp.done, lp.waitScreen
	pushAny := func(typ, chat string, data any) {
		e := frame_(t, typ, chat, data)
		h.ev <- session.LinkEvent{Envelope: &e}
	}
	write := func(s string) {
		t.Helper()
		if _, err := keys.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	h.ev <- session.LinkEvent{Status: &session.LinkStatus{State: session.LinkUp}}
	pushAny(session.TypeWelcome, "", session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace"}, Settings: settings(), Ready: true})
	pushAny(session.TypeInvite, "", invitation(session.InviteConsult, 20*time.Second))
	waitScreen("Grace Hopper asks to consult you about the chat with Carol King")

	write("A")
	awaitSend(t, h, 1)
	if a := decode[session.AnswerData](t, h.last(t)); h.last(t).Type != session.TypeAnswer || !a.Accept || a.Invite != "carol-consult-1" {
		t.Fatalf("A sent %s %+v", h.last(t).Type, a)
	}
	pushAny(session.TypeConsultation, "carol-consult-1", session.ConsultationData{ID: "carol-consult-1", Chat: "carol", State: session.ConsultOpen,
		From: session.AgentRef{ID: "grace", Name: "Grace Hopper"}, With: session.AgentRef{ID: "ada", Name: "Ada Lovelace"},
		Contact: []session.MessageData{line(1, session.FromCustomer, "Carol King", "I was charged twice", now)}})
	waitScreen("the contact's chat, read-only")
	waitScreen("Carol King: I was charged twice")

	write("yes, refund it\r")
	awaitSend(t, h, 2)
	if e := h.last(t); e.Type != session.TypeConsultSend || decode[session.SendData](t, e).Text != "yes, refund it" {
		t.Fatalf("enter sent %s %+v", e.Type, decode[session.SendData](t, e))
	}

	tr := invitation(session.InviteTransfer, 20*time.Second)
	tr.ID = "dora-transfer-1"
	pushAny(session.TypeInvite, "", tr)
	waitScreen("Grace Hopper transfers the chat with Carol King to you")
	write("\x1b[17~") // f6 as a terminal sends it: it answers from the consultation view too
	awaitSend(t, h, 3)
	if a := decode[session.AnswerData](t, h.last(t)); a.Accept || a.Invite != "dora-transfer-1" {
		t.Fatalf("f6 sent %+v, want a reject of dora-transfer-1", a)
	}
	write("\x03")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("program ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ctrl+c did not quit")
	}
}
