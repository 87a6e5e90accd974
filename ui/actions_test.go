package ui

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

func decode[T any](t *testing.T, e session.Envelope) T {
	t.Helper()
	var v T
	if err := e.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Key actions send the right frame for the selected chat, from the list's
// single keys and from the chords anywhere.
func TestKeyActions(t *testing.T) {
	cases := []struct {
		name   string
		chat   string   // select this contact first
		keys   []string // then press these
		want   []string // sent frames, type:chat
		status string   // the status line then contains this
	}{
		{"R-I1 a accepts the selected offer", "Dan Oduya", []string{"a"}, []string{"accept:dan"}, ""},
		{"R-I1 ctrl+a accepts from anywhere", "Dan Oduya", []string{"tab", "ctrl+a"}, []string{"accept:dan"}, ""},
		{"R-I1 x rejects the offer", "Dan Oduya", []string{"x"}, []string{"reject:dan"}, ""},
		{"R-I1 e ends a connected chat", "Cy Young", []string{"e"}, []string{"end:cy"}, ""},
		{"R-I1 accept is disabled on a connected chat, in words", "Cy Young", []string{"a"}, nil, "Accept: only an alerting chat"},
		{"R-C3 Record is disabled without the hub's recording state, in words", "Cy Young", []string{"r", "ctrl+r"}, nil, "Record: the chat is not in a state that allows recording"},
		{"R-C3 Snip and Pause too", "Cy Young", []string{"s", "p"}, nil, "Pause: the chat is not in a state that allows recording"},
		{"R-I1 d marks done in wrap-up", "Fay Wong", []string{"d"}, []string{"done:fay"}, ""},
		{"R-I1 ctrl+d marks done from the form", "Fay Wong", []string{"tab", "ctrl+d"}, []string{"done:fay"}, ""},
		{"R-I1 done is disabled while connected", "Cy Young", []string{"d"}, nil, "Mark Done: only in wrap-up"},
		{"enter in the composer sends, then typing stops", "Cy Young", []string{"tab", "t:hi", "enter"},
			[]string{"typing:cy", "send:cy", "typing:cy"}, ""},
		{"letters in the composer are text, not actions", "Cy Young", []string{"tab", "t:ex", "enter"},
			[]string{"typing:cy", "send:cy", "typing:cy"}, ""},
		{"y toggles ready", "Cy Young", []string{"y"}, []string{"ready"}, ""},
		{"R-I5 u then a URL pushes it", "Cy Young", []string{"u", "t:https://example.com/x", "enter"}, []string{"push_url:cy"}, "pushed https://example.com/x"},
		{"R-I5 a bad URL is refused in words", "Cy Young", []string{"u", "t:example", "enter"}, nil, `"example" is not a web address`},
		{"issue 11 point 18: a bare address is pushed as https", "Cy Young", []string{"u", "t:example.org/help", "enter"}, []string{"push_url:cy"}, "pushed https://example.org/help"},
		{"R-I5 esc cancels the prompt", "Cy Young", []string{"u", "t:https://x.org", "esc", "enter"}, nil, "cancelled"},
		{"R-I10 a number picks a disposition", "Fay Wong", []string{"3"}, []string{"wrapup:fay"}, "disposition: Escalated"},
		{"R-I10 enter on the list picks the highlighted one", "Fay Wong", []string{"tab", "down", "down", "enter"}, []string{"wrapup:fay"}, "disposition: Escalated"},
		{"R-I10 a note is saved with enter", "Fay Wong", []string{"tab", "tab", "t:called back", "enter"}, []string{"wrapup:fay"}, "note saved"},
		{"R-I10 case data key=value", "Fay Wong", []string{"tab", "tab", "tab", "t:ticket=T-9", "enter"}, []string{"wrapup:fay"}, "case data: ticket=T-9"},
		{"R-I10 case data without = is refused", "Fay Wong", []string{"tab", "tab", "tab", "t:ticket", "enter"}, nil, "Case data: write key=value"},
		{"R-I10 an unsaved note goes before done", "Fay Wong", []string{"tab", "tab", "t:n1", "ctrl+d"}, []string{"wrapup:fay", "done:fay"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, h, _ := newModel(t)
			welcomeDesk(t, m)
			selectChat(t, m, tc.chat)
			h.reset()
			press(t, m, tc.keys...)
			if got := h.types(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("sent %v, want %v", got, tc.want)
			}
			if tc.status != "" && !strings.Contains(m.status, tc.status) {
				t.Fatalf("status %q, want it to contain %q", m.status, tc.status)
			}
		})
	}
}

// The payloads carry what the agent typed or picked.
func TestPayloads(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Cy Young")
	press(t, m, "tab", "t:hello there", "enter")
	sent := h.types()
	if len(sent) < 2 || sent[len(sent)-2] != "send:cy" {
		t.Fatalf("sent %v", sent)
	}
	h.mu.Lock()
	send := h.sent[len(h.sent)-2]
	h.mu.Unlock()
	if got := decode[session.SendData](t, send); got.Text != "hello there" {
		t.Fatalf("send text %q", got.Text)
	}
	if got := decode[session.TypingData](t, h.last(t)); got.Typing {
		t.Fatal("typing not stopped after send")
	}
	if m.composer.Value() != "" {
		t.Fatal("composer not cleared")
	}

	press(t, m, "esc", "y")
	if got := decode[session.ReadyData](t, h.last(t)); got.Ready {
		t.Fatal("y on a ready agent should send ready=false")
	}

	selectChat(t, m, "Fay Wong")
	press(t, m, "2")
	if got := decode[session.WrapUpData](t, h.last(t)); got.Disposition != "Follow-up needed" {
		t.Fatalf("disposition %+v", got)
	}
	press(t, m, "tab", "tab", "tab", "t: order = B-7 ", "enter")
	if got := decode[session.WrapUpData](t, h.last(t)); got.CaseData["order"] != "B-7" {
		t.Fatalf("case data %+v", got)
	}
}

// Typing notices are throttled and stop after an idle time.
func TestTypingThrottle(t *testing.T) {
	m, h, clock := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Cy Young")
	h.reset()
	press(t, m, "tab", "t:abc")
	if got := h.types(); !reflect.DeepEqual(got, []string{"typing:cy"}) {
		t.Fatalf("three keys sent %v, want one typing", got)
	}
	*clock = clock.Add(typingEvery)
	press(t, m, "t:d")
	if n := len(h.types()); n != 2 {
		t.Fatalf("after %s another key should resend typing; sent %v", typingEvery, h.types())
	}
	*clock = clock.Add(typingIdle)
	_, cmd := m.Update(tickMsg{})
	runBatchSkippingTicks(t, m, cmd)
	if got := decode[session.TypingData](t, h.last(t)); got.Typing {
		t.Fatal("idle did not send typing=false")
	}
}

// runBatchSkippingTicks runs the non-timer commands of a tick's batch.
func runBatchSkippingTicks(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	batch, ok := cmd().(tea.BatchMsg)
	if !ok {
		t.Fatal("tick did not return a batch")
	}
	for _, c := range batch[:len(batch)-1] { // the last one re-arms the tick
		run(t, m, c)
	}
}

// Mouse: a click on a row selects it; a click on a toolbar button acts.
func TestMouse(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	rowOf := func(name string) int {
		for y, l := range strings.Split(plain(t, m), "\n") {
			if strings.Contains(l, name) && strings.Contains(l, "│") && strings.Index(l, name) < strings.Index(l, "│") {
				return y
			}
		}
		t.Fatalf("no row for %s", name)
		return 0
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: rowOf("Eve Adams"), Button: tea.MouseLeft})
	if c := m.selectedChat(); c == nil || c.ID != "eve" {
		t.Fatalf("click on Eve's row selected %v", c)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: rowOf("Dan Oduya"), Button: tea.MouseLeft})
	first := strings.Split(plain(t, m), "\n")[1]
	x := strings.Index(first, "[a Accept]")
	h.reset()
	_, cmd := m.Update(tea.MouseClickMsg{X: x + 2, Y: 1, Button: tea.MouseLeft})
	run(t, m, cmd)
	if got := h.types(); !reflect.DeepEqual(got, []string{"accept:dan"}) {
		t.Fatalf("click on Accept sent %v", got)
	}
	h.reset()
	_, cmd = m.Update(tea.MouseClickMsg{X: 99, Y: 1, Button: tea.MouseLeft})
	run(t, m, cmd)
	if len(h.types()) != 0 {
		t.Fatal("a click beside the buttons did something")
	}

	at := func(text string) (x, y int) {
		for y, l := range strings.Split(plain(t, m), "\n") {
			if i := strings.Index(l, text); i >= 0 {
				return len([]rune(l[:i])), y
			}
		}
		t.Fatalf("%q not on screen", text)
		return 0, 0
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: rowOf("Cy Young"), Button: tea.MouseLeft})
	x, y := at("enter to write")
	m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
	if m.focus != focusComposer {
		t.Fatalf("click on the composer: focus %d", m.focus)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: rowOf("Fay Wong"), Button: tea.MouseLeft})
	x, y = at("3 Escalated")
	h.reset()
	_, cmd = m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft})
	run(t, m, cmd)
	if got := h.types(); !reflect.DeepEqual(got, []string{"wrapup:fay"}) || decode[session.WrapUpData](t, h.last(t)).Disposition != "Escalated" {
		t.Fatalf("R-I10 click on a disposition sent %v", got)
	}
	x, y = at("[d Mark Done]")
	h.reset()
	_, cmd = m.Update(tea.MouseClickMsg{X: x + 1, Y: y, Button: tea.MouseLeft})
	run(t, m, cmd)
	if got := h.types(); !reflect.DeepEqual(got, []string{"done:fay"}) {
		t.Fatalf("R-I1 click on Mark Done sent %v", got)
	}
}

