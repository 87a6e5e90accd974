package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

// errorCodes reads c's frames until a pong, counting error codes and
// message frames.
func errorCodes(t *testing.T, c *client) (map[string]int, int) {
	t.Helper()
	c.send(session.TypePing, "", nil)
	codes, lines := map[string]int{}, 0
	for {
		select {
		case env := <-c.in:
			switch env.Type {
			case session.TypeError:
				var e session.ErrorData
				_ = env.Decode(&e)
				codes[e.Code]++
			case session.TypeMessage:
				lines++
			case session.TypePong:
				return codes, lines
			}
		case <-c.done:
			t.Fatalf("the socket closed: %v", c.err)
		case <-time.After(20 * time.Second):
			t.Fatal("no pong")
		}
	}
}

// TestFloodingCustomer_X_4: one customer floods its chat with the largest
// lines it may send, as fast as it can. It gets rate_limited, then (with
// the rate raised) transcript_full, and nothing it had sent is lost; the
// agent's link stays up, its snapshot of the chat stays far under the
// desktop's read limit, and offers keep reaching everyone else.
func TestFloodingCustomer_X_4(t *testing.T) {
	t.Run("rate", func(t *testing.T) {
		_, base, g, flood, j := connected(t, func(c *Config) { c.MaxFrameBytes = DefaultMaxFrameBytes }, session.JoinData{Name: "Flo"})
		line := strings.Repeat("x", DefaultLimits().MaxLineBytes)
		errorCodes(t, flood) // what came before the flood
		for range 60 {
			flood.send(session.TypeSend, j.Chat, session.SendData{Text: line})
		}
		codes, echoed := errorCodes(t, flood)
		burst := DefaultLimits().MessageBurst
		if codes[session.ErrCodeRateLimited] == 0 || echoed < burst-1 || echoed > burst+3 { // the join took a token too
			t.Fatalf("errors %v, %d lines through; want rate_limited after the burst of %d", codes, echoed, burst)
		}
		// The agent's link is up and heard every line that went through.
		if codes, heard := errorCodes(t, g); len(codes) != 0 || heard != echoed {
			t.Fatalf("the agent heard %d lines and errors %v, want the %d that went through", heard, codes, echoed)
		}
		// Others are unaffected: a second customer reaches ada.
		a, _ := agentLogin(t, base, "t-ada", true)
		other, jo := customerJoin(t, base, session.JoinData{Name: "Olga"})
		connect(t, a, other, jo.Chat)
	})
	t.Run("transcript", func(t *testing.T) {
		s, base, g, flood, j := connected(t, func(c *Config) {
			c.Limits.MessageRate, c.Limits.MessageBurst = 1e6, 1e6
			c.MaxFrameBytes = DefaultMaxFrameBytes
		}, session.JoinData{Name: "Flo"})
		a, _ := agentLogin(t, base, "t-ada", true)
		l := DefaultLimits()
		line := strings.Repeat("y", l.MaxLineBytes)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // meanwhile, others come and are served
			defer wg.Done()
			for i := range 5 {
				cu, jc := customerJoin(t, base, session.JoinData{Name: "Honest"})
				connect(t, a, cu, jc.Chat)
				cu.send(session.TypeSend, jc.Chat, session.SendData{Text: "hello"})
				lineWith(a, "hello")
				cu.send(session.TypeLeave, jc.Chat, nil)
				a.expect(session.TypeState)
				a.send(session.TypeDone, jc.Chat, nil)
				_ = i
			}
		}()
		errorCodes(t, flood) // what came before the flood
		for range 1500 {
			flood.send(session.TypeSend, j.Chat, session.SendData{Text: line})
		}
		codes, echoed := errorCodes(t, flood)
		wg.Wait()
		max := l.MaxTranscriptBytes / (l.MaxLineBytes + 96)
		if codes[session.ErrCodeTranscriptFull] == 0 || echoed < max-2 || echoed > max+1 {
			t.Fatalf("errors %v, %d lines through; want transcript_full after about %d", codes, echoed, max)
		}
		big := strings.Repeat("z", l.MaxLineBytes+1)
		flood.send(session.TypeSend, j.Chat, session.SendData{Text: big})
		if codes, _ := errorCodes(t, flood); codes[session.ErrCodeLineTooLong] != 1 {
			t.Fatalf("a line over max_line_bytes: %v", codes)
		}
		if codes, heard := errorCodes(t, g); len(codes) != 0 || heard < echoed {
			t.Fatalf("the agent heard %d lines and errors %v, want the %d that went through", heard, codes, echoed)
		}
		g.send(session.TypeSend, j.Chat, session.SendData{Text: line})
		if codes, _ := errorCodes(t, g); codes[session.ErrCodeTranscriptFull] != 1 {
			t.Fatalf("the agent's long line into a full transcript: %v", codes)
		}
		// The desktop's own client, with its 4 MiB read limit, takes the
		// full chat's snapshot and stays up.
		s.mu.RLock()
		snap, _ := json.Marshal(s.chats[j.Chat].snapshot())
		s.mu.RUnlock()
		if len(snap) > l.MaxTranscriptBytes+64<<10 {
			t.Fatalf("the snapshot of a full chat is %d bytes", len(snap))
		}
		g.conn.CloseNow()
		<-g.done
		hc := hubclient.Dial(t.Context(), "http"+strings.TrimPrefix(base, "ws"), "t-grace")
		defer hc.Close()
		desk := session.NewDesk()
		deadline := time.After(10 * time.Second)
		for desk.Chat(j.Chat) == nil || len(desk.Chat(j.Chat).Transcript) < echoed {
			select {
			case ev := <-hc.Events():
				if ev.Status != nil {
					desk.SetLink(*ev.Status)
					if ev.Status.State != session.LinkUp && ev.Status.State != session.LinkConnecting {
						t.Fatalf("the desktop's link went %v: %s", ev.Status.State, ev.Status.Err)
					}
				}
				if ev.Envelope != nil {
					desk.Apply(*ev.Envelope, time.Now())
				}
			case <-deadline:
				t.Fatal("the desktop did not get the full chat back")
			}
		}
		t.Logf("%d lines of %d bytes through, then %v; snapshot %d bytes", echoed, l.MaxLineBytes, codes, len(snap))
	})
}

