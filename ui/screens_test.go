package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

func line(id int64, from, name, text string, at time.Time) session.MessageData {
	return session.MessageData{ID: id, From: from, Name: name, Text: text, At: at}
}

func settings() session.Settings {
	return session.Settings{
		PendingWarn:  session.Duration(20 * time.Second),
		PendingAlarm: session.Duration(45 * time.Second),
		ACW:          session.Duration(90 * time.Second),
		OfferTimeout: session.Duration(20 * time.Second),
		Dispositions: []string{"Resolved", "Follow-up needed", "Escalated", "Billing question", "No response"},
	}
}

// chatWaiting is a connected chat whose contact has waited `waited` for a reply.
func chatWaiting(id, name string, waited time.Duration) session.ChatData {
	at := now.Add(-waited)
	return session.ChatData{ID: id, Customer: name, Queue: "general", State: session.Connected, CreatedAt: at.Add(-time.Minute),
		Transcript: []session.MessageData{
			line(1, session.FromAgent, "Ada", "Hello, how can I help?", at.Add(-30*time.Second)),
			line(2, session.FromCustomer, name, "Is anyone there?", at),
		}}
}

// welcomeDesk is the fixture of the screens: an offer, three chats waiting
// for a reply (green, yellow, red), Bob with history, and one in wrap-up.
func welcomeDesk(t *testing.T, m *Model) {
	t.Helper()
	yesterday := now.AddDate(0, 0, -3).Add(-2 * time.Hour)
	bob := session.ChatData{ID: "bob", Customer: "Bob Marsh", CustomerID: "k-42", Queue: "billing", State: session.Connected,
		CreatedAt: now.Add(-3 * time.Minute),
		History: []session.Session{{Chat: "old", Start: yesterday, Transcript: []session.MessageData{
			line(1, session.FromCustomer, "Bob Marsh", "My invoice looks wrong.", yesterday),
			line(2, session.FromAgent, "Grace Hopper", "Fixed, you will get a new one.", yesterday.Add(time.Minute)),
		}}},
		Transcript: []session.MessageData{
			line(10, session.FromSystem, "", "Bob Marsh joined the chat", now.Add(-3*time.Minute)),
			line(11, session.FromCustomer, "Bob Marsh", "Hi, I was charged twice this month.", now.Add(-150*time.Second)),
			line(12, session.FromAgent, "Ada Lovelace", "Sorry about that! Let me look.", now.Add(-140*time.Second)),
			{ID: 13, From: session.FromAgent, Name: "Ada Lovelace", Text: "Please navigate to the link: https://pay.example.com/refund?id=42",
				URL: "https://pay.example.com/refund?id=42", At: now.Add(-100 * time.Second)},
			line(14, session.FromCustomer, "Bob Marsh", "Thanks. Will the refund take long?", now.Add(-8*time.Second)),
		}}
	offer := session.ChatData{ID: "dan", Customer: "Dan Oduya", Queue: "general", State: session.Offered,
		CreatedAt: now.Add(-40 * time.Second), OfferedAt: now.Add(-12 * time.Second), OfferExpiry: now.Add(8 * time.Second),
		Transcript: []session.MessageData{line(1, session.FromCustomer, "Dan Oduya", "I can't log in", now.Add(-40*time.Second))}}
	fay := session.ChatData{ID: "fay", Customer: "Fay Wong", Queue: "general", State: session.ACW, Reason: session.EndContactLeft,
		ACWDeadline: now.Add(75 * time.Second), CaseData: map[string]string{"order": "A-1234"},
		Transcript: []session.MessageData{line(1, session.FromCustomer, "Fay Wong", "All good, bye", now.Add(-time.Minute))}}
	feed(t, m,
		frame_(t, session.TypeWelcome, "", session.WelcomeData{
			Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace", Capacity: 5}, Settings: settings(), Ready: true,
			Chats: []session.ChatData{bob, chatWaiting("cy", "Cy Young", 25*time.Second), chatWaiting("eve", "Eve Adams", 50*time.Second), fay, offer},
		}),
	)
	link(m, session.LinkStatus{State: session.LinkUp})
	feed(t, m, frame_(t, session.TypeTyping, "bob", session.TypingData{Typing: true, Preview: "what I have so far is a long preview that will not fit"}))
}

func selectChat(t *testing.T, m *Model, name string) {
	t.Helper()
	for i := 0; i < 10; i++ {
		if c := m.selectedChat(); c != nil && c.Customer == name {
			return
		}
		press(t, m, "down")
	}
	t.Fatalf("no chat %q in the list", name)
}

// R-I4, R-I2, R-I3, R-I5: My Interactions with several chats; Bob selected
// with his older session, a pushed link and the typing preview.
func TestScreenInteractions(t *testing.T) {
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	golden(t, m, "interactions")
	s := plain(t, m)
	for _, want := range []string{
		"Ada Lovelace", "Ready", "Connected", "My Interactions (5)", "Alerting", "Wrap-up",
		"Bob Marsh is typing: what I have", "https://pay.example.com/refund?id=42",
		"── Tue 17 Nov", "── Fri 20 Nov", "09:59 Bob Marsh: Thanks.", "Record · Snip · Pause: the chat is not in a state that allows recording",
		"[a Accept]", "[d Mark Done]", "customer page: http://127.0.0.1:8080/",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	// the rows keep the order of arrival (issue 11 point 10): the offer,
	// the hub's last, is the last row
	if strings.Index(s, "◆ Dan Oduya") < strings.Index(s, "○ Fay Wong") {
		t.Error("the offer is not listed in its order of arrival")
	}
}

// The same screen stays usable at 80x24.
func TestScreenSmall(t *testing.T) {
	m, _, _ := newModel(t)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	golden(t, m, "small_80x24")
	lines := strings.Split(plain(t, m), "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	for i, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line %d is %d wide", i, w)
		}
	}
}