// A send that fails comes back as words on the status line; hub errors
// are shown in words too.
func TestErrorsInWords(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Dan Oduya")
	h.err = errors.New("socket closed")
	press(t, m, "a")
	if !m.statusErr || !strings.Contains(plain(t, m), "could not accept: socket closed") {
		t.Fatalf("status %q", m.status)
	}
	feed(t, m, frame_(t, session.TypeError, "dan", session.ErrorData{Code: session.ErrCodeBadState, Message: "the offer is gone"}))
	s := plain(t, m)
	if !strings.Contains(s, "hub refused: the offer is gone (bad_state)") {
		t.Fatalf("hub error not in words:\n%s", s)
	}
	feed(t, m, session.Envelope{V: 1, Type: session.TypeMessage, Chat: "ghost", Data: []byte(`{"text":"x"}`)})
	if !strings.Contains(m.status, "unknown chat") {
		t.Fatalf("frame about an unknown chat: status %q", m.status)
	}
}

// A desktop without a hub says so instead of failing silently.
func TestNoHub(t *testing.T) {
	m := New(Options{})
	if m.Init() == nil {
		t.Fatal("Init without a hub still ticks")
	}
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	run(t, m, cmd)
	if !strings.Contains(m.status, "no hub connection") {
		t.Fatalf("status %q", m.status)
	}
}

