package hub

import (
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestSupervisorMonitorAndBarge_R_C8: a supervisor watches a live chat
// silently: they get its whole transcript and every line after, the agent
// is told someone is listening (parties.listening and an attention), the
// customer gets no frame of it; the supervisor cannot write until they
// barge in, then joins as a conference party the customer sees; when they
// go, the agent is told.
func TestSupervisorMonitorAndBarge_R_C8(t *testing.T) {
	s, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	sue, w := agentLogin(t, base, "t-sue", false)
	if w.Agent.ID != "sue" || len(w.Chats) != 0 {
		t.Fatalf("sue's welcome %+v", w)
	}
	sue.send(session.TypeReady, "", session.ReadyData{Ready: true})
	refusedWith(sue, session.ErrCodeBadRequest) // no offers for supervisors

	sue.send(session.TypeMonitor, chat, nil)
	snap, _ := expectData[session.ChatData](sue, session.TypeChat)
	if snap.ID != chat || !hasText(snap.Transcript, "my parcel is late") || snap.Recording == nil || snap.Recording.Buttons["record"].Enabled {
		t.Fatalf("the watcher's snapshot: %+v", snap)
	}
	if p, _ := expectData[session.PartiesData](ada, session.TypeParties); len(p.Listening) != 1 || p.Listening[0].ID != "sue" {
		t.Fatalf("R-C8: the agent sees someone is listening: %+v", p)
	}
	if at, _ := expectData[session.AttentionData](ada, session.TypeAttention); at.Reason != session.AttnMonitored || !strings.Contains(at.Text, "is listening") {
		t.Fatalf("attention %+v", at)
	}
	talks(t, cust, session.TypeSend, chat, "is anyone there", []*client{ada, sue}, nil)
	talks(t, ada, session.TypeSend, chat, "yes, Ada here", []*client{cust, sue}, nil)
	sue.send(session.TypeSend, chat, session.SendData{Text: "silent"})
	refusedWith(sue, session.ErrCodeNotYours)
	sue.send(session.TypeMonitor, chat, nil)
	refusedWith(sue, session.ErrCodeBadState)
	drain(cust)
	for _, e := range cust.seen() {
		if b := strings.ToLower(string(e.Data) + e.Type); strings.Contains(b, "sue") || strings.Contains(b, "listen") || strings.Contains(b, "monitor") {
			t.Fatalf("R-C8: silent watching reached the customer: %s %s", e.Type, e.Data)
		}
	}

	sue.send(session.TypeBarge, chat, nil)
	lineWith(cust, "joined the chat")
	if snap, _ := expectData[session.ChatData](sue, session.TypeChat); !slices.Contains(partyIDs(snap.Parties), "sue") || len(snap.Parties.Listening) != 0 {
		t.Fatalf("after the barge-in: %+v", snap.Parties)
	}
	talks(t, sue, session.TypeSend, chat, "a supervisor speaking", []*client{cust, ada}, nil)
	// The owner's end with only a supervisor in the chat ends it: a
	// supervisor never takes the chat over.
	sue.conn.CloseNow()
	lineWith(ada, "left the chat")
	ada.send(session.TypeEnd, chat, nil)
	if st := stateOf(ada, chat); st.State != session.ACW {
		t.Fatalf("ada's end: %+v", st)
	}
	s.mu.RLock()
	sup := s.supers["sue"]
	n := len(sup.joined) + len(sup.watching)
	s.mu.RUnlock()
	if n != 0 {
		t.Fatalf("the gone supervisor still holds %d chats", n)
	}
}

// TestMonitorRefused_R_C8: agents may not watch, a flow token may not say
// hello, a supervisor may not watch what is not a live chat, and the
// watchers per chat are bounded.
func TestMonitorRefused_R_C8(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) {
		c.Recording.APITokens = append(c.Recording.APITokens,
			APIToken{Name: "s2", Token: "t-s2", Role: "supervisor"}, APIToken{Name: "s3", Token: "t-s3", Role: "supervisor"},
			APIToken{Name: "s4", Token: "t-s4", Role: "supervisor"})
	}))
	ada, _, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", false)
	grace.send(session.TypeMonitor, chat, nil)
	refusedWith(grace, session.ErrCodeUnauthorized)

	ivr := dial(t, base, "/v1/agent")
	ivr.send(session.TypeHello, "", session.HelloData{Token: "t-ivr"})
	refusedWith(ivr, session.ErrCodeUnauthorized)

	sue, _ := agentLogin(t, base, "t-sue", false)
	for _, tc := range []struct{ typ, chat, code string }{
		{session.TypeMonitor, "", session.ErrCodeNoSuchChat},
		{session.TypeMonitor, "chat-99", session.ErrCodeNoSuchChat},
		{session.TypeUnmonitor, chat, session.ErrCodeBadState},
		{session.TypeAccept, chat, session.ErrCodeBadRequest},
		{session.TypeTransfer, chat, session.ErrCodeBadRequest},
	} {
		sue.send(tc.typ, tc.chat, nil)
		refusedWith(sue, tc.code)
	}
	var others []*client
	for _, tok := range []string{"t-sue", "t-s2", "t-s3"} {
		c := sue
		if tok != "t-sue" {
			c, _ = agentLogin(t, base, tok, false)
			others = append(others, c)
		}
		c.send(session.TypeMonitor, chat, nil)
		c.expect(session.TypeChat)
	}
	s4, _ := agentLogin(t, base, "t-s4", false)
	s4.send(session.TypeMonitor, chat, nil)
	refusedWith(s4, session.ErrCodeBadRequest)
	sue.send(session.TypeUnmonitor, chat, nil)
	if st := stateOf(sue, chat); st.State != session.Done {
		t.Fatalf("unmonitor: %+v", st)
	}
	for {
		at, _ := expectData[session.AttentionData](ada, session.TypeAttention)
		if strings.Contains(at.Text, "stopped listening") {
			break
		}
	}
	// R-C8: the agent's "listening" follows: the last parties frame names
	// only the two who still listen.
	var last session.PartiesData
	for _, e := range ada.seen() {
		if e.Type == session.TypeParties {
			last = session.PartiesData{}
			if err := e.Decode(&last); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := listeners(&last); !slices.Equal(got, []string{"s2", "s3"}) {
		t.Fatalf("R-C8: after sue stopped, the agent is told %v listen", got)
	}
	for _, c := range others {
		c.conn.CloseNow() // their sockets go: their watching ends
	}
	for {
		p, _ := expectData[session.PartiesData](ada, session.TypeParties)
		if len(p.Listening) == 0 {
			break // nobody listens, and the agent is told so
		}
	}
}
