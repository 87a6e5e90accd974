package hub

import (
	"slices"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestConferenceJoinRemoveReject_R_I8: an invited agent who accepts sees
// the whole transcript and every line after, a line says who joined, the
// customer and both agents hear each other; a reject puts a line in the
// transcript; the owner removes a party, who then hears nothing more.
func TestConferenceJoinRemoveReject_R_I8(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", false)
	alan, _ := agentLogin(t, base, "t-alan", false)

	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "alan"})
	answer(alan, invited(alan).ID, false, "")
	if r := inviteResult(ada); r.Status != session.InviteRejected {
		t.Fatalf("reject: %+v", r)
	}
	lineWith(cust, "Alan Turing did not join the chat (rejected)") // R-I8: on reject a line says so
	lineWith(ada, "Alan Turing did not join the chat (rejected)")

	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	inv := invited(grace)
	if inv.Kind != session.InviteConference || !hasText(inv.Chat.Transcript, "my parcel is late") {
		t.Fatalf("invite %+v", inv)
	}
	answer(grace, inv.ID, true, "")
	if r := inviteResult(ada); r.Status != session.InviteAccepted {
		t.Fatalf("accept: %+v", r)
	}
	snap, _ := expectData[session.ChatData](grace, session.TypeChat)
	if snap.State != session.Connected || !hasText(snap.Transcript, "my parcel is late") || !hasText(snap.Transcript, "Alan Turing did not join") ||
		!hasText(snap.Transcript, "Grace Hopper joined the chat") || !slices.Equal(partyIDs(snap.Parties), []string{"ada", "grace"}) {
		t.Fatalf("R-I8: the party sees the whole transcript: %q, parties %v", lineTexts(snap.Transcript), partyIDs(snap.Parties))
	}
	if snap.Recording == nil || snap.Recording.Buttons["record"].Enabled {
		t.Fatalf("a party has no recording buttons: %+v", snap.Recording)
	}
	lineWith(cust, "Grace Hopper joined the chat")
	if p, _ := expectData[session.PartiesData](ada, session.TypeParties); !slices.Equal(partyIDs(&p), []string{"ada", "grace"}) {
		t.Fatalf("parties %+v", p)
	}
	if at, _ := expectData[session.AttentionData](ada, session.TypeAttention); at.Reason != session.AttnPartyJoined {
		t.Fatalf("attention %+v", at)
	}
	talks(t, cust, session.TypeSend, chat, "hello both", []*client{ada, grace}, nil)
	talks(t, grace, session.TypeSend, chat, "Grace here", []*client{ada, cust}, nil)
	talks(t, ada, session.TypeSend, chat, "Ada here", []*client{grace, cust}, nil)
	// A party may not act for the owner.
	grace.send(session.TypeRecord, chat, session.RecordData{Button: "record"})
	refusedWith(grace, session.ErrCodeNotYours)
	grace.send(session.TypeRemove, chat, session.RemoveData{Agent: "ada"})
	refusedWith(grace, session.ErrCodeNotYours)

	ada.send(session.TypeRemove, chat, session.RemoveData{Agent: "grace"})
	if st := stateOf(grace, chat); st.State != session.Done || st.Reason != session.EndRemoved {
		t.Fatalf("the removed party: %+v", st)
	}
	lineWith(cust, "Ada Lovelace removed Grace Hopper from the chat")
	talks(t, cust, session.TypeSend, chat, "only Ada now", []*client{ada}, []*client{grace})
	grace.send(session.TypeSend, chat, session.SendData{Text: "still here?"})
	refusedWith(grace, session.ErrCodeNotYours)
}