// TestCustomersPerIP_X_4: one address may hold limits.customers_per_ip
// customer sockets; the next is refused with 429 and a clear error before
// any websocket is made, /healthz answers all along, and a socket closing
// makes room again.
func TestCustomersPerIP_X_4(t *testing.T) {
	s, base := startHub(t, func(c *Config) { c.Limits.CustomersPerIP = 3 })
	var held []*client
	for range 3 {
		held = append(held, dial(t, base, "/v1/customer"))
	}
	_, resp, err := websocketDial(base + "/v1/customer")
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 4th socket from one address: %v %v, want 429", resp, err)
	}
	var e api.Error
	json.NewDecoder(resp.Body).Decode(&e)
	if e.Error.Code != "too_many_connections" || !strings.Contains(e.Error.Message, "customers_per_ip") {
		t.Fatalf("refusal %+v", e)
	}
	hr, err := http.Get("http" + strings.TrimPrefix(base, "ws") + "/healthz")
	if err != nil || hr.StatusCode != 200 {
		t.Fatalf("healthz while full: %v %v", hr, err)
	}
	hr.Body.Close()
	if h := s.Health(); h.Customers != 3 {
		t.Fatalf("health counts %d customers", h.Customers)
	}
	held[0].conn.Close(websocket.StatusNormalClosure, "")
	<-held[0].done
	deadline := time.Now().Add(wait)
	for {
		c, _, err := websocketDial(base + "/v1/customer")
		if err == nil {
			c.CloseNow()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a socket closed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHistoryBounded_R_I2_X_4: an offer carries at most
// limits.history_sessions earlier sessions and about history_bytes of
// them; the rest come when asked, oldest last, until none remain.
func TestHistoryBounded_R_I2_X_4(t *testing.T) {
	_, base := startHub(t, func(c *Config) { c.Limits.HistorySessions = 2 })
	g, _ := agentLogin(t, base, "t-grace", true)
	var ids []string
	for i := range 5 {
		cu, j := customerJoin(t, base, session.JoinData{Name: "Hal", Contact: "hal-1"})
		connect(t, g, cu, j.Chat)
		cu.send(session.TypeSend, j.Chat, session.SendData{Text: "visit " + string(rune('A'+i))})
		lineWith(g, "visit")
		cu.send(session.TypeLeave, j.Chat, nil)
		g.expect(session.TypeState)
		g.send(session.TypeDone, j.Chat, nil)
		for st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](g, session.TypeState) {
		}
		ids = append(ids, j.Chat)
	}
	_, j := customerJoin(t, base, session.JoinData{Name: "Hal", Contact: "hal-1"})
	off, _ := expectData[session.ChatData](g, session.TypeOffer)
	if len(off.History) != 2 || off.History[0].Chat != ids[3] || off.History[1].Chat != ids[4] || !off.HistoryMore {
		t.Fatalf("offer history %v more=%v, want the newest two, oldest first, and more", sessionIDs(off.History), off.HistoryMore)
	}
	g.send(session.TypeHistory, j.Chat, session.HistoryRequest{Before: off.History[0].Chat})
	h1, _ := expectData[session.HistoryData](g, session.TypeHistory)
	if got := sessionIDs(h1.Sessions); len(got) != 2 || got[0] != ids[1] || got[1] != ids[2] || !h1.More {
		t.Fatalf("older history %v more=%v", got, h1.More)
	}
	g.send(session.TypeHistory, j.Chat, session.HistoryRequest{Before: h1.Sessions[0].Chat})
	h2, _ := expectData[session.HistoryData](g, session.TypeHistory)
	if got := sessionIDs(h2.Sessions); len(got) != 1 || got[0] != ids[0] || h2.More {
		t.Fatalf("oldest history %v more=%v", got, h2.More)
	}
	if h2.Sessions[0].Transcript[0].Text != "visit A" && h2.Sessions[0].Transcript[1].Text != "visit A" {
		t.Fatalf("the oldest session's lines %+v", h2.Sessions[0].Transcript)
	}
	// Another agent's chat: not theirs to read.
	a, _ := agentLogin(t, base, "t-ada", true)
	a.send(session.TypeHistory, j.Chat, session.HistoryRequest{})
	if e, _ := expectData[session.ErrorData](a, session.TypeError); e.Code != session.ErrCodeNotYours {
		t.Fatalf("history of another agent's chat: %+v", e)
	}
	_ = context.Background
}

func sessionIDs(ss []session.Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Chat)
	}
	return out
}