// q in the list and ctrl+c anywhere quit; with live chats they ask first
// and say what happens to them (issue 11 point 7); y or a second ctrl+c
// quits, n stays.
func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m, _, _ := newModel(t)
		feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada"}, Settings: settings()}))
		_, cmd := m.Update(keyMsgs(t, k)[0])
		if !quits(cmd) {
			t.Fatalf("%s with nothing live does not quit at once", k)
		}
	}
	for _, tc := range []struct{ k, answer string }{{"q", "y"}, {"ctrl+c", "ctrl+c"}, {"q", "ctrl+c"}} {
		m, _, _ := newModel(t)
		welcomeDesk(t, m)
		_, cmd := m.Update(keyMsgs(t, tc.k)[0])
		if quits(cmd) || m.confirm == nil || m.confirm.act != actQuit {
			t.Fatalf("%s with live chats quits without asking", tc.k)
		}
		s := plain(t, m)
		for _, w := range []string{"Quit with live work?", "3 chats connected (Bob Marsh, Cy Young, Eve Adams)",
			"after that they go back to the queue for another agent", "1 chat in wrap-up (Fay Wong)", "1 offer (Dan Oduya): withdrawn now"} {
			if !strings.Contains(strings.Join(strings.Fields(strings.ReplaceAll(s, "│", "")), " "), w) {
				t.Errorf("the question lacks %q:\n%s", w, s)
			}
		}
		_, cmd = m.Update(keyMsgs(t, tc.answer)[0])
		if !quits(cmd) {
			t.Fatalf("%s then %s does not quit", tc.k, tc.answer)
		}
	}
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	press(t, m, "q", "n")
	if m.confirm != nil || !strings.Contains(m.status, "Quit: cancelled") {
		t.Fatalf("n: confirm %v, status %q", m.confirm, m.status)
	}
	selectChat(t, m, "Cy Young")
	press(t, m, "tab")
	_, cmd := m.Update(keyMsgs(t, "q")[0])
	if quits(cmd) || m.confirm != nil {
		t.Fatal("q in the composer quits instead of typing")
	}
	if m.composer.Value() != "q" {
		t.Fatalf("composer %q", m.composer.Value())
	}
}

