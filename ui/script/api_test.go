package script

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// fakeAPI records api calls and answers with err when the call's
// interaction is in errs.
type fakeAPI struct {
	mu    sync.Mutex
	calls []APICall
	errs  map[string]error // by interaction
}

func (f *fakeAPI) Call(_ context.Context, c APICall) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if err := f.errs[c.Interaction]; err != nil {
		return nil, err
	}
	return json.RawMessage(`{"interaction":"` + c.Interaction + `"}`), nil
}

// chatsCustomers are fakeCustomers that know their chats.
type chatsCustomers struct {
	fakeCustomers
	chats map[string]string
}

func (c *chatsCustomers) ChatOf(name string) (string, error) {
	if id, ok := c.chats[name]; ok {
		return id, nil
	}
	return "", errors.New("never opened")
}

// selecting is the counter desktop with a selected chat (Selector).
type selecting struct {
	counter
	sel string
}

func (s *selecting) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, cmd := s.counter.Update(msg); cmd != nil {
		return s, cmd
	}
	return s, nil
}
func (s *selecting) SelectedChat() string { return s.sel }

// R-G3: the api step's words, options and mistakes.
func TestParseAPI(t *testing.T) {
	s := mustParse(t, `api 3013
api START id sue-1 record source partitions "quality,eu" customer bob
api stop chat chat-9 expect no_such_interaction
api Resume expect wrong_state id x
`)
	want := []Step{
		{Action: "3013"},
		{Action: "START", RecID: "sue-1", Record: "source", Partitions: "quality,eu", Name: "bob"},
		{Action: "stop", Chat: "chat-9", ExpectCode: "no_such_interaction"},
		{Action: "Resume", ExpectCode: "wrong_state", RecID: "x"},
	}
	for i, w := range want {
		st := s.Steps[i]
		if st.Op != OpAPI || st.Action != w.Action || st.RecID != w.RecID || st.Record != w.Record ||
			st.Partitions != w.Partitions || st.Name != w.Name || st.Chat != w.Chat || st.ExpectCode != w.ExpectCode {
			t.Errorf("step %d = %+v, want %+v", i+1, st, w)
		}
	}
	if OpAPI.String() != "api" || APIOperation("Resume") != "3016" || APIOperation("3014") != "3014" || APIOperation("go") != "" {
		t.Error("OpAPI or APIOperation wrong")
	}
	cases := []struct{ name, src, pos, msg string }{
		{"no operation", "api", "t.script:1:5", "api needs an operation"},
		{"unknown operation", "api begin", "t.script:1:5", `unknown api operation "begin"`},
		{"unknown code", "api 3017", "t.script:1:5", `unknown api operation "3017"`},
		{"unknown option", "api start idd x", "t.script:1:11", `unknown api option "idd"`},
		{"option twice", "api start id a id b", "t.script:1:16", "api option id given twice"},
		{"option without value", "api stop id", "t.script:1:13", "api option id needs a value"},
		{"bad record", "api start record both", "t.script:1:18", "api record is source or destination"},
		{"empty partitions", `api start partitions " "`, "t.script:1:22", "api partitions needs a comma list"},
		{"customer and chat", "api stop customer bob chat chat-1", "t.script:1:1", "customer NAME or chat ID, not both"},
		{"bad customer", "api stop customer b/b", "t.script:1:19", `bad customer name "b/b"`},
		{"unknown code to expect", "api stop expect no_such_chat", "t.script:1:17", `error code of the recording API, got "no_such_chat"`},
		{"typo of api", "apy stop", "t.script:1:1", `did you mean "api"?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.script", strings.NewReader(c.src))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Error(), c.pos+": ") || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got  %v\nwant %s: …%s…", err, c.pos, c.msg)
			}
		})
	}
}

// R-G3: api steps act on the selected chat, a customer's chat or a named
// one; an error answer fails the step unless the step expects its code.
func TestRunAPI(t *testing.T) {
	refused := &APIError{Status: 409, Code: "wrong_state", Message: "nothing to pause"}
	fa := &fakeAPI{errs: map[string]error{"chat-9": refused, "chat-down": errors.New("connection refused")}}
	cust := &chatsCustomers{chats: map[string]string{"bob": "chat-2"}}
	var log bytes.Buffer
	ev := NewEventLog(&log, nil)
	src := "api 3013\napi pause id sue-1 record source partitions \"a,b\" customer bob\napi pause chat chat-9 expect wrong_state\nexpect keys"
	res, err := run(t, src, Env{Model: &selecting{sel: "chat-1"}, API: fa, Customers: cust, Events: ev})
	if ExitCode(res, err) != ExitPass || res.Checks != 2 {
		t.Fatalf("%v %s (checks %v)", err, failure(res), res)
	}
	want := []APICall{
		{Operation: "3013", Interaction: "chat-1"},
		{Operation: "pause", Interaction: "chat-2", ID: "sue-1", Record: "source", Partitions: "a,b"},
		{Operation: "pause", Interaction: "chat-9"},
	}
	if fmt.Sprint(fa.calls) != fmt.Sprint(want) {
		t.Errorf("calls\n%+v\nwant\n%+v", fa.calls, want)
	}
	_ = ev.Close()
	for _, w := range []string{`"kind":"api","answer":{"interaction":"chat-1"},"interaction":"chat-1","line":1,"ok":true,"op":"3013"`,
		`"code":"wrong_state","interaction":"chat-9","line":3,"message":"nothing to pause","ok":false,"op":"3015","status":409`} {
		if !strings.Contains(log.String(), w) {
			t.Errorf("events log lacks %s:\n%s", w, log.String())
		}
	}

	fails := []struct{ name, src, expected, detail string }{
		{"an error answer", "api pause chat chat-9", "the recording API to pause on chat-9", "the API answered wrong_state (HTTP 409): nothing to pause"},
		{"another code than expected", "api pause chat chat-9 expect no_such_recording", "the recording API to refuse pause with no_such_recording on chat-9", "wrong_state (HTTP 409)"},
		{"accepted, a refusal expected", "api stop expect wrong_state", "the recording API to refuse stop with wrong_state on chat-1", "the API accepted it (HTTP 200)"},
		{"the hub cannot be asked", "api stop chat chat-down", "the recording API to stop on chat-down", "connection refused"},
		{"no chat selected", "api stop", "the recording API to stop", "no chat is selected"},
	}
	for _, f := range fails {
		t.Run(f.name, func(t *testing.T) {
			sel := "chat-1"
			if f.name == "no chat selected" {
				sel = ""
			}
			res, err := run(t, f.src, Env{Model: &selecting{sel: sel}, API: fa})
			if ExitCode(res, err) != ExitFail || res.Failure.Expected != f.expected || !strings.Contains(res.Failure.Detail, f.detail) {
				t.Errorf("got %v %+v; want expected %q, detail …%s…", err, res.Failure, f.expected, f.detail)
			}
		})
	}
}

// Outside demo mode, or without what they act on, api steps are script
// errors (exit 2) found before the run.
func TestRunAPINeedsDemo(t *testing.T) {
	cases := []struct {
		name, src string
		env       Env
		msg       string
	}{
		{"no API", "key a\napi start", Env{Model: &selecting{}}, "agentdesk demo --script"},
		{"customer without chats", "api start customer bob", Env{Model: &selecting{}, API: &fakeAPI{}, Customers: &fakeCustomers{}}, "customer NAME needs the simulated customers"},
		{"no selection", "api start", Env{API: &fakeAPI{}}, "cannot tell its selected chat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := run(t, c.src, c.env)
			var se *SyntaxError
			if !errors.As(err, &se) || ExitCode(res, err) != ExitBadScript || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got %v; want a script error …%s…", err, c.msg)
			}
		})
	}
}

// Issue 3 point 3: a recording frame becomes a recording event with the
// chat, whether it records or is paused, the kinds running and the change.
func TestTapHubRecording(t *testing.T) {
	var buf bytes.Buffer
	log := NewEventLog(&buf, nil)
	fh := &fakeHub{ch: make(chan session.LinkEvent)}
	tapped := TapHub(context.Background(), fh, log)
	rec, _ := session.NewEnvelope(session.TypeRecording, "c1", session.RecordingData{
		Recording: true, Observed: true, Change: "supervisor sue started API recording",
		Recordings: []session.RecordingInfo{
			{ID: "r1", Kind: "record", State: "paused", Parts: 2, By: "agent"},
			{ID: "d1", Kind: "dynamic", State: "recording", Parts: 1, By: "supervisor"},
			{ID: "s1", Kind: "selective", State: "stopped", Parts: 1, By: "flow"},
		}})
	go func() {
		fh.ch <- session.LinkEvent{Envelope: &rec}
		close(fh.ch)
	}()
	for range tapped.Events() {
	}
	_ = log.Close()
	var ev map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, `"kind":"recording"`) {
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ev == nil {
		t.Fatalf("no recording event:\n%s", buf.String())
	}
	if ev["chat"] != "c1" || ev["recording"] != true || ev["paused"] != false || ev["observed"] != true ||
		fmt.Sprint(ev["kinds"]) != "[record dynamic]" || ev["change"] != "supervisor sue started API recording" {
		t.Errorf("recording event %v", ev)
	}
	if recs, _ := ev["recordings"].([]any); len(recs) != 3 {
		t.Errorf("recordings %v, want all 3 with their states", ev["recordings"])
	}
}
