package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestTransferToAgentAccepted_R_I7: Alan is offered Ada's chat with its
// transcript; he accepts: a line tells everyone, the chat leaves Ada
// (done, transferred), Alan has it whole, the customer is told who has it
// and talks to Alan only; the store has Alan as its owner.
func TestTransferToAgentAccepted_R_I7(t *testing.T) {
	s, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "alan", Text: "billing question"})
	inv := invited(alan)
	if inv.Kind != session.InviteTransfer || inv.From.ID != "ada" || inv.Chat.ID != chat || inv.Text != "billing question" ||
		!hasText(inv.Chat.Transcript, "my parcel is late") || inv.Expiry.IsZero() {
		t.Fatalf("R-I7: the target is offered the chat with its transcript: %+v", inv)
	}
	answer(alan, inv.ID, true, "")
	if r := inviteResult(ada); r.Status != session.InviteAccepted || r.Agent.ID != "alan" || r.Chat != chat {
		t.Fatalf("ada's result: %+v", r)
	}
	lineWith(ada, "Ada Lovelace transferred the chat to Alan Turing")
	if st := stateOf(ada, chat); st.State != session.Done || st.Reason != session.EndTransferred {
		t.Fatalf("R-I7: the chat leaves Ada: %+v", st)
	}
	snap, _ := expectData[session.ChatData](alan, session.TypeChat)
	if snap.State != session.Connected || !hasText(snap.Transcript, "transferred the chat to Alan Turing") ||
		!hasText(snap.Transcript, "my parcel is late") || snap.Recording == nil || partyIDs(snap.Parties)[0] != "alan" {
		t.Fatalf("alan's snapshot: %+v", snap)
	}
	lineWith(cust, "transferred the chat to Alan Turing")
	if in, _ := expectData[session.AgentInData](cust, session.TypeAgentIn); in.Name != "Alan Turing" {
		t.Fatalf("agent_in %+v", in)
	}
	talks(t, cust, session.TypeSend, chat, "are you there?", []*client{alan}, []*client{ada})
	talks(t, alan, session.TypeSend, chat, "Alan here", []*client{cust}, []*client{ada})
	ada.send(session.TypeSend, chat, session.SendData{Text: "still mine?"})
	refusedWith(ada, session.ErrCodeNotYours)

	s.j.sync()
	row, err := s.st.Chat(t.Context(), chat)
	if err != nil || row.Agent != "alan" || row.State != session.Connected {
		t.Fatalf("the store: agent %q state %v err %v", row.Agent, row.State, err)
	}
}

// TestTransferRejectedAndTimedOut_R_I7: a reject tells the sender who and
// why, a transfer nobody answers, to an agent or to a queue, runs out after
// timers.transfer_timeout;
// both times the sender keeps the chat and the customer is not told.
func TestTransferRejectedAndTimedOut_R_I7(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) { c.Timers.TransferTimeout = 300 * time.Millisecond }))
	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "alan"})
	answer(alan, invited(alan).ID, false, "in a meeting")
	r := inviteResult(ada)
	if r.Status != session.InviteRejected || r.Agent.ID != "alan" || r.Reason != "Alan Turing rejected it: in a meeting" {
		t.Fatalf("R-I7: the sender sees why: %+v", r)
	}
	talks(t, cust, session.TypeSend, chat, "hello again", []*client{ada}, []*client{alan})

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "alan"})
	inv := invited(alan) // an old desktop would ignore it: it runs out
	r = inviteResult(ada)
	if r.Status != session.InviteTimeout || r.ID != inv.ID || r.Reason == "" {
		t.Fatalf("R-I7: a transfer nobody answers runs out: %+v", r)
	}
	if r2 := inviteResult(alan); r2.Status != session.InviteTimeout {
		t.Fatalf("alan is told the invitation is gone: %+v", r2)
	}
	answer(alan, inv.ID, true, "")
	refusedWith(alan, session.ErrCodeNoSuchChat)
	// To a queue: its member does not answer either.
	ada.send(session.TypeTransfer, chat, session.InviteRequest{Queue: "billing"})
	qinv := invited(alan)
	if r := inviteResult(ada); r.Status != session.InviteTimeout || r.ID != qinv.ID {
		t.Fatalf("R-I7: a transfer to a queue nobody answers runs out: %+v", r)
	}
	inviteResult(alan)
	talks(t, ada, session.TypeSend, chat, "still with you", []*client{cust}, []*client{alan})
	drain(cust)
	for _, e := range cust.seen() {
		if (e.Type == session.TypeAgentIn && !strings.Contains(string(e.Data), "Ada Lovelace")) || e.Type == session.TypeInvite ||
			e.Type == session.TypeInviteResult || strings.Contains(string(e.Data), "Alan") {
			t.Fatalf("the customer was told of a transfer that did not happen: %s %s", e.Type, e.Data)
		}
	}
}

