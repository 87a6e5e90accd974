package hub

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// listeners are the ids of who listens to a chat, as its agent is told.
func listeners(p *session.PartiesData) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, l := range p.Listening {
		out = append(out, l.ID)
	}
	return out
}

// TestMonitorSurvivesRestart_R_C8: a supervisor's watching is stored with
// the chat: after a real restart (the store closed and opened again) the
// agent's desktop still shows that Sue is listening, and Sue, saying hello
// again, gets the chat back and every line after, without asking again.
// A supervisor who barged in is a party again after a restart. One who
// does not come back within agent_grace stops watching, and the agent is
// told.
func TestMonitorSurvivesRestart_R_C8(t *testing.T) {
	clk := newFakeClock()
	r := newRestartable(t, clk, partyConfig(nil))
	ada, cust, chat := partyChat(t, r.base)
	sue, _ := agentLogin(t, r.base, "t-sue", false)
	sue.send(session.TypeMonitor, chat, nil)
	sue.expect(session.TypeChat)
	if p, _ := expectData[session.PartiesData](ada, session.TypeParties); !slices.Equal(listeners(&p), []string{"sue"}) {
		t.Fatalf("before the restart: %+v", p)
	}

	restart := func(cs ...*client) {
		t.Helper()
		r.restart()
		for _, c := range cs {
			<-c.done
		}
	}
	restart(ada, sue, cust)
	ada2, w := agentLogin(t, r.base, "t-ada", false)
	if len(w.Chats) != 1 || !slices.Equal(listeners(w.Chats[0].Parties), []string{"sue"}) {
		t.Fatalf("R-C8: after the restart the agent's welcome says nobody listens: %+v", w.Chats)
	}
	if snap, _ := expectData[session.ChatData](ada2, session.TypeChat); !slices.Equal(listeners(snap.Parties), []string{"sue"}) {
		t.Fatalf("R-C8: after the restart the agent's chat says nobody listens: %+v", snap.Parties)
	}
	sue2, _ := agentLogin(t, r.base, "t-sue", false)
	if snap, _ := expectData[session.ChatData](sue2, session.TypeChat); snap.ID != chat || !hasText(snap.Transcript, "my parcel is late") {
		t.Fatalf("the supervisor's watching is not resumed: %+v", snap)
	}
	talks(t, ada2, session.TypeSend, chat, "after the restart", []*client{sue2}, nil)
	sue2.send(session.TypeMonitor, chat, nil)
	refusedWith(sue2, session.ErrCodeBadState) // watching already

	// Barged in, then a restart: a party again, on both sides.
	sue2.send(session.TypeBarge, chat, nil)
	lineWith(ada2, "joined the chat")
	restart(ada2, sue2)
	ada3, _ := agentLogin(t, r.base, "t-ada", false)
	if snap, _ := expectData[session.ChatData](ada3, session.TypeChat); !slices.Contains(partyIDs(snap.Parties), "sue") || len(listeners(snap.Parties)) != 0 {
		t.Fatalf("the supervisor who barged in, after a restart: %+v", snap.Parties)
	}
	sue3, _ := agentLogin(t, r.base, "t-sue", false)
	if snap, _ := expectData[session.ChatData](sue3, session.TypeChat); snap.ID != chat {
		t.Fatalf("the supervisor's conference after a restart: %+v", snap)
	}
	talks(t, sue3, session.TypeSend, chat, "sue is still here", []*client{ada3}, nil)

	// Back to watching; a restart Sue does not come back from: when
	// agent_grace runs out, she stops listening and the agent is told.
	sue3.send(session.TypeEnd, chat, nil)
	lineWith(ada3, "left the chat")
	sue3.send(session.TypeMonitor, chat, nil)
	sue3.expect(session.TypeChat)
	restart(ada3, sue3)
	ada4, w := agentLogin(t, r.base, "t-ada", false)
	if !slices.Equal(listeners(w.Chats[0].Parties), []string{"sue"}) {
		t.Fatalf("after the last restart: %+v", w.Chats[0].Parties)
	}
	clk.Advance(r.cfg.Timers.AgentGrace + time.Second)
	for {
		at, _ := expectData[session.AttentionData](ada4, session.TypeAttention)
		if strings.Contains(at.Text, "stopped listening") {
			break
		}
	}
	ada4.send(session.TypeEnd, chat, nil) // and no supervisor's place is left behind
	if st := stateOf(ada4, chat); st.State != session.ACW {
		t.Fatalf("end: %+v", st)
	}
	r.s.mu.RLock()
	n := len(r.s.supers["sue"].watching) + len(r.s.supers["sue"].joined)
	r.s.mu.RUnlock()
	if n != 0 {
		t.Fatalf("sue still holds %d chats", n)
	}
}
