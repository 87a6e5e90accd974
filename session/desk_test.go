package session

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func env(t *testing.T, typ, chat string, data any) Envelope {
	t.Helper()
	e, err := NewEnvelope(typ, chat, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func apply(t *testing.T, d *Desk, e Envelope, now time.Time) []Notice {
	t.Helper()
	ns, err := d.Apply(e, now)
	if err != nil {
		t.Fatalf("apply %s: %v", e.Type, err)
	}
	return ns
}

func msg(id int64, from, text string, at time.Time) MessageData {
	return MessageData{ID: id, From: from, Name: from, Text: text, At: at}
}

func connectedDesk(t *testing.T) *Desk {
	t.Helper()
	d := NewDesk()
	apply(t, d, env(t, TypeWelcome, "", WelcomeData{
		Agent:    AgentInfo{ID: "ada", Name: "Ada"},
		Settings: Settings{PendingWarn: Duration(20 * time.Second), PendingAlarm: Duration(45 * time.Second)},
		Chats:    []ChatData{{ID: "c1", Customer: "Bob", State: Connected}},
	}), t0)
	return d
}

// R-I4: the timer starts with the contact's message after the agent's last
// reply, goes green → yellow after T1 → red after T2, stops on a reply.
func TestPendingIndicator(t *testing.T) {
	cases := []struct {
		name  string
		lines []MessageData // applied as message frames, in order
		at    time.Duration // now = t0 + at
		want  Pending
	}{
		{"R-I4 nothing said: none", nil, time.Minute, PendingNone},
		{"R-I4 customer spoke: green", []MessageData{msg(1, FromCustomer, "hi", t0)}, 5 * time.Second, PendingGreen},
		{"R-I4 after T1: yellow", []MessageData{msg(1, FromCustomer, "hi", t0)}, 20 * time.Second, PendingYellow},
		{"R-I4 after T2: red", []MessageData{msg(1, FromCustomer, "hi", t0)}, 45 * time.Second, PendingRed},
		{"R-I4 agent replied: none", []MessageData{msg(1, FromCustomer, "hi", t0), msg(2, FromAgent, "hello", t0.Add(time.Second))}, time.Minute, PendingNone},
		{"R-I4 timer from first unanswered line", []MessageData{
			msg(1, FromCustomer, "hi", t0), msg(2, FromAgent, "hello", t0.Add(time.Second)),
			msg(3, FromCustomer, "a", t0.Add(10*time.Second)), msg(4, FromCustomer, "b", t0.Add(40*time.Second)),
		}, 35 * time.Second, PendingYellow},
		{"R-I4 system lines do not start it", []MessageData{msg(1, FromSystem, "Bob joined", t0)}, time.Minute, PendingNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			for _, m := range tc.lines {
				apply(t, d, env(t, TypeMessage, "c1", m), m.At)
			}
			t1, t2 := d.Thresholds()
			if got := d.Chat("c1").Pending(t0.Add(tc.at), t1, t2); got != tc.want {
				t.Fatalf("Pending = %s, want %s", got, tc.want)
			}
		})
	}
}

// R-I4: a snapshot (welcome or chat frame) restores the timer from its
// transcript; the indicator is off outside the connected state.
func TestPendingFromSnapshot(t *testing.T) {
	d := NewDesk()
	apply(t, d, env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: Connected,
		Transcript: []MessageData{msg(1, FromAgent, "hi", t0), msg(2, FromCustomer, "?", t0.Add(time.Second))}}), t0)
	c := d.Chat("c1")
	if got := c.Pending(t0.Add(time.Minute), 20*time.Second, 45*time.Second); got != PendingRed {
		t.Fatalf("R-I4 snapshot: Pending = %s, want red", got)
	}
	apply(t, d, env(t, TypeState, "c1", StateData{State: ACW, Reason: EndAgentEnded}), t0)
	if got := c.Pending(t0.Add(time.Minute), 20*time.Second, 45*time.Second); got != PendingNone {
		t.Fatalf("R-I4 in ACW: Pending = %s, want none", got)
	}
}

