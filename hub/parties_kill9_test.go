package hub

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestKill9AfterTransfer_X_3: a real chathub is killed with kill -9 right
// after a transfer, a conference join and a consultation line were
// acknowledged; the restarted hub has them all: the new owner has the
// chat with its parties, the old owner does not, the consultation is
// there with its line, and the chat goes on.
func TestKill9AfterTransfer_X_3(t *testing.T) {
	bin := buildChathub(t)
	yaml := strings.Replace(testYAML, "  - {id: alan, name: Alan Turing, token: t-alan, capacity: 1, queues: [billing]}\n",
		"  - {id: alan, name: Alan Turing, token: t-alan, capacity: 1, queues: [billing]}\n"+
			"  - {id: bob, name: Bob Kahn, token: t-bob, capacity: 2, queues: [billing]}\n", 1)
	if yaml == testYAML {
		t.Fatal("the test config has no alan line to add bob after")
	}
	h := newHubProcYAML(t, bin, t.TempDir(), yaml)
	h.start("127.0.0.1:0")
	base := "ws" + strings.TrimPrefix(h.base(), "http")

	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)
	grace, _ := agentLogin(t, base, "t-grace", false)
	bob, _ := agentLogin(t, base, "t-bob", false)
	transferTo(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	alan.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	answer(grace, invited(grace).ID, true, "")
	inviteResult(alan)
	grace.expect(session.TypeChat)
	k, _ := consultWith(t, alan, bob, chat, session.InviteRequest{Agent: "bob"})
	bob.send(session.TypeConsultSend, k.ID, session.SendData{Text: "acknowledged advice"})
	if m, _ := expectData[session.MessageData](alan, session.TypeConsultLine); m.Text != "acknowledged advice" {
		t.Fatalf("consult line %+v", m)
	}

	h.kill() // kill -9: nothing is flushed at exit
	for _, c := range []*client{ada, alan, grace, bob, cust} {
		<-c.done
	}
	h.start(h.addr)

	alan2, w := agentLogin(t, base, "t-alan", false)
	if len(w.Chats) != 1 || w.Chats[0].ID != chat {
		t.Fatalf("X-3: the acknowledged transfer was lost: %+v", w.Chats)
	}
	snap, _ := expectData[session.ChatData](alan2, session.TypeChat)
	if !slices.Equal(partyIDs(snap.Parties), []string{"alan", "grace"}) {
		t.Fatalf("X-3: the conference after kill -9: %v", partyIDs(snap.Parties))
	}
	if kd, _ := expectData[session.ConsultationData](alan2, session.TypeConsultation); kd.ID != k.ID || !hasText(kd.Lines, "acknowledged advice") {
		t.Fatalf("X-3: the consultation after kill -9: %+v", kd)
	}
	if _, w := agentLogin(t, base, "t-ada", false); len(w.Chats) != 0 {
		t.Fatalf("ada has the chat again: %+v", w.Chats)
	}
	grace2, _ := agentLogin(t, base, "t-grace", false)
	grace2.expect(session.TypeChat)
	grace2.send(session.TypeSend, chat, session.SendData{Text: "after the kill"})
	lineWith(alan2, "after the kill")
}
