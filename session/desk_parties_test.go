package session

import (
	"errors"
	"testing"
	"time"
)

func penv(t *testing.T, typ, chat string, data any) Envelope {
	t.Helper()
	e, err := NewEnvelope(typ, chat, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDeskMultiParty: the desk takes every multi-party frame without an
// error (issue 14): an invitation and its end, who is in a chat, a
// consultation, its lines and its end; a transfer away drops the chat.
func TestDeskMultiParty(t *testing.T) {
	d := NewDesk()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	steps := []Envelope{
		penv(t, TypeWelcome, "", WelcomeData{Agent: AgentInfo{ID: "ada", Name: "Ada Lovelace"}}),
		penv(t, TypeChat, "chat-1", ChatData{ID: "chat-1", Customer: "Carol", State: Connected}),
		penv(t, TypeInvite, "", InviteData{ID: "chat-2-conf-1", Kind: InviteConference, From: AgentRef{ID: "bob", Name: "Bob"}, Expiry: now.Add(time.Minute), Chat: ChatData{ID: "chat-2", Customer: "Dan"}}),
		penv(t, TypeParties, "chat-1", PartiesData{Owner: AgentRef{ID: "ada"}, Parties: []AgentRef{{ID: "grace"}}}),
		penv(t, TypeConsultation, "chat-1-consult-1", ConsultationData{ID: "chat-1-consult-1", Chat: "chat-1", With: AgentRef{ID: "bob", Name: "Bob"}, State: ConsultOpen}),
		penv(t, TypeConsultLine, "chat-1-consult-1", MessageData{ID: 1, From: FromAgent, Name: "Bob", Text: "yes"}),
	}
	var notices []Notice
	for _, e := range steps {
		ns, err := d.Apply(e, now)
		if err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		notices = append(notices, ns...)
	}
	if inv := d.Invites(); len(inv) != 1 || inv[0].ID != "chat-2-conf-1" {
		t.Fatalf("invites %+v", inv)
	}
	if c := d.Chat("chat-1"); c.Parties == nil || len(c.Parties.Parties) != 1 {
		t.Fatalf("parties %+v", c.Parties)
	}
	if ks := d.Consultations(); len(ks) != 1 || len(ks[0].Lines) != 1 || ks[0].Unread != 1 {
		t.Fatalf("consultations %+v", ks)
	}
	if !hasReason(notices, AttnInvite) || !hasReason(notices, AttnConsult) {
		t.Fatalf("notices %+v", notices)
	}
	for _, e := range []Envelope{
		penv(t, TypeInviteResult, "", InviteResultData{ID: "chat-2-conf-1", Kind: InviteConference, Chat: "chat-2", Status: InviteCancelled}),
		penv(t, TypeConsultation, "chat-1-consult-1", ConsultationData{ID: "chat-1-consult-1", Chat: "chat-1", State: ConsultEnded, Reason: "done"}),
		penv(t, TypeState, "chat-1", StateData{State: Done, Reason: EndTransferred}),
	} {
		if _, err := d.Apply(e, now); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}
	if len(d.Invites()) != 0 || len(d.Consultations()) != 0 || d.Chat("chat-1") != nil {
		t.Fatalf("after the ends: invites %d, consultations %d, chat %+v", len(d.Invites()), len(d.Consultations()), d.Chat("chat-1"))
	}
	if _, err := d.Apply(penv(t, TypeConsultLine, "nope", MessageData{Text: "x"}), now); !errors.Is(err, ErrUnknownChat) {
		t.Fatalf("a line of an unknown consultation: %v", err)
	}
	if _, err := d.Apply(Envelope{V: 1, Type: TypeInvite, Data: []byte(`{"id":`)}, now); err == nil {
		t.Fatal("a bad invite was taken")
	}
}
