package hub

import (
	"slices"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestPartiesSurviveRestart_X_3: an acknowledged transfer, a conference
// party and a pending invitation are in the store: after a restart the
// new owner has the chat, the party is back in it, the invited agent is
// offered the same invitation, and it runs out at its stored expiry, not
// a whole transfer_timeout after the restart.
func TestPartiesSurviveRestart_X_3(t *testing.T) {
	clk := newFakeClock()
	r := newRestartable(t, clk, partyConfig(func(c *Config) { c.Timers.TransferTimeout = 10 * time.Second }))
	ada, cust, chat := partyChat(t, r.base)
	alan, _ := agentLogin(t, r.base, "t-alan", true)
	grace, _ := agentLogin(t, r.base, "t-grace", false)
	bob, _ := agentLogin(t, r.base, "t-bob", false)

	ada.send(session.TypeTransfer, chat, session.InviteRequest{Agent: "alan"})
	answer(alan, invited(alan).ID, true, "")
	if res := inviteResult(ada); res.Status != session.InviteAccepted {
		t.Fatalf("transfer: %+v", res)
	}
	alan.expect(session.TypeChat)
	alan.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	answer(grace, invited(grace).ID, true, "")
	inviteResult(alan)
	grace.expect(session.TypeChat)
	alan.send(session.TypeConference, chat, session.InviteRequest{Agent: "bob"})
	pending := invited(bob)
	clk.Advance(4 * time.Second)

	r.restart()
	for _, c := range []*client{ada, alan, grace, bob, cust} {
		<-c.done
	}
	alan2, w := agentLogin(t, r.base, "t-alan", false)
	if len(w.Chats) != 1 || w.Chats[0].ID != chat || w.Chats[0].State != session.Connected {
		t.Fatalf("X-3: the acknowledged transfer is lost: alan's chats %+v", w.Chats)
	}
	if snap, _ := expectData[session.ChatData](alan2, session.TypeChat); !slices.Equal(partyIDs(snap.Parties), []string{"alan", "grace"}) ||
		!hasText(snap.Transcript, "transferred the chat to Alan Turing") || !hasText(snap.Transcript, "Grace Hopper joined the chat") {
		t.Fatalf("after the restart: parties %v, transcript %q", partyIDs(snap.Parties), lineTexts(snap.Transcript))
	}
	if _, w := agentLogin(t, r.base, "t-ada", false); len(w.Chats) != 0 {
		t.Fatalf("ada has the transferred chat again: %+v", w.Chats)
	}
	grace2, _ := agentLogin(t, r.base, "t-grace", false)
	if snap, _ := expectData[session.ChatData](grace2, session.TypeChat); snap.ID != chat || snap.Recording == nil || snap.Recording.Buttons["record"].Enabled {
		t.Fatalf("grace is back in the conference without the owner's buttons: %+v", snap)
	}
	bob2, _ := agentLogin(t, r.base, "t-bob", false)
	if again := invited(bob2); again.ID != pending.ID || !again.Expiry.Equal(pending.Expiry) {
		t.Fatalf("the pending invitation after the restart: %+v, want %s until %v", again, pending.ID, pending.Expiry)
	}
	clk.Advance(5 * time.Second) // 9s of 10: still open
	bob2.expectNone(session.TypeInviteResult)
	clk.Advance(2 * time.Second)
	if res := inviteResult(alan2); res.Status != session.InviteTimeout || res.ID != pending.ID {
		t.Fatalf("the invitation did not run out at its stored expiry: %+v", res)
	}
	grace2.send(session.TypeSend, chat, session.SendData{Text: "grace after the restart"})
	lineWith(alan2, "grace after the restart")
}