func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if _, ok := msg.(tea.QuitMsg); ok {
		return true
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := 0; i < v.Len(); i++ {
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				if _, ok := c().(tea.QuitMsg); ok {
					return true
				}
			}
		}
	}
	return false
}

// R-I11: notices appear on the status line as they happen, including the
// pending warning the tick derives.
func TestNoticesAsTheyHappen(t *testing.T) {
	m, _, clock := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	feed(t, m, frame_(t, session.TypeMessage, "bob", session.MessageData{ID: 20, From: session.FromSystem, Text: "Grace Hopper joined the chat", At: now}))
	if !strings.Contains(m.status, "Grace Hopper joined the chat") {
		t.Fatalf("status %q", m.status)
	}
	feed(t, m, frame_(t, session.TypeAttention, "bob", session.AttentionData{Reason: session.AttnInactivitySoon, Text: "quiet for 4 minutes", Deadline: now.Add(time.Minute)}))
	if s := plain(t, m); !strings.Contains(s, "! quiet for 4 minutes (in 01:00)") {
		t.Fatalf("attention line missing:\n%s", s)
	}
	*clock = clock.Add(30 * time.Second)
	m.Update(tickMsg{})
	if !strings.Contains(m.status, "has waited") {
		t.Fatalf("R-I4/R-I11 no pending warning on tick: %q", m.status)
	}
}

// Text from the hub cannot drive the agent's terminal: escape sequences in
// names, messages and previews are not drawn; line breaks in a message are.
func TestHostileText(t *testing.T) {
	m, _, _ := newModel(t)
	feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{
		Agent: session.AgentInfo{Name: "Ada"}, Settings: settings(), Ready: true,
		Chats: []session.ChatData{{ID: "z", Customer: "Zed\x1b]0;pwned\x07", State: session.Connected,
			Transcript: []session.MessageData{line(1, session.FromCustomer, "Zed\x1b[2J", "first\nsecond\x1b[31m", now)}}},
	}))
	feed(t, m, frame_(t, session.TypeTyping, "z", session.TypingData{Typing: true, Preview: "\x9b6n"}))
	v := m.View().Content
	for _, bad := range []string{"\x1b]0;", "\x1b[2J", "\x07", "\x9b", "\x1b[31m"} {
		if strings.Contains(v, bad) {
			t.Errorf("screen carries %q from the hub", bad)
		}
	}
	s := plain(t, m)
	if !strings.Contains(s, "Zed]0;pwned") || !strings.Contains(s, "first") || !strings.Contains(s, "      second[31m") {
		t.Fatalf("text lost or line break not kept:\n%s", s)
	}
}

func longChat(n int) session.ChatData {
	c := session.ChatData{ID: "long", Customer: "Lou", State: session.Connected}
	for i := range n {
		from, name := session.FromCustomer, "Lou"
		if i%2 == 1 {
			from, name = session.FromAgent, "Ada"
		}
		c.Transcript = append(c.Transcript, line(int64(i+1), from, name, fmt.Sprintf("message number %d", i), now.Add(time.Duration(i-n)*time.Second)))
	}
	return c
}

// R-I2: the transcript scrolls back with pgup and says how far.
func TestScroll(t *testing.T) {
	m, _, _ := newModel(t)
	feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{Settings: settings(), Chats: []session.ChatData{longChat(60)}}))
	if s := plain(t, m); !strings.Contains(s, "message number 59") || strings.Contains(s, "message number 30") {
		t.Fatalf("bottom of the transcript not shown:\n%s", s)
	}
	for range 20 { // far past the top: stops there
		press(t, m, "pgup")
		_ = plain(t, m)
	}
	s := plain(t, m)
	if !strings.Contains(s, "message number 0") || !strings.Contains(s, "newer lines · pgdown") {
		t.Fatalf("pgup did not reach the top:\n%s", s)
	}
	press(t, m, "pgdown")
	if m.scroll != m.maxScroll-5 {
		t.Fatalf("pgdown from the top: scroll %d, max %d", m.scroll, m.maxScroll)
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.scroll != m.maxScroll-8 {
		t.Fatalf("wheel down: scroll %d, max %d", m.scroll, m.maxScroll)
	}
}

