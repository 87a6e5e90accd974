package hub

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// consultWith opens a consultation of ada's chat with target (an agent id
// or, with queue set, a queue) answered by c; it returns the consultation
// as ada sees it and as c sees it.
func consultWith(t *testing.T, ada, c *client, chat string, req session.InviteRequest) (session.ConsultationData, session.ConsultationData) {
	t.Helper()
	ada.send(session.TypeConsult, chat, req)
	inv := invited(c)
	if inv.Kind != session.InviteConsult || inv.Chat.ID != chat {
		t.Fatalf("consult invite %+v", inv)
	}
	answer(c, inv.ID, true, "")
	r := inviteResult(ada)
	if r.Status != session.InviteAccepted || r.Consult == "" {
		t.Fatalf("consult result %+v", r)
	}
	mine, _ := expectData[session.ConsultationData](ada, session.TypeConsultation)
	theirs, _ := expectData[session.ConsultationData](c, session.TypeConsultation)
	if mine.ID != r.Consult || theirs.ID != r.Consult {
		t.Fatalf("consultation ids %s %s, want %s", mine.ID, theirs.ID, r.Consult)
	}
	return mine, theirs
}

// TestConsultation_R_I9: a consultation with a skill (queue) goes to an
// available member, who sees the contact's transcript read-only; its
// lines go between the two agents only, never to the customer nor into
// the chat's transcript or the store's lines; ending it leaves the chat
// alone; ending the chat ends it.
func TestConsultation_R_I9(t *testing.T) {
	s, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	bob, _ := agentLogin(t, base, "t-bob", true) // billing's only available member besides ada

	mine, theirs := consultWith(t, ada, bob, chat, session.InviteRequest{Queue: "billing", Text: "is a refund possible?"})
	if !hasText(theirs.Contact, "my parcel is late") || len(mine.Contact) != 0 || theirs.From.ID != "ada" || theirs.With.ID != "bob" ||
		!hasText(theirs.Lines, "is a refund possible?") {
		t.Fatalf("R-I9: the consulted agent sees the contact's transcript: %+v (ada's: %+v)", theirs, mine)
	}
	id := mine.ID
	bob.send(session.TypeConsultSend, id, session.SendData{Text: "yes, up to 50 EUR"})
	if m, env := expectData[session.MessageData](ada, session.TypeConsultLine); env.Chat != id || m.Text != "yes, up to 50 EUR" || m.Name != "Bob Kahn" {
		t.Fatalf("consult line %+v", m)
	}
	ada.send(session.TypeConsultSend, id, session.SendData{Text: "thanks Bob"})
	expectData[session.MessageData](bob, session.TypeConsultLine)
	// The consulted agent reads the contact's chat; they do not write in it.
	bob.send(session.TypeSend, chat, session.SendData{Text: "bob in the chat"})
	refusedWith(bob, session.ErrCodeNotYours)

	ada.send(session.TypeConsultEnd, id, nil)
	for _, c := range []*client{ada, bob} {
		if d, _ := expectData[session.ConsultationData](c, session.TypeConsultation); d.State != session.ConsultEnded || d.Reason != "Ada Lovelace ended the consultation" {
			t.Fatalf("end: %+v", d)
		}
	}
	talks(t, cust, session.TypeSend, chat, "the chat goes on", []*client{ada}, []*client{bob})

	// A second consultation ends with the chat.
	again, _ := consultWith(t, ada, bob, chat, session.InviteRequest{Agent: "bob"})
	cust.send(session.TypeLeave, chat, nil)
	for _, c := range []*client{ada, bob} {
		if d, _ := expectData[session.ConsultationData](c, session.TypeConsultation); d.ID != again.ID || d.State != session.ConsultEnded {
			t.Fatalf("R-I9: ending the contact chat ends the consultation: %+v", d)
		}
	}
	// The customer never saw any of it (R-I9): every frame its socket got.
	drain(cust)
	if len(cust.seen()) < 8 {
		t.Fatalf("the customer's socket got only %d frames", len(cust.seen()))
	}
	for _, e := range cust.seen() {
		b := string(e.Data) + e.Chat + e.Type
		if strings.Contains(b, "consult") || strings.Contains(b, "refund") || strings.Contains(b, "50 EUR") || strings.Contains(b, "thanks Bob") || strings.Contains(b, "Bob Kahn") {
			t.Fatalf("R-I9: the customer saw the consultation: %s %s %s", e.Type, e.Chat, e.Data)
		}
	}
	s.j.sync()
	lc, err := s.st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range lc.Chats {
		for _, l := range c.Lines {
			if strings.Contains(l.Text, "refund") || strings.Contains(l.Text, "50 EUR") {
				t.Fatalf("a consultation line is in the chat's transcript: %+v", l)
			}
		}
	}
}

// TestConsultationBecomesTransfer_R_I9: one frame turns a consultation
// into a transfer to the consulted agent.
func TestConsultationBecomesTransfer_R_I9(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", false)
	k, _ := consultWith(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	alan.send(session.TypeConsultTo, k.ID, session.ConvertData{To: session.InviteTransfer})
	refusedWith(alan, session.ErrCodeNotYours) // only the owner converts it
	ada.send(session.TypeConsultTo, k.ID, session.ConvertData{To: "merge"})
	refusedWith(ada, session.ErrCodeBadRequest)
	ada.send(session.TypeConsultTo, k.ID, session.ConvertData{To: session.InviteTransfer})
	if d, _ := expectData[session.ConsultationData](alan, session.TypeConsultation); d.State != session.ConsultEnded || d.Reason != "it became a transfer" {
		t.Fatalf("consultation %+v", d)
	}
	if st := stateOf(ada, chat); st.Reason != session.EndTransferred {
		t.Fatalf("ada %+v", st)
	}
	if snap, _ := expectData[session.ChatData](alan, session.TypeChat); snap.State != session.Connected || partyIDs(snap.Parties)[0] != "alan" {
		t.Fatalf("alan's chat %+v", snap)
	}
	lineWith(cust, "Ada Lovelace transferred the chat to Alan Turing")
	talks(t, cust, session.TypeSend, chat, "hi Alan", []*client{alan}, []*client{ada})
}

// TestConsultationBecomesConference_R_I9: one frame turns a consultation
// into a conference: the consulted agent joins the chat.
func TestConsultationBecomesConference_R_I9(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", true)
	k, _ := consultWith(t, ada, grace, chat, session.InviteRequest{Queue: "general"})
	ada.send(session.TypeConsultTo, k.ID, session.ConvertData{To: session.InviteConference})
	if d, _ := expectData[session.ConsultationData](grace, session.TypeConsultation); d.Reason != "it became a conference" {
		t.Fatalf("consultation %+v", d)
	}
	if snap, _ := expectData[session.ChatData](grace, session.TypeChat); snap.State != session.Connected || len(partyIDs(snap.Parties)) != 2 {
		t.Fatalf("grace's chat %+v", snap)
	}
	lineWith(cust, "Grace Hopper joined the chat")
	talks(t, cust, session.TypeSend, chat, "hello both", []*client{ada, grace}, nil)
	ada.send(session.TypeConsultSend, k.ID, session.SendData{Text: "gone?"})
	refusedWith(ada, session.ErrCodeNoSuchChat)
}