// R-I11: attention reasons reach the agent as notices, whether the hub sends
// them or the desk derives them.
func TestAttentionNotices(t *testing.T) {
	cases := []struct {
		name   string
		frames func(t *testing.T) []Envelope
		tick   time.Duration // when > 0, Tick(t0+tick) after the frames
		want   []string      // reasons of all notices, in order
	}{
		{"R-I11 hub attention passes through", func(t *testing.T) []Envelope {
			return []Envelope{env(t, TypeAttention, "c1", AttentionData{Reason: AttnInactivitySoon, Text: "quiet for 4m"})}
		}, 0, []string{AttnInactivitySoon}},
		{"R-I11 contact left derived from state", func(t *testing.T) []Envelope {
			return []Envelope{env(t, TypeState, "c1", StateData{State: ACW, Reason: EndContactLeft})}
		}, 0, []string{AttnContactLeft}},
		{"R-I11 contact left once, even when the hub says it too", func(t *testing.T) []Envelope {
			return []Envelope{
				env(t, TypeState, "c1", StateData{State: ACW, Reason: EndContactLeft}),
				env(t, TypeAttention, "c1", AttentionData{Reason: AttnContactLeft, Text: "Bob left"}),
			}
		}, 0, []string{AttnContactLeft}},
		{"R-I11 contact left from a snapshot (resumed in ACW)", func(t *testing.T) []Envelope {
			return []Envelope{
				env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: ACW, Reason: EndContactLeft}),
				env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: ACW, Reason: EndContactLeft}),
			}
		}, 0, []string{AttnContactLeft}},
		{"R-I11 contact left once in the hub's order: attention, system line, state", func(t *testing.T) []Envelope {
			return contactLeaves(t, true)
		}, 0, []string{AttnContactLeft}},
		{"R-I11 contact left once from the system line and the state alone", func(t *testing.T) []Envelope {
			return contactLeaves(t, false)
		}, 0, []string{AttnContactLeft}},
		{"R-I11 party joined and left from system lines", func(t *testing.T) []Envelope {
			return []Envelope{
				env(t, TypeMessage, "c1", msg(1, FromSystem, "Grace joined the chat", t0)),
				env(t, TypeMessage, "c1", msg(2, FromSystem, "Grace left the chat", t0)),
				env(t, TypeMessage, "c1", msg(3, FromSystem, "Recording started", t0)),
				env(t, TypeMessage, "c1", msg(4, FromSystem, "Ada joined the chat", t0)), // the agent herself
			}
		}, 0, []string{AttnPartyJoined, AttnPartyLeft}},
		{"R-I8 a conference join once, from the system line and the hub's attention alike", func(t *testing.T) []Envelope {
			return []Envelope{
				env(t, TypeMessage, "c1", msg(1, FromSystem, "Grace Hopper joined the chat", t0)),
				env(t, TypeAttention, "c1", AttentionData{Reason: AttnPartyJoined, Text: "Grace Hopper joined the chat"}),
			}
		}, 0, []string{AttnPartyJoined}},
		{"R-I11 pending warning at yellow, once", func(t *testing.T) []Envelope {
			return []Envelope{env(t, TypeMessage, "c1", msg(1, FromCustomer, "hello?", t0))}
		}, 21 * time.Second, []string{AttnPendingWarn}},
		{"R-I11 no pending warning while green", func(t *testing.T) []Envelope {
			return []Envelope{env(t, TypeMessage, "c1", msg(1, FromCustomer, "hello?", t0))}
		}, 19 * time.Second, nil},
		{"R-I11 hub error in words", func(t *testing.T) []Envelope {
			return []Envelope{env(t, TypeError, "c1", ErrorData{Code: ErrCodeBadState, Message: "chat is not alerting"})}
		}, 0, []string{AttnError}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			var got []string
			for _, e := range tc.frames(t) {
				for _, n := range apply(t, d, e, t0) {
					if n.Text == "" {
						t.Errorf("notice %s has no text", n.Reason)
					}
					got = append(got, n.Reason)
				}
			}
			if tc.tick > 0 {
				for _, n := range d.Tick(t0.Add(tc.tick)) {
					got = append(got, n.Reason)
				}
				if len(tc.want) > 0 && len(d.Tick(t0.Add(tc.tick+time.Minute))) != 0 {
					t.Error("second Tick warned again")
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("notices %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("notices %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// contactLeaves are the frames the hub sends when the contact (Bob) leaves:
// the contact_left attention (when withAttention), the system line, and
// the state change to ACW.
func contactLeaves(t *testing.T, withAttention bool) []Envelope {
	var out []Envelope
	if withAttention {
		out = append(out, env(t, TypeAttention, "c1", AttentionData{Reason: AttnContactLeft, Text: "Bob left the chat"}))
	}
	return append(out,
		env(t, TypeMessage, "c1", msg(1, FromSystem, "Bob left the chat", t0)),
		env(t, TypeState, "c1", StateData{State: ACW, Reason: EndContactLeft}))
}

// R-I11: the wrap-up pane shows the chat's attention; the contact leaving
// is in it once, however many frames say so.
func TestContactLeftShownOnce(t *testing.T) {
	for _, withAttention := range []bool{true, false} {
		d := connectedDesk(t)
		for _, e := range contactLeaves(t, withAttention) {
			apply(t, d, e, t0)
		}
		att := d.Chat("c1").Attention
		if len(att) != 1 || att[0].Reason != AttnContactLeft || att[0].Text != "Bob left the chat" {
			t.Errorf("attention %v (hub attention %v); want one contact_left, \"Bob left the chat\"", att, withAttention)
		}
	}
}

// R-I4, R-I11: the agent's reply clears the pending warning.
func TestReplyClearsWarning(t *testing.T) {
	d := connectedDesk(t)
	apply(t, d, env(t, TypeMessage, "c1", msg(1, FromCustomer, "hello?", t0)), t0)
	if n := d.Tick(t0.Add(30 * time.Second)); len(n) != 1 {
		t.Fatalf("want one warning, got %v", n)
	}
	apply(t, d, env(t, TypeMessage, "c1", msg(2, FromAgent, "here", t0.Add(31*time.Second))), t0)
	if hasReason(d.Chat("c1").Attention, AttnPendingWarn) {
		t.Fatal("warning still shown after the reply")
	}
}

// R-I2: the transcript keeps sender and time, ignores a line it already has,
// and older sessions come with the snapshot.
func TestTranscriptAndHistory(t *testing.T) {
	d := NewDesk()
	old := Session{Chat: "c0", Start: t0.AddDate(0, 0, -3), Transcript: []MessageData{msg(1, FromCustomer, "last week", t0.AddDate(0, 0, -3))}}
	apply(t, d, env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: Connected, History: []Session{old},
		Transcript: []MessageData{msg(5, FromCustomer, "hi", t0)}}), t0)
	apply(t, d, env(t, TypeMessage, "c1", msg(5, FromCustomer, "hi", t0)), t0)
	apply(t, d, env(t, TypeMessage, "c1", MessageData{ID: 6, From: FromAgent, Name: "Ada", Text: "hello"}), t0.Add(time.Second))
	c := d.Chat("c1")
	if len(c.Transcript) != 2 {
		t.Fatalf("R-I2 transcript has %d lines, want 2 (duplicate id ignored)", len(c.Transcript))
	}
	if got := c.Transcript[1]; got.Name != "Ada" || !got.At.Equal(t0.Add(time.Second)) {
		t.Fatalf("R-I2 line without time gets the arrival time: %+v", got)
	}
	if len(c.History) != 1 || c.History[0].Transcript[0].Text != "last week" {
		t.Fatalf("R-I2 history lost: %+v", c.History)
	}
}

// R-I3: typing notice with preview; the message itself clears it.
func TestTyping(t *testing.T) {
	cases := []struct {
		name        string
		frames      []any // TypingData or MessageData
		wantTyping  bool
		wantPreview string
	}{
		{"R-I3 typing with preview", []any{TypingData{Typing: true, Preview: "what I have so far"}}, true, "what I have so far"},
		{"R-I3 stopped typing", []any{TypingData{Typing: true, Preview: "x"}, TypingData{Typing: false}}, false, ""},
		{"R-I3 message clears typing", []any{TypingData{Typing: true, Preview: "x"}, msg(1, FromCustomer, "xy", t0)}, false, ""},
		{"R-I3 typing without preview", []any{TypingData{Typing: true}}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			for _, f := range tc.frames {
				typ := TypeTyping
				if _, ok := f.(MessageData); ok {
					typ = TypeMessage
				}
				apply(t, d, env(t, typ, "c1", f), t0)
			}
			c := d.Chat("c1")
			if c.Typing != tc.wantTyping || c.Preview != tc.wantPreview {
				t.Fatalf("typing=%v preview=%q, want %v %q", c.Typing, c.Preview, tc.wantTyping, tc.wantPreview)
			}
		})
	}
}

// R-I1: the list keeps the order of arrival whatever the states (issue 11
// point 10: a row never moves under the cursor); a new offer is announced;
// revoke and done remove the chat.
func TestChatOrderAndLife(t *testing.T) {
	d := connectedDesk(t)
	apply(t, d, env(t, TypeChat, "c2", ChatData{ID: "c2", Customer: "Cy", State: Connected}), t0)
	offer := apply(t, d, env(t, TypeOffer, "c3", ChatData{ID: "c3", Customer: "Di", Queue: "billing"}), t0)
	if len(offer) != 1 || offer[0].Reason != AttnOffer || offer[0].Text != "new offer from Di (queue billing): a accepts, x rejects" {
		t.Fatalf("offer notices %+v", offer)
	}
	if again := apply(t, d, env(t, TypeChat, "c3", ChatData{ID: "c3", Customer: "Di", State: Offered}), t0); len(again) != 0 {
		t.Fatalf("a snapshot of the same offer announced it again: %+v", again)
	}
	ids := func() (s []string) {
		for _, c := range d.Chats() {
			s = append(s, c.ID+":"+c.State.String())
		}
		return s
	}
	if got := ids(); len(got) != 3 || got[0] != "c1:connected" || got[1] != "c2:connected" || got[2] != "c3:offered" {
		t.Fatalf("order %v", got)
	}
	apply(t, d, env(t, TypeChat, "c3", ChatData{ID: "c3", Customer: "Di", State: Connected}), t0) // accepted: stays put
	if got := ids(); got[2] != "c3:connected" {
		t.Fatalf("order after accepting %v", got)
	}
	apply(t, d, env(t, TypeChat, "c3", ChatData{ID: "c3", Customer: "Di", State: Offered}), t0)
	ns := apply(t, d, env(t, TypeRevoked, "c3", RevokedData{Reason: RevokeTimeout}), t0)
	if len(ns) != 1 || ns[0].Reason != AttnRevoked {
		t.Fatalf("revoke notices %v", ns)
	}
	apply(t, d, env(t, TypeState, "c1", StateData{State: ACW, Reason: EndAgentEnded, ACWDeadline: t0.Add(90 * time.Second)}), t0)
	if w, ok := d.Chat("c1").Waiting(t0.Add(30 * time.Second)); !ok || w != time.Minute {
		t.Fatalf("R-I1 ACW countdown %v %v, want 1m", w, ok)
	}
	apply(t, d, env(t, TypeState, "c1", StateData{State: Done}), t0)
	if got := ids(); len(got) != 1 || got[0] != "c2:connected" {
		t.Fatalf("after revoke and done: %v", got)
	}
}

// Bad frames give named errors and leave the desk alone; nothing panics.
func TestApplyErrors(t *testing.T) {
	cases := []struct {
		name string
		e    Envelope
		want error
	}{
		{"unknown chat", Envelope{V: 1, Type: TypeMessage, Chat: "nope", Data: []byte(`{"text":"x"}`)}, ErrUnknownChat},
		{"unknown type", Envelope{V: 1, Type: "weird"}, ErrUnknownFrame},
		{"no data", Envelope{V: 1, Type: TypeState, Chat: "c1"}, ErrNoData},
		{"bad json", Envelope{V: 1, Type: TypeAgent, Data: []byte(`{"ready":"yes"}`)}, nil},
		{"offer without id", Envelope{V: 1, Type: TypeOffer, Data: []byte(`{}`)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			_, err := d.Apply(tc.e, t0)
			if err == nil {
				t.Fatal("want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if len(d.Chats()) != 1 {
				t.Fatal("desk changed")
			}
		})
	}
}

// The link status is kept; a drop forgets the welcome and typing.
func TestSetLink(t *testing.T) {
	d := connectedDesk(t)
	apply(t, d, env(t, TypeTyping, "c1", TypingData{Typing: true}), t0)
	d.SetLink(LinkStatus{State: LinkDown, RetryIn: 3 * time.Second, Attempt: 2})
	if d.Welcomed || d.Chat("c1").Typing || d.Link.Attempt != 2 {
		t.Fatalf("after drop: welcomed=%v typing=%v link=%+v", d.Welcomed, d.Chat("c1").Typing, d.Link)
	}
}
