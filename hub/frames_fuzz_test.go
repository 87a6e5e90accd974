package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// fakeConn stands in for a peer's websocket in the fuzz targets: it checks
// that everything the hub writes is a JSON envelope of the protocol.
type fakeConn struct {
	mu     sync.Mutex
	frames int
	bad    []string
}

func (c *fakeConn) Write(_ context.Context, _ websocket.MessageType, b []byte) error {
	var env session.Envelope
	err := json.Unmarshal(b, &env)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames++
	if err != nil || env.V != session.ProtocolVersion || env.Type == "" {
		c.bad = append(c.bad, string(b))
	}
	return nil
}

func (c *fakeConn) Close(websocket.StatusCode, string) error { return nil }
func (c *fakeConn) CloseNow() error                          { return nil }
func (c *fakeConn) Ping(context.Context) error               { return nil }

// frameHarness is a hub with an agent (ada, ready) and a customer socket
// driven frame by frame, as readLoop drives them, without a network.
type frameHarness struct {
	t      *testing.T
	s      *Server
	agent  *agentSocket
	grace  *agentSocket // a second agent, logged in, not ready (issue 14)
	sue    *agentSocket // a supervisor (R-C8)
	sc     *fakeConn
	sin    inbound
	cust   *customerSocket
	ac, cc *fakeConn
	gc     *fakeConn
	ain    inbound
	gin    inbound
	cin    inbound
	stop   bool // a frame was refused for good: the socket would close
}

func newFrameHarness(t *testing.T) *frameHarness {
	cfg := testConfig(t, func(c *Config) {
		c.Limits.MessageBurst, c.Limits.TypingBurst = 1000, 1000 // the fuzzer's frames come at once
		c.Limits.MaxLinesPerChat = 50
	})
	s := newHub(t, cfg)
	h := &frameHarness{t: t, s: s, ac: &fakeConn{}, cc: &fakeConn{}, gc: &fakeConn{}, sc: &fakeConn{}}
	ap, cp, gp, sp := newPeer(h.ac, s.j), newPeer(h.cc, s.j), newPeer(h.gc, s.j), newPeer(h.sc, s.j)
	for _, p := range []*peer{ap, cp, gp, sp} {
		s.addPeer(p)
	}
	h.agent, h.cust, h.grace, h.sue = &agentSocket{s: s, p: ap}, s.newCustomerSocket(cp), &agentSocket{s: s, p: gp}, &agentSocket{s: s, p: sp}
	h.toAgent(`{"v":1,"type":"hello","data":{"token":"t-ada","client":"fuzz"}}`)
	h.toAgent(`{"v":1,"type":"ready","data":{"ready":true}}`)
	h.toAgent(`grace>{"v":1,"type":"hello","data":{"token":"t-grace","client":"fuzz"}}`)
	h.toAgent(`sue>{"v":1,"type":"hello","data":{"token":"t-sue","client":"fuzz"}}`)
	if h.agent.me == nil || h.grace.me == nil || h.sue.me == nil {
		t.Fatal("the harness's agents did not log in")
	}
	return h
}

// toAgent gives ada a frame, or grace one that starts with "grace>".
func (h *frameHarness) toAgent(frame string) {
	as, in := h.agent, &h.ain
	if f, ok := strings.CutPrefix(frame, "grace>"); ok {
		as, in, frame = h.grace, &h.gin, f
	} else if f, ok := strings.CutPrefix(frame, "sue>"); ok {
		as, in, frame = h.sue, &h.sin, f
	}
	if !h.stop && !h.s.frame(as.p, in, []byte(frame), as.frame) {
		h.stop = true
	}
}

func (h *frameHarness) toCustomer(frame []byte) {
	if !h.stop && !h.s.frame(h.cust.p, &h.cin, frame, h.cust.frame) {
		h.stop = true
	}
}