// TestConferenceOwnerLeaves_R_I8: when the owner ends the chat with a
// party in it, the party owns it and the customer's chat goes on; a party
// who leaves is told, the others see a line.
func TestConferenceOwnerLeaves_R_I8(t *testing.T) {
	s, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", false)
	bob, _ := agentLogin(t, base, "t-bob", false)
	for _, c := range []*client{grace, bob} {
		ada.send(session.TypeConference, chat, session.InviteRequest{Agent: map[*client]string{grace: "grace", bob: "bob"}[c]})
		answer(c, invited(c).ID, true, "")
		inviteResult(ada)
		c.expect(session.TypeChat)
	}
	ada.send(session.TypeEnd, chat, nil)
	if st := stateOf(ada, chat); st.State != session.Done || st.Reason != session.EndLeft {
		t.Fatalf("the owner who ends with a party in the chat leaves it: %+v", st)
	}
	lineWith(cust, "Ada Lovelace left the chat; Grace Hopper has it now")
	if in, _ := expectData[session.AgentInData](cust, session.TypeAgentIn); in.Name != "Grace Hopper" {
		t.Fatalf("agent_in %+v", in)
	}
	cust.expectNone(session.TypeEnded)
	snap, _ := expectData[session.ChatData](grace, session.TypeChat)
	if snap.State != session.Connected || !slices.Equal(partyIDs(snap.Parties), []string{"grace", "bob"}) || snap.Recording == nil || !snap.Recording.Buttons["record"].Enabled {
		t.Fatalf("R-I8: ownership passes to the conferenced agent: parties %v, recording %+v", partyIDs(snap.Parties), snap.Recording)
	}
	talks(t, cust, session.TypeSend, chat, "the chat goes on", []*client{grace, bob}, []*client{ada})

	bob.send(session.TypeEnd, chat, nil) // a party leaves
	if st := stateOf(bob, chat); st.Reason != session.EndLeft {
		t.Fatalf("bob %+v", st)
	}
	lineWith(grace, "Bob Kahn left the chat")
	s.j.sync()
	row, err := s.st.Chat(t.Context(), chat)
	if err != nil || row.Agent != "grace" || row.State != session.Connected {
		t.Fatalf("the store: %q %v %v", row.Agent, row.State, err)
	}
	// With nobody else in it, the owner's end ends the chat.
	grace.send(session.TypeEnd, chat, nil)
	if st := stateOf(grace, chat); st.State != session.ACW {
		t.Fatalf("grace %+v", st)
	}
	cust.expect(session.TypeEnded)
}

// TestConferenceLimit: a conference holds at most maxParties agents
// besides its owner.
func TestConferenceLimit(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) {
		for _, id := range []string{"p1", "p2", "p3", "p4", "p5"} {
			c.Agents = append(c.Agents, AgentConfig{ID: id, Name: "Party " + id, Token: "t-" + id, Capacity: 1, Queues: []string{"general"}})
		}
	}))
	ada, _, chat := partyChat(t, base)
	for i, id := range []string{"p1", "p2", "p3", "p4"} {
		p, _ := agentLogin(t, base, "t-"+id, false)
		ada.send(session.TypeConference, chat, session.InviteRequest{Agent: id})
		answer(p, invited(p).ID, true, "")
		if r := inviteResult(ada); r.Status != session.InviteAccepted {
			t.Fatalf("party %d: %+v", i, r)
		}
	}
	agentLogin(t, base, "t-p5", false)
	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "p5"})
	refusedWith(ada, session.ErrCodeBadRequest)
}

// TestConferenceOwnerGone_R_I8: an owner whose connection does not come
// back within agent_grace leaves the chat to the conferenced agent
// instead of putting it back in the queue; the party sees the customer
// typing too.
func TestConferenceOwnerGone_R_I8(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) { c.Timers.AgentGrace = 300 * time.Millisecond }))
	ada, cust, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", false)
	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	answer(grace, invited(grace).ID, true, "")
	inviteResult(ada)
	grace.expect(session.TypeChat)
	cust.send(session.TypeTyping, chat, session.TypingData{Typing: true, Preview: "wh"})
	if td, _ := expectData[session.TypingData](grace, session.TypeTyping); !td.Typing || td.Preview != "wh" {
		t.Fatalf("the party sees the customer typing: %+v", td)
	}
	ada.conn.CloseNow()
	lineWith(cust, "Ada Lovelace left the chat; Grace Hopper has it now")
	if snap, _ := expectData[session.ChatData](grace, session.TypeChat); snap.State != session.Connected || partyIDs(snap.Parties)[0] != "grace" {
		t.Fatalf("grace's chat after ada's grace: %+v", snap)
	}
	cust.expectNone(session.TypeQueue)
	talks(t, cust, session.TypeSend, chat, "still there?", []*client{grace}, nil)
}