// TestTransferToQueue_R_I7: a transfer to a queue goes to its available
// members in turn: the first rejects, the next accepts; a queue whose
// members all reject, or with nobody available, tells the sender so.
func TestTransferToQueue_R_I7(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)
	bob, _ := agentLogin(t, base, "t-bob", true)

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Queue: "billing"})
	first := invited(alan) // longest idle
	if first.Queue != "billing" {
		t.Fatalf("invite %+v", first)
	}
	answer(alan, first.ID, false, "")
	second := invited(bob)
	if second.ID != first.ID {
		t.Fatalf("the queue's next member gets the same invitation: %s, want %s", second.ID, first.ID)
	}
	answer(bob, second.ID, false, "busy")
	if r := inviteResult(ada); r.Status != session.InviteRejected || r.Reason != "Bob Kahn rejected it: busy; nobody else in queue billing is available" {
		t.Fatalf("every member rejected: %+v", r)
	}

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Queue: "billing"})
	answer(alan, invited(alan).ID, false, "")
	answer(bob, invited(bob).ID, true, "")
	if r := inviteResult(ada); r.Status != session.InviteAccepted || r.Agent.ID != "bob" {
		t.Fatalf("result %+v", r)
	}
	if snap, _ := expectData[session.ChatData](bob, session.TypeChat); snap.Queue != "billing" || snap.State != session.Connected {
		t.Fatalf("the chat moves to the queue it was transferred to: %+v", snap)
	}
	cust.expect(session.TypeAgentIn)
	if st := stateOf(ada, chat); st.Reason != session.EndTransferred {
		t.Fatalf("ada %+v", st)
	}

	// Nobody available (ada, the only one serving general, is not
	// ready): an error at once, the owner keeps the chat.
	ada.send(session.TypeReady, "", session.ReadyData{Ready: false})
	ada.expect(session.TypeAgent)
	bob.send(session.TypeTransfer, chat, session.InviteRequest{Queue: "general"})
	if e := refusedWith(bob, session.ErrCodeUnavailable); e.Message == "" {
		t.Fatal("no words")
	}
}

// TestTransferBadRequests: every malformed or impossible transfer,
// conference or consultation is refused with a clear error frame, and
// the limits on pending invitations hold.
func TestTransferBadRequests(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) { c.Limits.MaxLineBytes = 1000 }))
	ada, _, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)
	grace, _ := agentLogin(t, base, "t-grace", false)
	for _, tc := range []struct {
		typ, chat string
		data      any
		code      string
	}{
		{session.TypeTransfer, chat, nil, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.InviteRequest{}, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.InviteRequest{Agent: "alan", Queue: "billing"}, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.InviteRequest{Agent: "nobody"}, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.InviteRequest{Agent: "ada"}, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.InviteRequest{Agent: "bob"}, session.ErrCodeUnavailable},   // offline
		{session.TypeTransfer, chat, session.InviteRequest{Agent: "grace"}, session.ErrCodeUnavailable}, // not ready
		{session.TypeTransfer, chat, session.InviteRequest{Queue: "nope"}, session.ErrCodeBadRequest},
		{session.TypeTransfer, "chat-99", session.InviteRequest{Agent: "alan"}, session.ErrCodeNoSuchChat},
		{session.TypeConference, chat, session.InviteRequest{Agent: "alan", Text: strings.Repeat("x", 2000)}, session.ErrCodeLineTooLong},
		{session.TypeRemove, chat, session.RemoveData{Agent: "alan"}, session.ErrCodeBadRequest},
		{session.TypeConsultSend, "chat-1-consult-9", session.SendData{Text: "x"}, session.ErrCodeNoSuchChat},
		{session.TypeConsultTo, chat, session.ConvertData{To: "transfer"}, session.ErrCodeNoSuchChat},
		{session.TypeAnswer, "", session.AnswerData{Invite: "chat-1-transfer-9", Accept: true}, session.ErrCodeNoSuchChat},
	} {
		ada.send(tc.typ, tc.chat, tc.data)
		if e, _ := expectData[session.ErrorData](ada, session.TypeError); e.Code != tc.code || e.Message == "" {
			t.Errorf("%s %+v: error %+v, want %s", tc.typ, tc.data, e, tc.code)
		}
	}
	// Alan may not act on Ada's chat.
	alan.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "grace"})
	refusedWith(alan, session.ErrCodeNotYours)
	// A second transfer while one is pending, and the invitation limit.
	ada.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "alan"})
	invited(alan)
	ada.send(session.TypeTransfer, chat, session.InviteRequest{Queue: "billing"})
	refusedWith(ada, session.ErrCodeBadState)
	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "alan"})
	refusedWith(ada, session.ErrCodeBadState) // alan has an invitation already
	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	invited(grace)
	bob, _ := agentLogin(t, base, "t-bob", false)
	ada.send(session.TypeConsult, chat, session.InviteRequest{Agent: "bob"})
	invited(bob)
	agentLogin(t, base, "t-grace", false) // grace's invitation follows her new login
	ada.send(session.TypeConsult, chat, session.InviteRequest{Agent: "alan"})
	refusedWith(ada, session.ErrCodeBadRequest) // three pending: the most
}