// R-I4: one chat's indicator in each colour, red flashing between ticks.
func TestScreenPending(t *testing.T) {
	cases := []struct {
		name   string
		waited time.Duration
		colour string // SGR of the dot
		words  string // the level in words in the chat header
	}{
		{"pending_green", 5 * time.Second, "38;5;40m●", "awaiting reply 00:05 "},
		{"pending_yellow", 25 * time.Second, "38;5;220m●", "awaiting reply 00:25 (late)"},
		{"pending_red", 50 * time.Second, "38;5;196m●", "awaiting reply 00:50 (overdue)"},
	}
	for _, tc := range cases {
		t.Run("R-I4 "+tc.name, func(t *testing.T) {
			m, _, _ := newModel(t)
			feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{
				Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace"}, Settings: settings(), Ready: true,
				Chats: []session.ChatData{chatWaiting("cy", "Cy Young", tc.waited)},
			}))
			link(m, session.LinkStatus{State: session.LinkUp})
			golden(t, m, tc.name)
			if s := screen(t, m); !strings.Contains(s, tc.colour) {
				t.Fatalf("dot is not %q", tc.colour)
			}
			if s := plain(t, m); !strings.Contains(s, tc.words) {
				t.Errorf("header lacks %q: without colour the level must read in words", tc.words)
			}
			m.Update(tickMsg{})
			flashed := strings.Contains(screen(t, m), tc.colour)
			if tc.name == "pending_red" && flashed {
				t.Error("red does not flash: same dot after a tick")
			}
			if tc.name != "pending_red" && !flashed {
				t.Error("only red flashes")
			}
		})
	}
}

// R-I1, R-I10: wrap-up with countdown, dispositions, note and case data.
func TestScreenACW(t *testing.T) {
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	selectChat(t, m, "Fay Wong")
	press(t, m, "tab", "down")
	golden(t, m, "acw")
	s := plain(t, m)
	for _, want := range []string{"Wrap-up (contact left)", "closes in 01:15", "1 Resolved", "5 No response", "order=A-1234", "Mark Done", "! Fay Wong left the chat"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
}

// Every key binding is listed by ? (and f1).
func TestScreenHelp(t *testing.T) {
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	press(t, m, "?")
	golden(t, m, "help")
	s := plain(t, m)
	shown := map[string]bool{}
	for _, g := range m.keys.helpGroups() {
		for _, r := range g.rows {
			if !strings.Contains(s, r.keys+" ") || !strings.Contains(s, r.desc) {
				t.Errorf("help lacks %q %q", r.keys, r.desc)
			}
			for _, k := range strings.Fields(r.keys) {
				shown[k] = true
			}
		}
	}
	// every binding of the key map is in the help (chords as ^X), but
	// those of a question or of the My Recordings panel, which the key
	// reminder shows where they act (TestMyRecordingsReminder)
	v := reflect.ValueOf(m.keys)
	local := map[string]bool{"Yes": true, "No": true, "Reload": true, "Save": true, "Player": true}
	for i := range v.NumField() {
		b := v.Field(i).Interface().(key.Binding)
		if name := v.Type().Field(i).Name; !local[name] && !shown[caret(b)] {
			t.Errorf("help lacks %s (%s)", name, caret(b))
		}
	}
	// at 80x24 (issue 11 point 14) every key and its words fit, uncut
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if s80 := plain(t, m); strings.Contains(s80, "…") {
		t.Errorf("the help is cut at 80x24:\n%s", s80)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	press(t, m, "esc")
	if strings.Contains(plain(t, m), "esc closes · ^T is ctrl+t") {
		t.Fatal("esc did not close help")
	}
	press(t, m, "f1")
	if !strings.Contains(plain(t, m), "esc closes · ^T is ctrl+t") {
		t.Fatal("f1 did not open help")
	}
}

// The link states in words: reconnecting with countdown, refused.
func TestScreenLink(t *testing.T) {
	m, _, clock := newModel(t)
	welcomeDesk(t, m)
	link(m, session.LinkStatus{State: session.LinkDown, Err: "connection reset", RetryIn: 3 * time.Second, Attempt: 2})
	golden(t, m, "reconnecting")
	if s := plain(t, m); !strings.Contains(s, "reconnecting in 3s (attempt 2)") {
		t.Fatalf("no reconnect countdown:\n%s", s)
	}
	*clock = clock.Add(1100 * time.Millisecond)
	if s := plain(t, m); !strings.Contains(s, "reconnecting in 2s (attempt 2)") {
		t.Fatalf("countdown does not run:\n%s", s)
	}
	link(m, session.LinkStatus{State: session.LinkRefused, Err: "wrong token"})
	if s := plain(t, m); !strings.Contains(s, "Refused: wrong token") {
		t.Fatalf("refusal not shown:\n%s", s)
	}
}
