package hubclient

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// TestRealHubConsultAndTransfer: through the client calls on a real hub,
// Ada reads the directory, consults Grace, Grace accepts and answers, and
// Ada turns the consultation into a transfer (issue 14).
func TestRealHubConsultAndTransfer(t *testing.T) {
	r := startRealHub(t, "127.0.0.1:0")
	ctx := t.Context()
	ada := Dial(ctx, r.url(), "demo-token-ada")
	defer ada.Close()
	grace := Dial(ctx, r.url(), "demo-token-grace")
	defer grace.Close()
	for _, c := range []*Client{ada, grace} {
		waitFor(t, c, "welcome", isFrame(session.TypeWelcome))
		if err := c.sendFrame(ctx, session.TypeReady, "", session.ReadyData{Ready: true}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, c, "ready", isFrame(session.TypeAgent))
	}
	d, err := ada.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(d.Agents, func(a session.DirectoryAgent) bool { return a.ID == "grace" }); i < 0 || !d.Agents[i].Available {
		t.Fatalf("directory %+v", d)
	}
	chat := joinAndAccept(t, r, ada)
	if err := ada.Consult(ctx, chat, session.InviteRequest{Agent: "grace", Text: "a word?"}); err != nil {
		t.Fatal(err)
	}
	var inv session.InviteData
	if err := waitFor(t, grace, "invite", isFrame(session.TypeInvite)).Envelope.Decode(&inv); err != nil {
		t.Fatal(err)
	}
	if err := grace.Answer(ctx, inv.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	var k session.ConsultationData
	if err := waitFor(t, ada, "consultation", isFrame(session.TypeConsultation)).Envelope.Decode(&k); err != nil {
		t.Fatal(err)
	}
	if err := grace.ConsultSend(ctx, k.ID, "sure"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ada, "consult line", isFrame(session.TypeConsultLine))
	if err := ada.ConsultTo(ctx, k.ID, session.InviteTransfer); err != nil {
		t.Fatal(err)
	}
	var st session.StateData
	if err := waitFor(t, ada, "state", isFrame(session.TypeState)).Envelope.Decode(&st); err != nil || st.Reason != session.EndTransferred {
		t.Fatalf("ada after the transfer: %+v %v", st, err)
	}
}

// joinAndAccept connects a customer to the hub and has ada accept the
// offer; the customer's socket stays open until the test ends.
func joinAndAccept(t *testing.T, r *realHub, ada *Client) string {
	t.Helper()
	ctx := t.Context()
	conn, _, err := websocket.Dial(ctx, "ws://"+r.addr+"/v1/customer", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	go func() { // read, so the hub's frames to the customer flow
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
		}
	}()
	b, _ := json.Marshal(session.Envelope{V: 1, Type: session.TypeJoin, Data: json.RawMessage(`{"name":"Carol","queue":"general"}`)})
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	off := waitFor(t, ada, "offer", isFrame(session.TypeOffer)).Envelope
	if err := ada.sendFrame(ctx, session.TypeAccept, off.Chat, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ada, "chat", isFrame(session.TypeChat))
	return off.Chat
}