// finish ends both sockets as readLoop's callers do, waits until what the
// hub queued is written, and checks what it wrote.
func (h *frameHarness) finish() {
	h.cust.gone()
	h.agent.gone()
	h.grace.gone()
	h.sue.gone()
	h.s.j.sync()
	deadline := time.Now().Add(2 * time.Second)
	for _, p := range []*peer{h.agent.p, h.cust.p, h.grace.p, h.sue.p} {
		for {
			p.mu.Lock()
			idle := p.dead || (p.head == len(p.queue) && !p.writing)
			p.mu.Unlock()
			if idle || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	for _, c := range []*fakeConn{h.ac, h.cc, h.gc, h.sc} {
		c.mu.Lock()
		for _, b := range c.bad {
			h.t.Errorf("the hub wrote a frame that is not an envelope: %.200q", b)
		}
		c.mu.Unlock()
	}
	h.s.dropPeer(h.agent.p)
	h.s.dropPeer(h.cust.p)
	h.s.dropPeer(h.grace.p)
	h.s.dropPeer(h.sue.p)
}

var customerSeeds = []string{
	`{"v":1,"type":"join","data":{"name":"Ann","contact":"c-1","queue":"general"}}` + "\n" +
		`{"v":1,"type":"send","data":{"text":"hello"}}` + "\n" + `{"v":1,"type":"typing","data":{"typing":true,"preview":"he"}}` + "\n" +
		`{"v":1,"type":"consent","data":{"yes":false}}` + "\n" + `{"v":1,"type":"delete_ask"}` + "\n" + `{"v":1,"type":"leave"}`,
	`{"v":1,"type":"join","data":{"resume":"0000"}}`,
	`{"v":1,"type":"join","data":{"name":"  ","queue":"nope"}}` + "\n" + `{"v":1,"type":"send","data":{"text":"x"}}`,
	`{"v":1,"type":"join","data":{"name":"B\u0000ob\ud800","queue":"billing"}}` + "\n" + `{"v":1,"type":"join","data":{"name":"again"}}`,
	`{"v":2,"type":"join"}` + "\n" + `{"v":1}` + "\n" + `[]` + "\n" + `{"v":1,"type":"send","data":null}` + "\n" + `{"v":1,"type":"ping"}`,
	`{"v":1,"type":"send","chat":"chat-1","ref":"r\"1","data":{"text":"\u2028\u001b[31m"}}`,
}

// FuzzCustomerFrames feeds the hub's customer socket any sequence of
// frames (one a line) with an agent logged in: whatever comes, the hub
// does not panic, writes only envelopes of the protocol, and marks every
// change of a chat for its store (verify mode).
func FuzzCustomerFrames(f *testing.F) {
	for _, s := range customerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h := newFrameHarness(t)
		for _, frame := range bytes.Split(in, []byte("\n")) {
			h.toCustomer(frame)
		}
		h.finish()
	})
}

var agentSeeds = []string{
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `{"v":1,"type":"send","chat":"chat-1","data":{"text":"hi"}}` + "\n" +
		`{"v":1,"type":"record","chat":"chat-1","data":{"button":"record"}}` + "\n" + `{"v":1,"type":"record","chat":"chat-1","data":{"button":"pause"}}` + "\n" +
		`{"v":1,"type":"push_url","chat":"chat-1","data":{"url":"https://example.org/a?b"}}` + "\n" + `{"v":1,"type":"end","chat":"chat-1"}` + "\n" +
		`{"v":1,"type":"wrapup","chat":"chat-1","data":{"disposition":"Resolved","note":"n","case_data":{"k":"v"}}}` + "\n" + `{"v":1,"type":"done","chat":"chat-1"}`,
	`{"v":1,"type":"reject","chat":"chat-1"}` + "\n" + `{"v":1,"type":"accept","chat":"chat-1"}`,
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `{"v":1,"type":"abusive","chat":"chat-1"}` + "\n" + `{"v":1,"type":"delete_rec","chat":"chat-1"}` + "\n" +
		`{"v":1,"type":"history","chat":"chat-1","data":{"before":"x"}}` + "\n" + `{"v":1,"type":"typing","chat":"chat-1","data":{"typing":true}}`,
	`{"v":1,"type":"hello","data":{"token":"t-grace"}}` + "\n" + `{"v":1,"type":"ready","data":{"ready":false}}` + "\n" + `{"v":1,"type":"bogus"}`,
	`{"v":1,"type":"push_url","chat":"chat-1","data":{"url":"javascript:alert(1)"}}` + "\n" + `{"v":1,"type":"wrapup","chat":"chat-9"}`,
	// Multi-party frames (issue 14): grace is logged in on a second socket
	// and answers what she is offered (the harness's "grace>" lines).
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `grace>{"v":1,"type":"ready","data":{"ready":true}}` + "\n" +
		`{"v":1,"type":"transfer","chat":"chat-1","data":{"agent":"grace","text":"over to you"}}` + "\n" +
		`grace>{"v":1,"type":"answer","data":{"invite":"chat-1-transfer-1","accept":true}}` + "\n" + `grace>{"v":1,"type":"send","chat":"chat-1","data":{"text":"hi"}}`,
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `{"v":1,"type":"conference","chat":"chat-1","data":{"agent":"grace"}}` + "\n" +
		`grace>{"v":1,"type":"answer","data":{"invite":"chat-1-conf-1","accept":true}}` + "\n" + `{"v":1,"type":"remove","chat":"chat-1","data":{"agent":"grace"}}` + "\n" +
		`{"v":1,"type":"conference","chat":"chat-1","data":{"queue":"general"}}` + "\n" + `grace>{"v":1,"type":"answer","data":{"invite":"chat-1-conf-2","accept":true}}` + "\n" +
		`{"v":1,"type":"end","chat":"chat-1"}` + "\n" + `grace>{"v":1,"type":"end","chat":"chat-1"}`,
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `{"v":1,"type":"consult","chat":"chat-1","data":{"agent":"grace","text":"a question"}}` + "\n" +
		`grace>{"v":1,"type":"answer","data":{"invite":"chat-1-consult-inv-1","accept":true}}` + "\n" +
		`grace>{"v":1,"type":"consult_send","chat":"chat-1-consult-2","data":{"text":"an answer"}}` + "\n" +
		`{"v":1,"type":"consult_to","chat":"chat-1-consult-2","data":{"to":"conference"}}` + "\n" + `{"v":1,"type":"consult_end","chat":"chat-1-consult-2"}`,
	`{"v":1,"type":"transfer","chat":"chat-1","data":{"agent":"grace","queue":"general"}}` + "\n" + `{"v":1,"type":"answer","data":{"invite":7}}` + "\n" +
		`{"v":1,"type":"remove","chat":"chat-1","data":null}` + "\n" + `{"v":1,"type":"consult_to","chat":"chat-1","data":{"to":"x"}}` + "\n" +
		`grace>{"v":1,"type":"answer","data":{"invite":"chat-1-transfer-1","accept":false,"reason":"\u0000"}}`,
	// Monitoring (R-C8): sue watches, barges in, talks, leaves.
	`{"v":1,"type":"accept","chat":"chat-1"}` + "\n" + `sue>{"v":1,"type":"monitor","chat":"chat-1"}` + "\n" + `sue>{"v":1,"type":"send","chat":"chat-1","data":{"text":"x"}}` + "\n" +
		`sue>{"v":1,"type":"barge","chat":"chat-1"}` + "\n" + `sue>{"v":1,"type":"send","chat":"chat-1","data":{"text":"hello"}}` + "\n" +
		`{"v":1,"type":"end","chat":"chat-1"}` + "\n" + `sue>{"v":1,"type":"end","chat":"chat-1"}` + "\n" + `sue>{"v":1,"type":"ready","data":{"ready":true}}`,
}

