package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
	"github.com/agentdesk/agentdesk/session"
)

// chaosYAML is the chaos day's hub: three agents with room for three chats
// each, timers long enough that only the clients move chats along (a
// restart must not end anything by itself).
const chaosYAML = `
max_frame_bytes: 4096
timers:
  pending_warn: 1m
  pending_alarm: 2m
  acw: 5m
  offer_timeout: 5m
  inactivity_warn: 5m
  inactivity_timeout: 10m
  agent_grace: 5m
  contact_grace: 5m
dispositions: [Resolved, Escalated]
queues:
  - {name: general, title: General}
agents:
  - {id: ada, name: Ada Lovelace, token: t-ada, capacity: 3, queues: [general]}
  - {id: grace, name: Grace Hopper, token: t-grace, capacity: 3, queues: [general]}
  - {id: alan, name: Alan Turing, token: t-alan, capacity: 3, queues: [general]}
recording:
  filename_template: "{queue}_{agent}_{kind}_{interaction}"
  api_tokens:
    - {name: sue, token: t-sue, role: supervisor}
limits:
  customers_per_ip: 1000
`

// Shape of the chaos day.
const (
	chaosKills     = 20 // kill -9 this many times
	chaosCustomers = 48 // chats opened over the day
	chaosLines     = 6  // each customer says this many lines, then leaves
)

