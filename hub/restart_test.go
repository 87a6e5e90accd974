package hub

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// restartable is a hub on a store folder that a test stops and starts
// again, as an operator restarts chathub.
type restartable struct {
	t     *testing.T
	cfg   *Config
	clock Clock
	s     *Server
	ts    *httptest.Server
	base  string
}

func newRestartable(t *testing.T, clock Clock, mutate func(*Config)) *restartable {
	r := &restartable{t: t, clock: clock, cfg: testConfig(t, func(c *Config) {
		c.Store.Dir = t.TempDir()
		if mutate != nil {
			mutate(c)
		}
	})}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start() {
	r.t.Helper()
	s, err := Open(r.cfg, Options{Clock: r.clock, verify: true})
	if err != nil {
		r.t.Fatal(err)
	}
	r.s, r.ts = s, httptest.NewServer(s.Handler())
	r.base = "ws" + strings.TrimPrefix(r.ts.URL, "http")
}

func (r *restartable) stop() {
	if r.s == nil {
		return
	}
	r.s.Close()
	r.ts.Close()
	if err := r.s.CloseStore(); err != nil {
		r.t.Error(err)
	}
	checkUnmarked(r.t, r.s)
	r.s = nil
}

func (r *restartable) restart() {
	r.t.Helper()
	r.stop()
	r.start()
}

// lineTexts are a transcript's lines as "from:text".
func lineTexts(lines []session.MessageData) []string {
	var out []string
	for _, m := range lines {
		out = append(out, m.From+":"+m.Text)
	}
	return out
}

// TestRestartResumesEverything_X_3: a hub stopped and started on the same
// store folder gives every live chat back in its state (queued, offered,
// connected, ACW) with its whole transcript, agents their ready state and
// chats, customers their chats through their resume tokens, a recording
// running across the restart keeps the lines of both runs, finished
// recordings are still listed, and chat ids go on where they were.
func TestRestartResumesEverything_X_3(t *testing.T) {
	r := newRestartable(t, nil, func(c *Config) {
		c.Agents[1].Recording = &AgentRecording{MayRecord: true, MayPause: true, Permits: true}
		c.Agents[0].Queues = []string{"general"} // billing waits for alan, who stays away
	})
	// Before: grace records a chat that ends (a finished recording), then
	// has a connected one, recording; ada has an offer and a chat in ACW;
	// a billing chat waits (nobody serving billing is ready).
	g, _ := agentLogin(t, r.base, "t-grace", true)
	c0, j0 := customerJoin(t, r.base, session.JoinData{Name: "Zoe", Contact: "zoe-1"})
	connect(t, g, c0, j0.Chat)
	g.send(session.TypeRecord, j0.Chat, session.RecordData{Button: "record"})
	recFrame(g)
	c0.send(session.TypeSend, j0.Chat, session.SendData{Text: "zoe recorded"})
	lineWith(g, "zoe recorded")
	c0.send(session.TypeLeave, j0.Chat, nil)
	g.expect(session.TypeState)
	g.send(session.TypeDone, j0.Chat, nil)
	for st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](g, session.TypeState) {
	}

	q, jq := customerJoin(t, r.base, session.JoinData{Name: "Quinn", Queue: "billing"})
	c, jc := customerJoin(t, r.base, session.JoinData{Name: "Cara", Contact: "zoe-1"})
	connect(t, g, c, jc.Chat)
	c.send(session.TypeSend, jc.Chat, session.SendData{Text: "before, not recorded"})
	lineWith(g, "before, not recorded")
	g.send(session.TypeRecord, jc.Chat, session.RecordData{Button: "record"})
	recFrame(g)
	c.send(session.TypeSend, jc.Chat, session.SendData{Text: "before, recorded"})
	lineWith(g, "before, recorded")
	g.send(session.TypeSend, jc.Chat, session.SendData{Text: "an answer"})
	lineWith(c, "an answer")

	a, _ := agentLogin(t, r.base, "t-ada", true)
	w4, j4 := customerJoin(t, r.base, session.JoinData{Name: "Will"})
	connect(t, a, w4, j4.Chat)
	w4.send(session.TypeLeave, j4.Chat, nil)
	acw, _ := expectData[session.StateData](a, session.TypeState)
	a.send(session.TypeWrapUp, j4.Chat, session.WrapUpData{Disposition: "Escalated", Note: "call back", CaseData: map[string]string{"order": "A-1"}})
	a.expect(session.TypeChat)
	_, jo := customerJoin(t, r.base, session.JoinData{Name: "Otto"})
	offO, _ := expectData[session.ChatData](a, session.TypeOffer)
	if offO.ID != jo.Chat {
		t.Fatalf("ada offered %s, want Otto's %s", offO.ID, jo.Chat)
	}
	beforeC := slices.Clone(r.s.chats[jc.Chat].lines)

	r.restart()

	// grace: ready, the connected chat with its whole transcript, still recording.
	g2, wg := agentLogin(t, r.base, "t-grace", false)
	if !wg.Ready || len(wg.Chats) != 1 || wg.Chats[0].ID != jc.Chat || wg.Chats[0].State != session.Connected {
		t.Fatalf("grace's welcome after the restart: ready %v, chats %+v", wg.Ready, wg.Chats)
	}
	snap, _ := expectData[session.ChatData](g2, session.TypeChat)
	if !slices.Equal(lineTexts(snap.Transcript), lineTexts(beforeC)) || snap.Transcript[len(beforeC)-1].ID != beforeC[len(beforeC)-1].ID {
		t.Fatalf("transcript after the restart\n got %q\nwant %q", lineTexts(snap.Transcript), lineTexts(beforeC))
	}
	if snap.Recording == nil || !snap.Recording.Recording || len(snap.History) != 1 || snap.History[0].Chat != j0.Chat {
		t.Fatalf("recording %+v, history %+v: want still recording, Zoe's earlier chat as history", snap.Recording, snap.History)
	}
	// ada: ready, Otto's offer with its first expiry, Will's chat in ACW with its wrap-up.
	a2, wa := agentLogin(t, r.base, "t-ada", false)
	got := map[string]session.ChatData{}
	for _, d := range wa.Chats {
		got[d.ID] = d
	}
	if !wa.Ready || got[offO.ID].State != session.Offered || !got[offO.ID].OfferExpiry.Equal(offO.OfferExpiry) ||
		got[j4.Chat].State != session.ACW || got[j4.Chat].Disposition != "Escalated" || got[j4.Chat].Note != "call back" ||
		got[j4.Chat].CaseData["order"] != "A-1" || !got[j4.Chat].ACWDeadline.Equal(acw.ACWDeadline) {
		t.Fatalf("ada's welcome after the restart: ready %v, chats %+v", wa.Ready, wa.Chats)
	}
	// Customers come back through their resume tokens.
	c2 := dial(t, r.base, "/v1/customer")
	c2.send(session.TypeJoin, "", session.JoinData{Resume: jc.Resume})
	rj, _ := expectData[session.JoinedData](c2, session.TypeJoined)
	if rj.Chat != jc.Chat || !slices.Contains(lineTexts(rj.Lines), "agent:an answer") || slices.Contains(lineTexts(rj.Lines), "system:Recording started (Record)") {
		t.Fatalf("the customer's resumed transcript %q", lineTexts(rj.Lines))
	}
	c2.expect(session.TypeAgentIn)
	q2 := dial(t, r.base, "/v1/customer")
	q2.send(session.TypeJoin, "", session.JoinData{Resume: jq.Resume})
	if rq, _ := expectData[session.JoinedData](q2, session.TypeJoined); rq.Chat != jq.Chat {
		t.Fatalf("Quinn resumed %s, want %s", rq.Chat, jq.Chat)
	}
	_ = q
	// A new chat's id goes on from the last one: ids never repeat.
	_, jn := customerJoin(t, r.base, session.JoinData{Name: "Nia", Queue: "billing"})
	if jn.Chat != "chat-6" {
		t.Fatalf("the first chat after the restart is %s, want chat-6", jn.Chat)
	}
	// The recording goes on across the restart and keeps both runs' lines.
	c2.send(session.TypeSend, jc.Chat, session.SendData{Text: "after, recorded"})
	lineWith(g2, "after, recorded")
	g2.send(session.TypeEnd, jc.Chat, nil)
	g2.send(session.TypeDone, jc.Chat, nil)
	for st, _ := expectData[session.StateData](g2, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](g2, session.TypeState) {
	}
	list, err := r.s.Recordings("", "", 0)
	if err != nil || len(list.Recordings) != 2 || list.Recordings[0].Interaction != j0.Chat || list.Recordings[1].Interaction != jc.Chat {
		t.Fatalf("recordings after the restart %+v %v: want Zoe's from before and Cara's", list.Recordings, err)
	}
	lines := lineTexts(list.Recordings[1].Lines)
	if !slices.Contains(lines, "customer:before, recorded") || !slices.Contains(lines, "customer:after, recorded") || slices.Contains(lines, "customer:before, not recorded") {
		t.Fatalf("the recording across the restart kept %q", lines)
	}
	_ = a2
}