// The frame cost of a long transcript: only the visible tail is wrapped.
func BenchmarkViewLongTranscript(b *testing.B) {
	m := New(Options{Now: func() time.Time { return now }})
	e, _ := session.NewEnvelope(session.TypeWelcome, "", session.WelcomeData{Settings: settings(), Chats: []session.ChatData{longChat(100_000)}})
	m.Update(linkMsg{Envelope: &e})
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// Issue 11 point 8: a hub that refuses the desktop for good (a wrong
// token) ends it, and Err says why; a dropped link does not.
func TestRefusedEndsTheDesktop(t *testing.T) {
	m, _, _ := newModel(t)
	m.Update(linkMsg{Status: &session.LinkStatus{State: session.LinkDown, Err: "network"}})
	if m.Err() != nil { // (its command waits for the next event: not run here)
		t.Fatalf("a dropped link ends the desktop (err %v)", m.Err())
	}
	_, cmd := m.Update(linkMsg{Status: &session.LinkStatus{State: session.LinkRefused, Err: "the token is not known to this hub"}})
	if !quits(cmd) {
		t.Fatal("a refused desktop stays open")
	}
	if err := m.Err(); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the token is not known to this hub") {
		t.Fatalf("Err() = %v", err)
	}
}

// Issue 11 point 18 (R-I5): what the agent types becomes the address the
// customer gets; https is assumed for a bare one, other schemes refused.
func TestWebAddress(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"example.org", "https://example.org", ""},
		{"  example.org/help?x=1 ", "https://example.org/help?x=1", ""},
		{"http://example.org/a", "http://example.org/a", ""},
		{"https://pay.example.com/refund?id=42", "https://pay.example.com/refund?id=42", ""},
		{"localhost:8080/x", "https://localhost:8080/x", ""},
		{"10.0.0.1/status", "https://10.0.0.1/status", ""},
		{"example", "", "is not a web address"},
		{"not a url", "", "is not a web address"},
		{"", "", "is not a web address"},
		{"ftp://example.org/f", "", "only http and https"},
		{"javascript:alert(1)", "", "only http and https"},
		{"mailto:ada@example.org", "", "only http and https"},
	}
	for _, tt := range tests {
		got, err := webAddress(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("webAddress(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("webAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// Issue 11 point 6: after typing, the list's single keys stay off until a
// deliberate move; chords still act; esc from Push URL goes back to the
// message box; ctrl+n keeps the message box, with each chat's own text.
func TestTypingGuard(t *testing.T) {
	typedThenDropped := func(t *testing.T) (*Model, *fakeHub) {
		m, h, _ := newModel(t)
		welcomeDesk(t, m)
		selectChat(t, m, "Cy Young")
		press(t, m, "tab", "t:ok")
		m.setFocus(focusList) // as when the chat ends under the agent
		h.reset()
		return m, h
	}
	t.Run("letters do nothing, once said", func(t *testing.T) {
		m, h := typedThenDropped(t)
		press(t, m, "t:yes, really done")
		if got := h.types(); len(got) != 0 {
			t.Fatalf("stray keys sent %v", got)
		}
		if !strings.Contains(m.status, `"y" not taken as a command`) || m.help || m.confirm != nil {
			t.Fatalf("status %q, help %v, confirm %v", m.status, m.help, m.confirm)
		}
	})
	t.Run("a chord acts", func(t *testing.T) {
		m, h := typedThenDropped(t)
		press(t, m, "ctrl+e")
		if got := h.types(); !reflect.DeepEqual(got, []string{"typing:cy", "end:cy"}) { // the typing notice ends first
			t.Fatalf("sent %v", got)
		}
	})
	for _, move := range []string{"esc", "up", "down"} {
		t.Run(move+" turns the keys on", func(t *testing.T) {
			m, h := typedThenDropped(t)
			press(t, m, move, "y")
			if got := h.types(); !reflect.DeepEqual(got, []string{"ready"}) {
				t.Fatalf("sent %v", got)
			}
		})
	}
	t.Run("esc from Push URL goes back to the message box", func(t *testing.T) {
		m, _, _ := newModel(t)
		welcomeDesk(t, m)
		selectChat(t, m, "Cy Young")
		press(t, m, "tab", "t:I will", "ctrl+u", "esc", "t: see")
		if m.focus != focusComposer || m.composer.Value() != "I will see" {
			t.Fatalf("focus %v, message box %q", m.focus, m.composer.Value())
		}
	})
	t.Run("ctrl+n keeps the message box and each chat's text", func(t *testing.T) {
		m, _, _ := newModel(t)
		welcomeDesk(t, m)
		selectChat(t, m, "Cy Young")
		press(t, m, "tab", "t:for cy", "ctrl+n")
		if c := m.selectedChat(); c.Customer != "Eve Adams" || m.focus != focusComposer || m.composer.Value() != "" {
			t.Fatalf("after ctrl+n: %s, focus %v, box %q", c.Customer, m.focus, m.composer.Value())
		}
		press(t, m, "ctrl+p")
		if m.composer.Value() != "for cy" {
			t.Fatalf("back on Cy: box %q", m.composer.Value())
		}
	})
}

// Issue 11 point 10: a new offer says so in the status line and rings the
// terminal bell when the desktop has it on; a snapshot of the same offer
// does not ring again; the list keeps its order, so the cursor's row is
// the chat the keys act on.
func TestOfferBellAndNotice(t *testing.T) {
	for _, bell := range []bool{true, false} {
		m := New(Options{Hub: newFakeHub(), Now: func() time.Time { return now }, Bell: bell})
		offer := frame_(t, session.TypeOffer, "dan", session.ChatData{ID: "dan", Customer: "Dan Oduya", Queue: "general", OfferedAt: now})
		m.onLink(session.LinkEvent{Envelope: &offer})
		if !strings.Contains(m.status, "! new offer from Dan Oduya (queue general): a accepts, x rejects") {
			t.Errorf("status %q", m.status)
		}
		cmd := m.ringBell()
		if (cmd != nil) != bell {
			t.Fatalf("bell %v: ring command %v", bell, cmd != nil)
		}
		if cmd != nil {
			if msg, ok := cmd().(tea.RawMsg); !ok || msg.Msg != "\a" {
				t.Fatalf("the bell sends %#v, want BEL", cmd())
			}
		}
		m.onLink(session.LinkEvent{Envelope: &offer})
		if m.ringBell() != nil {
			t.Error("the same offer rang twice")
		}
	}

	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Cy Young")
	feed(t, m, frame_(t, session.TypeOffer, "gus", session.ChatData{ID: "gus", Customer: "Gus Lee", OfferedAt: now}))
	if c := m.selectedChat(); c.Customer != "Cy Young" {
		t.Fatalf("a new offer moved the cursor to %s", c.Customer)
	}
	rows := func() []string {
		var out []string
		for _, c := range m.desk.Chats() {
			out = append(out, c.Customer)
		}
		return out
	}
	before := rows()
	selectChat(t, m, "Dan Oduya")
	h.reset()
	press(t, m, "a")
	feed(t, m, frame_(t, session.TypeChat, "dan", session.ChatData{ID: "dan", Customer: "Dan Oduya", State: session.Connected}))
	if got := h.types(); !reflect.DeepEqual(got, []string{"accept:dan"}) {
		t.Fatalf("a sent %v", got)
	}
	if after := rows(); !reflect.DeepEqual(after, before) || m.selectedChat().Customer != "Dan Oduya" {
		t.Fatalf("accepting reordered the list: %v → %v (cursor on %s)", before, after, m.selectedChat().Customer)
	}
}

// Issue 11 point 10: an offer withdrawn and offered again at once (nobody
// else can take it) says both, so neither hides the other.
func TestOfferBackAtOnce(t *testing.T) {
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	feed(t, m, frame_(t, session.TypeRevoked, "dan", session.RevokedData{Reason: session.RevokeTimeout}),
		frame_(t, session.TypeOffer, "dan", session.ChatData{ID: "dan", Customer: "Dan Oduya", OfferedAt: now}))
	want := "! Offer from Dan Oduya withdrawn (timeout); offered to you again: a accepts, x rejects"
	if m.status != want {
		t.Fatalf("status %q, want %q", m.status, want)
	}
}