// TestKill9ScriptedDay_X_3: a real chathub is killed with kill -9 at
// random moments of a scripted day (customers arriving and talking,
// offers, connected chats, recording, wrap-up, uploads in flight) and
// restarted on its store, 20 times. After every restart every chat comes
// back in the state its clients were last told (or the one they had just
// asked for) with every line anyone was told of; no chat id repeats; at
// the end every acknowledged line and every recording is in the store and
// every upload is stored byte-identical.
func TestKill9ScriptedDay_X_3(t *testing.T) {
	t.Parallel()
	bin := buildChathub(t)
	dir := t.TempDir()
	h := newHubProcYAML(t, bin, dir, chaosYAML)
	w := newChaosWorld(t)
	var l ledger
	ul := l.fault(t)
	upCtx, stopUploads := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stopUploads()
	var uploads sync.WaitGroup
	files := make([]*testFile, 4)
	for i := range files {
		files[i] = ul.newFile(t, 3<<20, fmt.Sprintf("day%d", i))
	}
	h.start("127.0.0.1:0")
	base := h.base()
	uploads.Add(1)
	go func() { // a desktop uploading through the whole day, resuming after every kill
		defer uploads.Done()
		c := newTusClient(base, "t-ada")
		for _, f := range files {
			if _, err := c.send(upCtx, f, 30*time.Millisecond, nil); err != nil {
				t.Errorf("upload %s: %v", f.path, err)
				return
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for round := 0; round <= chaosKills; round++ {
		if round > 0 {
			h.start(h.addr)
		}
		run := w.startRun(round, "ws"+strings.TrimPrefix(h.base(), "http"))
		if round == chaosKills {
			w.finish(run, 60*time.Second)
			break
		}
		time.Sleep(time.Duration(250+rng.IntN(900)) * time.Millisecond)
		h.kill()
		run.stop()
		w.checkRun(run)
	}
	uploads.Wait()
	for _, f := range files {
		ul.confirm(t, h.base(), f)
	}
	// A clean stop: SIGTERM, then the store is read as the next hub would.
	h.cmd.Process.Signal(syscall.SIGTERM)
	<-h.done
	h.cmd = nil
	db, err := sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w.checkStore(db)
}

// newHubProcYAML is newHubProc with a config of the test's own.
func newHubProcYAML(t testing.TB, bin, store, yaml string) *hubProc {
	h := newHubProc(t, bin, store)
	if err := os.WriteFile(h.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// chaosChat is what the clients of one chat were told: the model the hub
// must match after every restart.
type chaosChat struct {
	id, resume, contact string
	custSeen            map[int64]string // lines the customer was sent: id → text
	agentSeen           map[int64]string // lines the agent was sent
	state               session.State    // the last state the agent was told
	next                []session.State  // states an action sent but not yet answered may have led to
	agent               string
	said                int  // lines the customer sent
	left                bool // the customer sent leave
	custDone            bool // the customer is finished (ended and told so, or left)
	recorded            bool // the agent was told a recording runs
	resumed             bool // it was live at a kill and checked after the restart
	doneAt              int  // the run it was done in; -1 while not
}

type chaosWorld struct {
	t  *testing.T
	mu sync.Mutex
	// chats by id; pendingJoins counts joins sent whose answer never came
	// (the hub may or may not have stored them: nobody was told).
	chats    map[string]*chaosChat
	order    []string
	opened   int
	problems []string
	resumedN int
	contacts int
}

func newChaosWorld(t *testing.T) *chaosWorld {
	return &chaosWorld{t: t, chats: map[string]*chaosChat{}}
}

func (w *chaosWorld) problem(format string, a ...any) {
	w.problems = append(w.problems, fmt.Sprintf(format, a...))
}

// chaosRun is one life of the hub: its clients end when it is killed.
type chaosRun struct {
	n      int
	base   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// checked[chat] once the chat's state after the restart was compared.
	checked map[string]bool
	welcome map[string]bool // agents that got their welcome in this run

	mu      sync.Mutex
	stopped bool
}

// spawn runs f in a goroutine the run waits for, unless it is stopping.
func (r *chaosRun) spawn(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); f() }()
}

func (w *chaosWorld) startRun(n int, base string) *chaosRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &chaosRun{n: n, base: base, ctx: ctx, cancel: cancel, checked: map[string]bool{}, welcome: map[string]bool{}}
	for _, a := range []string{"ada", "grace", "alan"} {
		r.spawn(func() { w.agent(r, a) })
	}
	w.mu.Lock()
	var back []*chaosChat
	for _, id := range w.order {
		if c := w.chats[id]; !c.custDone {
			back = append(back, c)
		}
	}
	w.mu.Unlock()
	for _, c := range back {
		r.spawn(func() { w.customer(r, c) })
	}
	r.spawn(func() { // new customers arrive through the day
		for {
			w.mu.Lock()
			more := w.opened < chaosCustomers
			if more {
				w.opened++
			}
			w.mu.Unlock()
			if !more {
				return
			}
			r.spawn(func() { w.customer(r, nil) })
			select {
			case <-ctx.Done():
				return
			case <-time.After(40 * time.Millisecond):
			}
		}
	})
	return r
}

// stop waits for the run's clients, which end with the killed hub.
func (r *chaosRun) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// send writes one frame; false when the socket is gone.
func chaosSend(ctx context.Context, c *websocket.Conn, typ, chat string, data any) bool {
	env, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		return false
	}
	b, _ := json.Marshal(env)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.Write(wctx, websocket.MessageText, b) == nil
}

func chaosDial(r *chaosRun, path string) *websocket.Conn {
	for r.ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
		c, _, err := websocket.Dial(dctx, r.base+path, nil)
		cancel()
		if err == nil {
			c.SetReadLimit(4 << 20)
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// readLoop reads frames until the socket or the run ends.
func readLoop(r *chaosRun, c *websocket.Conn, f func(session.Envelope)) {
	go func() { <-r.ctx.Done(); c.CloseNow() }()
	for {
		_, b, err := c.Read(context.Background())
		if err != nil {
			return
		}
		var env session.Envelope
		if json.Unmarshal(b, &env) == nil {
			f(env)
		}
	}
}

// agent is one agent's desktop for a run: it accepts offers, answers
// every customer line, records after the second, wraps up and marks done;
// it checks what the hub gives back after a restart.
func (w *chaosWorld) agent(r *chaosRun, id string) {
	c := chaosDial(r, "/v1/agent")
	if c == nil {
		return
	}
	if !chaosSend(r.ctx, c, session.TypeHello, "", session.HelloData{Token: "t-" + id}) {
		return
	}
	listed := map[string]bool{}
	readLoop(r, c, func(env session.Envelope) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch env.Type {
		case session.TypeWelcome:
			var d session.WelcomeData
			_ = env.Decode(&d)
			if r.n > 0 && !d.Ready {
				w.problem("run %d: %s came back not ready", r.n, id)
			}
			r.welcome[id] = true
			for _, cd := range d.Chats {
				listed[cd.ID] = true
			}
			for cid, ch := range w.chats { // every live chat of this agent must be listed
				if ch.agent != id || ch.doneAt >= 0 || listed[cid] || ch.state == session.Queued {
					continue
				}
				switch {
				case slices.Contains(ch.next, session.Done):
					w.moved(ch, session.Done) // its Mark Done was stored; the answer died with the hub
					ch.doneAt = r.n
				case !slices.Contains(ch.next, session.Queued):
					w.problem("run %d: %s's welcome lacks %s (%v)", r.n, id, cid, ch.state)
				}
			}
			go chaosSend(r.ctx, c, session.TypeReady, "", session.ReadyData{Ready: true})
		case session.TypeOffer, session.TypeChat:
			var d session.ChatData
			_ = env.Decode(&d)
			ch := w.chats[d.ID]
			if ch == nil { // its customer's "joined" may be on its way; else nobody was told of it
				go w.maybeOrphan(r, c, env.Type, d.ID)
				return
			}
			w.compare(r, ch, id, d)
			ch.agent = id
			w.moved(ch, d.State)
			for _, m := range d.Transcript {
				ch.agentSeen[m.ID] = m.Text
			}
			if d.Recording != nil && d.Recording.Recording {
				ch.recorded = true
			}
			switch d.State {
			case session.Offered:
				ch.next = append(ch.next, session.Connected)
				go chaosSend(r.ctx, c, session.TypeAccept, d.ID, nil)
			case session.ACW:
				w.wrapUp(r, c, ch)
			}
		case session.TypeRevoked:
			if ch := w.chats[env.Chat]; ch != nil {
				w.moved(ch, session.Queued)
			}
		case session.TypeState:
			var d session.StateData
			_ = env.Decode(&d)
			ch := w.chats[env.Chat]
			if ch == nil {
				return
			}
			w.moved(ch, d.State)
			if d.State == session.ACW {
				w.wrapUp(r, c, ch)
			}
			if d.State == session.Done {
				ch.doneAt = r.n
			}
		case session.TypeRecording:
			var d session.RecordingData
			_ = env.Decode(&d)
			if ch := w.chats[env.Chat]; ch != nil && d.Recording {
				ch.recorded = true
			}
		case session.TypeMessage:
			var m session.MessageData
			_ = env.Decode(&m)
			ch := w.chats[env.Chat]
			if ch == nil {
				return
			}
			ch.agentSeen[m.ID] = m.Text
			if m.From == session.FromCustomer && ch.state == session.Connected {
				n := strings.Count(m.Text, "") // any answer will do; its text names the line
				go chaosSend(r.ctx, c, session.TypeSend, ch.id, session.SendData{Text: fmt.Sprintf("re %s (%d)", m.Text, n)})
				if strings.HasSuffix(m.Text, " 2") && !ch.recorded {
					go chaosSend(r.ctx, c, session.TypeRecord, ch.id, session.RecordData{Button: "record"})
				}
			}
		}
	})
}

// wrapUp sends the disposition and Mark Done of a chat in ACW. The caller
// holds w.mu.
func (w *chaosWorld) wrapUp(r *chaosRun, c *websocket.Conn, ch *chaosChat) {
	ch.next = append(ch.next, session.Done)
	id := ch.id
	go func() {
		if chaosSend(r.ctx, c, session.TypeWrapUp, id, session.WrapUpData{Disposition: "Resolved"}) {
			chaosSend(r.ctx, c, session.TypeDone, id, nil)
		}
	}()
}

// maybeOrphan waits for the customer of a chat the agent heard of first;
// a chat no customer was told of (its join went through, then the hub was
// killed before it answered) is accepted, ended and closed.
func (w *chaosWorld) maybeOrphan(r *chaosRun, c *websocket.Conn, typ, id string) {
	select {
	case <-r.ctx.Done():
		return
	case <-time.After(300 * time.Millisecond):
	}
	w.mu.Lock()
	ch := w.chats[id]
	if ch != nil && typ == session.TypeOffer {
		ch.next = append(ch.next, session.Connected)
	}
	w.mu.Unlock()
	if ch != nil {
		if typ == session.TypeOffer {
			chaosSend(r.ctx, c, session.TypeAccept, id, nil)
		}
		return
	}
	if typ == session.TypeOffer && !chaosSend(r.ctx, c, session.TypeAccept, id, nil) {
		return
	}
	if chaosSend(r.ctx, c, session.TypeEnd, id, nil) {
		chaosSend(r.ctx, c, session.TypeDone, id, nil)
	}
}

// moved records a state the agent was told. The caller holds w.mu.
func (w *chaosWorld) moved(ch *chaosChat, s session.State) {
	ch.state, ch.next = s, nil
	if s == session.Done && ch.doneAt < 0 {
		ch.doneAt = 1 << 30
	}
}

// compare checks a chat's first snapshot in a run after a restart against
// what its clients were told before. The caller holds w.mu.
func (w *chaosWorld) compare(r *chaosRun, ch *chaosChat, agent string, d session.ChatData) {
	if r.n == 0 || r.checked[ch.id] {
		return
	}
	r.checked[ch.id] = true
	if ch.agent != "" && ch.agent != agent && ch.state != session.Queued && !slices.Contains(ch.next, session.Queued) {
		w.problem("run %d: %s came back to %s, it was %s's (%v)", r.n, ch.id, agent, ch.agent, ch.state)
	}
	if d.State != ch.state && !slices.Contains(ch.next, d.State) && ch.state != session.Queued {
		w.problem("run %d: %s came back %v, its agent was told %v (then asked for %v)", r.n, ch.id, d.State, ch.state, ch.next)
	}
	have := map[int64]string{}
	for _, m := range d.Transcript {
		have[m.ID] = m.Text
	}
	for id, text := range ch.agentSeen {
		if have[id] != text {
			w.problem("run %d: %s came back without line %d %q the agent had", r.n, ch.id, id, text)
		}
	}
	if !ch.resumed {
		ch.resumed = true
		w.resumedN++
	}
}

// customer is one customer for a run: a new one joins (c nil), one from an
// earlier run resumes with its token and checks its transcript; then it
// says its lines and leaves.
func (w *chaosWorld) customer(r *chaosRun, ch *chaosChat) {
	c := chaosDial(r, "/v1/customer")
	if c == nil {
		return
	}
	joined := make(chan struct{})
	var once sync.Once
	contact := ""
	if ch == nil {
		w.mu.Lock()
		w.contacts++
		contact = fmt.Sprintf("k%d", w.contacts) // one session each: the store gives its lines back as history
		w.mu.Unlock()
		if !chaosSend(r.ctx, c, session.TypeJoin, "", session.JoinData{Name: "Cust " + contact, Contact: contact}) {
			return
		}
	} else {
		w.mu.Lock()
		ch.left = false // a leave sent just before a kill may never have arrived: say it again
		w.mu.Unlock()
		if !chaosSend(r.ctx, c, session.TypeJoin, "", session.JoinData{Resume: ch.resume}) {
			return
		}
	}
	r.spawn(func() { // the customer's lines, once joined
		select {
		case <-joined:
		case <-r.ctx.Done():
			return
		}
		for {
			w.mu.Lock()
			if ch == nil { // the socket ended before the hub answered the join
				w.mu.Unlock()
				return
			}
			say, leave, id := ch.said < chaosLines, ch.said >= chaosLines && !ch.left && ch.state == session.Connected, ch.id
			n := ch.said + 1
			if say {
				ch.said = n
			}
			if leave {
				ch.left = true
			}
			w.mu.Unlock()
			switch {
			case say:
				if !chaosSend(r.ctx, c, session.TypeSend, id, session.SendData{Text: fmt.Sprintf("%s line %d", id, n)}) {
					return
				}
			case leave:
				w.mu.Lock()
				ch.next = append(ch.next, session.ACW)
				w.mu.Unlock()
				chaosSend(r.ctx, c, session.TypeLeave, id, nil)
				return
			}
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(time.Duration(30+rand.IntN(60)) * time.Millisecond):
			}
		}
	})
	readLoop(r, c, func(env session.Envelope) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch env.Type {
		case session.TypeJoined:
			var d session.JoinedData
			_ = env.Decode(&d)
			if ch == nil {
				if w.chats[d.Chat] != nil {
					w.problem("run %d: chat id %s handed out twice", r.n, d.Chat)
					return
				}
				ch = &chaosChat{id: d.Chat, resume: d.Resume, contact: contact, custSeen: map[int64]string{}, agentSeen: map[int64]string{}, doneAt: -1}
				w.chats[d.Chat] = ch
				w.order = append(w.order, d.Chat)
			} else {
				have := map[int64]string{}
				for _, m := range d.Lines {
					have[m.ID] = m.Text
				}
				for id, text := range ch.custSeen {
					if have[id] != text {
						w.problem("run %d: %s resumed without line %d %q the customer had", r.n, ch.id, id, text)
					}
				}
			}
			once.Do(func() { close(joined) })
		case session.TypeMessage:
			var m session.MessageData
			_ = env.Decode(&m)
			if ch != nil {
				ch.custSeen[m.ID] = m.Text
			}
		case session.TypeEnded:
			if ch != nil {
				ch.custDone = true
			}
		case session.TypeError:
			var d session.ErrorData
			_ = env.Decode(&d)
			if ch != nil && d.Code == session.ErrCodeNoSuchChat { // over while the customer was away
				ch.custDone = true
			}
		}
	})
	once.Do(func() { close(joined) })
}

