package hub

import (
	"github.com/coder/websocket"
	"strings"

	"net/http"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// connected starts a hub with mutate, logs Grace in ready and connects one
// customer chat.
func connected(t *testing.T, mutate func(*Config), j session.JoinData) (*Server, string, *client, *client, session.JoinedData) {
	t.Helper()
	s, base := startHub(t, mutate)
	g, _ := agentLogin(t, base, "t-grace", true)
	if j.Name == "" {
		j.Name = "Carol"
	}
	cust, joined := customerJoin(t, base, j)
	connect(t, g, cust, joined.Chat)
	lineWith(g, "joined the chat")
	return s, base, g, cust, joined
}

func TestMessagesBothWaysAndPushURL_R_I5(t *testing.T) {
	_, _, g, cust, joined := connected(t, nil, session.JoinData{})
	chat := joined.Chat
	cust.send(session.TypeSend, chat, session.SendData{Text: "hello"})
	m := lineWith(g, "hello")
	if m.From != session.FromCustomer || m.Name != "Carol" || m.At.IsZero() {
		t.Fatalf("agent got %+v", m)
	}
	if echo := lineWith(cust, "hello"); echo.ID != m.ID {
		t.Fatal("customer echo differs")
	}
	g.send(session.TypeSend, chat, session.SendData{Text: "hi Carol"})
	a := lineWith(cust, "hi Carol")
	if a.From != session.FromAgent || a.ID <= m.ID {
		t.Fatalf("agent line %+v after %d", a, m.ID)
	}
	g.send(session.TypePushURL, chat, session.PushURLData{URL: "https://example.com/help?a=1"})
	u := lineWith(cust, "Please navigate to the link: https://example.com/help?a=1")
	if u.URL != "https://example.com/help?a=1" {
		t.Fatalf("url line %+v", u)
	}
	g.send(session.TypePushURL, chat, session.PushURLData{URL: "javascript:alert(1)"})
	if e, _ := expectData[session.ErrorData](g, session.TypeError); e.Code != session.ErrCodeBadRequest {
		t.Fatalf("error %+v", e)
	}
}

func TestTypingPreviewOnlyToAgent_R_I3(t *testing.T) {
	_, _, g, cust, joined := connected(t, nil, session.JoinData{})
	chat := joined.Chat
	cust.send(session.TypeTyping, chat, session.TypingData{Typing: true, Preview: "my ord"})
	if d, _ := expectData[session.TypingData](g, session.TypeTyping); !d.Typing || d.Preview != "my ord" {
		t.Fatalf("agent typing %+v", d)
	}
	g.send(session.TypeTyping, chat, session.TypingData{Typing: true, Preview: "secret"})
	if d, _ := expectData[session.TypingData](cust, session.TypeTyping); !d.Typing || d.Preview != "" {
		t.Fatalf("customer typing %+v", d)
	}
}

func TestACWTimerEndsInDone_R_I1(t *testing.T) {
	_, _, g, cust, joined := connected(t, func(c *Config) { c.Timers.ACW = 40 * time.Millisecond }, session.JoinData{})
	chat := joined.Chat
	g.send(session.TypeEnd, chat, nil)
	st, _ := expectData[session.StateData](g, session.TypeState)
	if st.State != session.ACW || st.ACWDeadline.IsZero() {
		t.Fatalf("state %+v", st)
	}
	if e, _ := expectData[session.EndedData](cust, session.TypeEnded); e.Reason != session.EndAgentEnded {
		t.Fatalf("ended %+v", e)
	}
	if st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.Done {
		t.Fatalf("after ACW: %+v", st)
	}
}

func TestWrapUpDispositionAndMarkDone_R_I10(t *testing.T) {
	_, _, g, _, joined := connected(t, nil, session.JoinData{})
	chat := joined.Chat
	g.send(session.TypeEnd, chat, nil)
	g.expect(session.TypeState)
	cases := []struct {
		name string
		data session.WrapUpData
		code string
	}{
		{"valid disposition", session.WrapUpData{Disposition: "Resolved", Note: "ok", CaseData: map[string]string{"order": "42"}}, ""},
		{"invalid disposition", session.WrapUpData{Disposition: "Nope"}, session.ErrCodeBadRequest},
		{"case data merges", session.WrapUpData{CaseData: map[string]string{"sku": "x"}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.send(session.TypeWrapUp, chat, tc.data)
			if tc.code != "" {
				if e, _ := expectData[session.ErrorData](g, session.TypeError); e.Code != tc.code {
					t.Fatalf("error %+v", e)
				}
				return
			}
			snap, _ := expectData[session.ChatData](g, session.TypeChat)
			if snap.Disposition != "Resolved" || snap.Note != "ok" || snap.CaseData["order"] != "42" {
				t.Fatalf("snapshot %+v", snap)
			}
		})
	}
	g.send(session.TypeDone, chat, nil)
	if st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.Done {
		t.Fatalf("done %+v", st)
	}
	g.send(session.TypeSend, chat, session.SendData{Text: "late"})
	if e, _ := expectData[session.ErrorData](g, session.TypeError); e.Code != session.ErrCodeChatEnded {
		t.Fatalf("late send %+v", e)
	}
}

func TestInactivityWarnThenTimeout_R_I1_R_I11(t *testing.T) {
	_, _, g, cust, _ := connected(t, func(c *Config) {
		c.Timers.InactivityWarn = 40 * time.Millisecond
		c.Timers.InactivityTimeout = 80 * time.Millisecond
	}, session.JoinData{})
	at, _ := expectData[session.AttentionData](g, session.TypeAttention)
	if at.Reason != session.AttnInactivitySoon || at.Deadline.IsZero() {
		t.Fatalf("attention %+v", at)
	}
	st, _ := expectData[session.StateData](g, session.TypeState)
	if st.State != session.ACW || st.Reason != session.EndInactivity {
		t.Fatalf("state %+v", st)
	}
	if e, _ := expectData[session.EndedData](cust, session.TypeEnded); e.Reason != session.EndInactivity {
		t.Fatalf("ended %+v", e)
	}
}

func TestCustomerLeaveEndsChat_R_I1(t *testing.T) {
	_, _, g, cust, joined := connected(t, nil, session.JoinData{})
	chat := joined.Chat
	cust.send(session.TypeLeave, chat, nil)
	if at, _ := expectData[session.AttentionData](g, session.TypeAttention); at.Reason != session.AttnContactLeft {
		t.Fatalf("attention %+v", at)
	}
	lineWith(g, "Carol left the chat")
	if st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.ACW || st.Reason != session.EndContactLeft {
		t.Fatalf("state %+v", st)
	}
}

func TestContactDisconnectGrace_R_I11(t *testing.T) {
	t.Run("expires", func(t *testing.T) {
		_, _, g, cust, _ := connected(t, func(c *Config) { c.Timers.ContactGrace = 40 * time.Millisecond }, session.JoinData{})
		cust.conn.CloseNow()
		if at, _ := expectData[session.AttentionData](g, session.TypeAttention); at.Reason != session.AttnContactGone || at.Deadline.IsZero() {
			t.Fatalf("attention %+v", at)
		}
		if st, _ := expectData[session.StateData](g, session.TypeState); st.Reason != session.EndContactGone {
			t.Fatalf("state %+v", st)
		}
	})
	t.Run("back in time", func(t *testing.T) {
		_, base, g, cust, joined := connected(t, nil, session.JoinData{})
		chat := joined.Chat
		cust.send(session.TypeSend, chat, session.SendData{Text: "before the drop"})
		lineWith(g, "before the drop")
		cust.conn.CloseNow()
		g.expect(session.TypeAttention)
		resume := joined.Resume
		c2 := dial(t, base, "/v1/customer")
		c2.send(session.TypeJoin, "", session.JoinData{Resume: resume})
		j, _ := expectData[session.JoinedData](c2, session.TypeJoined)
		if j.Chat != chat || len(j.Lines) < 2 || j.Lines[len(j.Lines)-1].Text != "before the drop" {
			t.Fatalf("resumed %+v", j)
		}
		c2.expect(session.TypeAgentIn)
		if at, _ := expectData[session.AttentionData](g, session.TypeAttention); at.Reason != session.AttnContactBack {
			t.Fatalf("attention %+v", at)
		}
		c2.send(session.TypeSend, chat, session.SendData{Text: "after"})
		lineWith(g, "after")
	})
}

func TestAgentReconnectWithinGraceResumes(t *testing.T) {
	_, base, g, cust, joined := connected(t, nil, session.JoinData{})
	chat := joined.Chat
	g.conn.CloseNow()
	if p, _ := expectData[session.PresenceData](cust, session.TypePresence); !p.Reconnecting {
		t.Fatal("customer should see reconnecting")
	}
	g2, w := agentLogin(t, base, "t-grace", false)
	if !w.Ready || len(w.Chats) != 1 || w.Chats[0].ID != chat || w.Chats[0].State != session.Connected {
		t.Fatalf("welcome %+v", w)
	}
	// The transcript follows the welcome, a frame per chat.
	if snap, env := expectData[session.ChatData](g2, session.TypeChat); env.Chat != chat || len(snap.Transcript) == 0 {
		t.Fatalf("snapshot after the welcome %+v", snap)
	}
	if p, _ := expectData[session.PresenceData](cust, session.TypePresence); p.Reconnecting {
		t.Fatal("customer should see the agent back")
	}
	cust.send(session.TypeSend, chat, session.SendData{Text: "still there?"})
	lineWith(g2, "still there?")
}

func TestAgentGraceExpiryRequeues(t *testing.T) {
	_, base, g, cust, joined := connected(t, func(c *Config) { c.Timers.AgentGrace = 40 * time.Millisecond }, session.JoinData{})
	chat := joined.Chat
	g.conn.CloseNow()
	cust.expect(session.TypePresence)
	lineWith(cust, "back in the queue")
	if q, _ := expectData[session.QueueData](cust, session.TypeQueue); q.Position != 1 {
		t.Fatalf("position %d", q.Position)
	}
	ada, _ := agentLogin(t, base, "t-ada", true)
	off, env := expectData[session.ChatData](ada, session.TypeOffer)
	if env.Chat != chat || len(off.Transcript) == 0 {
		t.Fatalf("requeued offer %+v", off)
	}
}

func TestOffersOfDroppedAgentMoveOn(t *testing.T) {
	_, base := startHub(t, nil)
	ada, _ := agentLogin(t, base, "t-ada", true)
	grace, _ := agentLogin(t, base, "t-grace", true)
	_, j := customerJoin(t, base, session.JoinData{Name: "Gus"})
	expectData[session.ChatData](ada, session.TypeOffer)
	ada.conn.CloseNow()
	if _, env := expectData[session.ChatData](grace, session.TypeOffer); env.Chat != j.Chat {
		t.Fatal("offer should move to Grace at once")
	}
}

func TestHistoryOnSecondChatOfSameContact_R_I2(t *testing.T) {
	_, base, g, cust, joined := connected(t, nil, session.JoinData{Contact: "carol-7"})
	chat := joined.Chat
	cust.send(session.TypeSend, chat, session.SendData{Text: "first visit"})
	lineWith(g, "first visit")
	cust.send(session.TypeLeave, chat, nil)
	g.expect(session.TypeState)
	g.send(session.TypeDone, chat, nil)
	g.expect(session.TypeState)
	_, j := customerJoin(t, base, session.JoinData{Name: "Carol", Contact: "carol-7"})
	off, _ := expectData[session.ChatData](g, session.TypeOffer)
	if off.ID != j.Chat || len(off.History) != 1 || off.History[0].Chat != chat {
		t.Fatalf("history %+v", off.History)
	}
	found := false
	for _, m := range off.History[0].Transcript {
		found = found || m.Text == "first visit"
	}
	if !found {
		t.Fatal("history lacks the first visit")
	}
}

func TestCustomerLeavesWhileOfferedRevokes_R_I1(t *testing.T) {
	_, base := startHub(t, nil)
	g, _ := agentLogin(t, base, "t-grace", true)
	cust, j := customerJoin(t, base, session.JoinData{Name: "Ivy"})
	expectData[session.ChatData](g, session.TypeOffer)
	cust.send(session.TypeLeave, j.Chat, nil)
	if r, env := expectData[session.RevokedData](g, session.TypeRevoked); r.Reason != session.RevokeContactGo || env.Chat != j.Chat {
		t.Fatalf("revoked %+v", r)
	}
	g.send(session.TypeAccept, j.Chat, nil)
	if e, _ := expectData[session.ErrorData](g, session.TypeError); e.Code != session.ErrCodeChatEnded {
		t.Fatalf("accept after leave: %+v", e)
	}
}

// TestCloseSaysRestarting_X_3: a hub that stops tells both sides it is
// restarting and closes with 1012 (Service Restart); the chat is not
// ended: it stays live in the store.
func TestCloseSaysRestarting_X_3(t *testing.T) {
	s, base, g, cust, joined := connected(t, nil, session.JoinData{})
	s.Close()
	for _, c := range []*client{g, cust} {
		if r, _ := expectData[session.RestartingData](c, session.TypeRestarting); !strings.Contains(r.Text, "restarting") {
			t.Fatalf("restarting %+v", r)
		}
		select {
		case <-c.done:
			if st := websocket.CloseStatus(c.err); st != websocket.StatusServiceRestart {
				t.Fatalf("closed with %v (%v), want 1012 service restart", st, c.err)
			}
		case <-time.After(wait):
			t.Fatal("socket still open after Close")
		}
	}
	s.Close() // idempotent
	if _, resp, err := websocketDial(base + "/v1/agent"); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a closed hub accepted a socket: %v", err)
	}
	s.j.sync()
	row, err := s.st.Chat(t.Context(), joined.Chat)
	if err != nil || row.State != session.Connected {
		t.Fatalf("the chat in the store after Close: %v %v, want still connected", row.State, err)
	}
}