// fakeClock is a clock the test moves by hand; timers fire in Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, tm)
	return tm
}

func (tm *fakeTimer) Stop() bool {
	tm.c.mu.Lock()
	defer tm.c.mu.Unlock()
	was := !tm.done
	tm.done = true
	return was
}

// Advance moves the clock by d, firing the timers that come due, in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var due *fakeTimer
		for _, tm := range c.timers {
			if !tm.done && !tm.at.After(end) {
				due = tm
				break
			}
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		due.done = true
		c.now = due.at
		c.mu.Unlock()
		due.f()
	}
}

// TestTimersContinueAfterRestart_X_3: the offer, after-call work and
// contact_grace timers of a resumed chat run out at their stored
// deadlines, not a full period after the restart.
func TestTimersContinueAfterRestart_X_3(t *testing.T) {
	clk := newFakeClock()
	r := newRestartable(t, clk, nil) // offer_timeout 10s, acw 10s, contact_grace 10s
	a, _ := agentLogin(t, r.base, "t-alan", true)
	_, jo := customerJoin(t, r.base, session.JoinData{Name: "Otto", Queue: "billing"})
	a.expect(session.TypeOffer)
	g, _ := agentLogin(t, r.base, "t-grace", true)
	w, jw := customerJoin(t, r.base, session.JoinData{Name: "Wen"})
	connect(t, g, w, jw.Chat)
	w.send(session.TypeLeave, jw.Chat, nil)
	g.expect(session.TypeState) // ACW, 10s
	ad, _ := agentLogin(t, r.base, "t-ada", true)
	cu, jc := customerJoin(t, r.base, session.JoinData{Name: "Cleo", Queue: "billing"}) // alan is full: ada's
	connect(t, ad, cu, jc.Chat)
	cu.conn.CloseNow() // contact_grace starts: 10s
	ad.expect(session.TypeAttention)

	clk.Advance(6 * time.Second)
	r.restart()
	for _, c := range []*client{a, g, ad} {
		<-c.done
	}
	clk.Advance(3 * time.Second) // 9s in: nothing has run out yet
	r.s.j.sync()
	for id, want := range map[string]session.State{jo.Chat: session.Offered, jw.Chat: session.ACW, jc.Chat: session.Connected} {
		if c := r.s.chats[id]; c == nil || c.state != want {
			t.Fatalf("9s in, %s is %v, want %v (timers restarted from zero would be fine here too)", id, c, want)
		}
	}
	clk.Advance(2 * time.Second) // 11s in: every stored deadline has passed
	r.s.mu.RLock()
	otto, wen, cleo := r.s.chats[jo.Chat], r.s.chats[jw.Chat], r.s.chats[jc.Chat]
	r.s.mu.RUnlock()
	if otto == nil || otto.state != session.Queued {
		t.Fatalf("the offer did not run out at its stored expiry: %+v", otto)
	}
	if wen != nil {
		t.Fatalf("after-call work did not run out at its stored deadline: %v", wen.state)
	}
	if cleo == nil || cleo.state != session.ACW || cleo.reason != session.EndContactGone {
		t.Fatalf("contact_grace did not run out at its stored deadline: %+v", cleo)
	}
	r.s.j.sync()
	row, err := r.s.st.Chat(t.Context(), jw.Chat)
	if err != nil || row.State != session.Done {
		t.Fatalf("Wen's chat in the store: %v %v", row.State, err)
	}
	b, _ := json.Marshal(row)
	if !strings.Contains(string(b), jw.Chat) {
		t.Fatal(string(b))
	}
}