// checkRun fails the test with what a run found wrong.
func (w *chaosWorld) checkRun(r *chaosRun) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		w.t.Error(p)
	}
	w.problems = nil
	if w.t.Failed() {
		w.t.FailNow()
	}
}

// finish lets the last run play the day out: every customer says its
// lines and leaves, every chat is wrapped up and done.
func (w *chaosWorld) finish(r *chaosRun, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		w.mu.Lock()
		all := w.opened >= chaosCustomers && len(w.chats) > 0
		for _, c := range w.chats {
			all = all && c.doneAt >= 0
		}
		w.mu.Unlock()
		if all {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop()
	w.checkRun(r)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range w.order {
		if c := w.chats[id]; c.doneAt < 0 {
			w.t.Errorf("%s never finished: %v (then %v), customer said %d", id, c.state, c.next, c.said)
		}
	}
}

// checkStore reads the stopped hub's store: every chat anyone was told of
// is there, done, with every line anyone was told of, and every recorded
// chat has its recording.
func (w *chaosWorld) checkStore(db store.Store) {
	ctx := context.Background()
	w.mu.Lock()
	defer w.mu.Unlock()
	recorded, stored := 0, 0
	for _, id := range w.order {
		ch := w.chats[id]
		row, err := db.Chat(ctx, id)
		if err != nil || row.State != session.Done {
			w.t.Errorf("%s in the store: %v %v, want done", id, row.State, err)
			continue
		}
		page, err := db.Recordings(ctx, store.RecordingFilter{Interaction: id})
		if err != nil {
			w.t.Fatal(err)
		}
		lines := map[int64]string{}
		for _, r := range page.Recordings {
			for _, m := range r.Lines {
				lines[m.ID] = m.Text
			}
		}
		if ch.recorded {
			recorded++
			if len(page.Recordings) > 0 && page.Recordings[0].Produced && len(lines) > 0 {
				stored++
			} else {
				w.t.Errorf("%s was recorded; the store has %+v", id, page.Recordings)
			}
		}
	}
	hist, _, err := db.History(ctx, store.HistoryQuery{Contact: "nobody", Sessions: 1})
	if err != nil || len(hist) != 0 {
		w.t.Errorf("history of an unknown contact: %v %v", hist, err)
	}
	// Every line anyone was told of, by id, in the store.
	live, err := db.Load(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(live.Chats) != 0 {
		var ids []string
		for _, c := range live.Chats {
			ids = append(ids, c.ID+"="+c.State.String())
		}
		w.t.Errorf("chats still live at the end: %v", ids)
	}
	for _, id := range w.order {
		ch := w.chats[id]
		hist, _, err := db.History(ctx, store.HistoryQuery{Contact: ch.contact, Sessions: 1})
		if err != nil || len(hist) != 1 || hist[0].Chat != id {
			w.t.Errorf("%s: its session in the store: %+v %v", id, hist, err)
			continue
		}
		got := map[int64]string{}
		for _, m := range hist[0].Transcript {
			got[m.ID] = m.Text
		}
		for lid, text := range ch.custSeen {
			if got[lid] != text {
				w.t.Errorf("%s: line %d %q the customer was told of is not in the store (%q)", id, lid, text, got[lid])
			}
		}
		for lid, text := range ch.agentSeen {
			if got[lid] != text {
				w.t.Errorf("%s: line %d %q the agent was told of is not in the store (%q)", id, lid, text, got[lid])
			}
		}
	}
	w.t.Logf("Report: chats %d, resumed %d; recordings %d, stored %d", len(w.order), w.resumedN, recorded, stored)
	if len(w.order) < chaosCustomers/2 || w.resumedN == 0 || recorded == 0 || recorded != stored {
		w.t.Errorf("chats %d, resumed %d; recordings %d, stored %d: the day was too short or lost something", len(w.order), w.resumedN, recorded, stored)
	}
}