// FuzzAgentFrames feeds the hub's agent socket (logged in as ada, ready,
// with chat-1 offered to her) any sequence of frames, one a line, with the
// same checks as FuzzCustomerFrames.
func FuzzAgentFrames(f *testing.F) {
	for _, s := range agentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h := newFrameHarness(t)
		h.toCustomer([]byte(`{"v":1,"type":"join","data":{"name":"Ann","contact":"c-1","queue":"general"}}`))
		h.toCustomer([]byte(`{"v":1,"type":"send","data":{"text":"hello"}}`))
		for _, frame := range bytes.Split(in, []byte("\n")) {
			h.toAgent(string(frame))
		}
		h.finish()
	})
}

// TestFrameHarness: the fuzz targets' harness drives the real handlers: a
// customer joins, ada is offered the chat, accepts, answers, ends and
// marks it done, and each side was written the frames that tell it.
func TestFrameHarness(t *testing.T) {
	h := newFrameHarness(t)
	h.toCustomer([]byte(`{"v":1,"type":"join","data":{"name":"Ann","contact":"c-1","queue":"general"}}`))
	for _, f := range bytes.Split([]byte(agentSeeds[0]), []byte("\n")) {
		h.toAgent(string(f))
	}
	h.s.mu.RLock()
	c := h.s.chats["chat-1"]
	h.s.mu.RUnlock()
	if c != nil {
		t.Fatalf("chat-1 is still live (%v) after done", c.state)
	}
	h.finish()
	if h.ac.frames < 8 || h.cc.frames < 4 {
		t.Fatalf("frames written: agent %d, customer %d", h.ac.frames, h.cc.frames)
	}
}

// TestFrameHarnessParties: the multi-party seeds drive the real handlers:
// the transfer seed leaves chat-1 with grace, the consultation seed turns
// into a conference with grace in it.
func TestFrameHarnessParties(t *testing.T) {
	for i, want := range map[int]func(c *chat) bool{
		5: func(c *chat) bool { return c != nil && c.agent != nil && c.agent.cfg.ID == "grace" },
		7: func(c *chat) bool {
			return c != nil && len(c.parties) == 1 && c.parties[0].cfg.ID == "grace" && len(c.consults) == 0
		},
		9: func(c *chat) bool {
			return c != nil && c.state == session.ACW && len(c.parties) == 0 && len(c.watchers) == 0 &&
				slices.ContainsFunc(c.lines, func(m session.MessageData) bool { return m.Text == "hello" && strings.Contains(m.Name, "sue") })
		},
	} {
		h := newFrameHarness(t)
		h.toCustomer([]byte(`{"v":1,"type":"join","data":{"name":"Ann","contact":"c-1","queue":"general"}}`))
		for _, f := range strings.Split(agentSeeds[i], "\n") {
			h.toAgent(f)
		}
		h.s.mu.RLock()
		ok := want(h.s.chats["chat-1"])
		h.s.mu.RUnlock()
		if !ok {
			t.Errorf("seed %d did not do what it says", i)
		}
		h.finish()
		if n := map[int]int{5: h.gc.frames, 7: h.gc.frames, 9: h.sc.frames}[i]; n < 3 {
			t.Errorf("seed %d: the second agent was written %d frames", i, n)
		}
	}
}
