package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

func enabled() session.ButtonState { return session.ButtonState{Enabled: true} }
func disabled(err error) session.ButtonState {
	return session.ButtonState{Reason: err.Error()}
}

func recButtons(r, s, p session.ButtonState) map[string]session.ButtonState {
	return map[string]session.ButtonState{"record": r, "snip": s, "pause": p}
}

// running is one recording of kind in state, its part started ago.
func running(kind, state, by string, ago time.Duration, parts int) session.RecordingInfo {
	return session.RecordingInfo{ID: "r-" + kind, Kind: kind, State: state, Parts: parts, Since: now.Add(-ago), By: by}
}

// Recording states the hub sends, as the screens and actions use them.
var (
	recRecord = session.RecordingData{
		Buttons:   recButtons(enabled(), disabled(session.ErrSnipAfterRecord), enabled()),
		Recording: true, Consent: "yes",
		Recordings: []session.RecordingInfo{running("record", "recording", "agent", 83*time.Second, 2)},
	}
	recPaused = session.RecordingData{
		Buttons: recButtons(enabled(), disabled(session.ErrSnipAfterRecord), enabled()),
		Paused:  true, Recordings: []session.RecordingInfo{running("record", "paused", "agent", 0, 1)},
	}
	recSnip = session.RecordingData{
		Buttons:   recButtons(disabled(session.ErrRecordAfterSnip), enabled(), disabled(session.ErrPauseSnip)),
		Recording: true, Recordings: []session.RecordingInfo{running("snip", "recording", "agent", 12*time.Second, 1)},
	}
	recStopped = session.RecordingData{
		Buttons:    recButtons(enabled(), disabled(session.ErrSnipAfterRecord), disabled(session.ErrNothingToPause)),
		Recordings: []session.RecordingInfo{running("record", "stopped", "agent", 0, 2)},
	}
	recAuto = session.RecordingData{
		Buttons:   recButtons(disabled(session.ErrAutomatic), disabled(session.ErrAutomatic), enabled()),
		Recording: true, Automatic: true,
		Recordings: []session.RecordingInfo{running("auto", "recording", "policy", 190*time.Second, 1)},
	}
	recSupervisor = session.RecordingData{
		Buttons:   recButtons(enabled(), enabled(), enabled()),
		Recording: true, Observed: true, Change: "Sue Park (supervisor) started recording",
		Recordings: []session.RecordingInfo{running("dynamic", "recording", "supervisor", 40*time.Second, 1)},
	}
	recIdle = session.RecordingData{
		Buttons: recButtons(enabled(), enabled(), disabled(session.ErrNothingToPause)),
	}
	recDeleteAsk = session.RecordingData{
		Buttons:   recButtons(disabled(session.ErrDeleted), disabled(session.ErrDeleted), disabled(session.ErrNothingToPause)),
		DeleteAsk: true, Consent: "asked", Abusive: true,
		Recordings: []session.RecordingInfo{running("record", "stopped", "agent", 0, 1)},
	}
)

func recFrame(t *testing.T, chat string, rd session.RecordingData) session.Envelope {
	t.Helper()
	return frame_(t, session.TypeRecording, chat, rd)
}

// Golden screens of recording control (issue 4, point 5): Bob selected,
// in each recording state the hub can send.
func TestScreenRecording(t *testing.T) {
	cases := []struct {
		name   string
		w, h   int
		rd     session.RecordingData
		others map[string]session.RecordingData // other chats' states
		keys   []string
		want   []string // on the screen, escapes stripped
	}{
		{"rec_record", 100, 30, recRecord, nil, nil, []string{
			"[r Stop]", "[s Snip]", "[p Pause]", "● Bob Marsh       REC 01:23", "● REC 01:23 Record, part 2", "consent: yes",
			"Snip is unavailable: this chat was recorded with Record"}},
		{"rec_record_80x24", 80, 24, recRecord, nil, nil, []string{
			"[r Stop]", "REC 01:23", "Snip is unavailable: this chat was recorded with Record"}},
		{"rec_paused", 100, 30, recPaused, nil, nil, []string{
			"[r Stop]", "[p Resume]", "● Bob Marsh       PAUSED", "● PAUSED: nothing is recorded now · p resumes"}},
		{"rec_snip", 100, 30, recSnip, nil, nil, []string{
			"[r Record]", "[s Stop]", "[p Pause]", "SNIP 00:12", "● SNIP 00:12 snippet for the recording store",
			"Record is unavailable: this chat was recorded with Snip │ Pause: a snippet cannot be paused"}},
		{"rec_snip_refused", 100, 30, recStopped, nil, []string{"s"}, []string{
			"[r Continue]", "○ Record stopped (2 parts)",
			"Snip is unavailable: this chat was recorded with Record │ Pause: nothing is being recorded"}},
		{"rec_auto", 100, 30, recAuto, nil, nil, []string{
			"[r Record]", "AUTO 03:10", "● AUTO 03:10 automatic recording (your setting)",
			"Record · Snip: this chat is recorded automatically: you may pause it, not start one"}},
		{"rec_supervisor", 100, 30, recSupervisor, map[string]session.RecordingData{"cy": recPaused, "eve": recAuto}, nil, []string{
			"● Bob Marsh      ◉SUP 00:40", "◉ SUP 00:40 a supervisor records it (recording API)", "● Cy Young        PAUSED", "● Eve Adams       AUTO 03:10",
			"! chat with Bob Marsh: started: a supervisor records it (recording API)", "Record · Snip · Pause available"}},
		{"rec_delete_ask", 100, 30, recDeleteAsk, nil, nil, []string{
			"customer asked to delete the recording — press D to confirm", "consent: asked", "flagged abusive",
			"Record · Snip: the customer asked for deletion"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newModel(t)
			m.Update(tea.WindowSizeMsg{Width: tc.w, Height: tc.h})
			welcomeDesk(t, m)
			for id, rd := range tc.others {
				feed(t, m, recFrame(t, id, rd))
			}
			feed(t, m, recFrame(t, "bob", tc.rd))
			selectChat(t, m, "Bob Marsh")
			press(t, m, tc.keys...)
			golden(t, m, tc.name)
			s := plain(t, m)
			for _, want := range tc.want {
				if !strings.Contains(s, want) {
					t.Errorf("screen lacks %q", want)
				}
			}
			lines := strings.Split(s, "\n")
			if len(lines) != tc.h {
				t.Fatalf("%d lines, want %d", len(lines), tc.h)
			}
			for i, l := range lines {
				if w := len([]rune(l)); w > tc.w {
					t.Errorf("line %d is %d wide", i, w)
				}
			}
		})
	}
}

// R-C1: the elapsed time runs with the clock; the marker goes when the
// recording stops.
func TestRecordingElapsed(t *testing.T) {
	m, _, clock := newModel(t)
	welcomeDesk(t, m)
	feed(t, m, recFrame(t, "bob", recRecord))
	if s := plain(t, m); !strings.Contains(s, "REC 01:23") {
		t.Fatalf("no REC 01:23:\n%s", s)
	}
	*clock = clock.Add(10 * time.Second)
	if s := plain(t, m); !strings.Contains(s, "REC 01:33") {
		t.Fatalf("elapsed time does not run:\n%s", s)
	}
	feed(t, m, recFrame(t, "bob", recStopped))
	if s := plain(t, m); strings.Contains(s, "REC ") {
		t.Fatalf("stopped recording still marked:\n%s", s)
	}
}

// The recording keys send the agent's presses for the selected chat when
// the hub enables the button, and say why when it does not; the abusive
// flag and the deletion ask first.
func TestRecordingKeys(t *testing.T) {
	cases := []struct {
		name   string
		chat   string
		keys   []string
		want   []string // sent frames, type:chat
		button string   // the last record frame's button
		status string
	}{
		{"R-C1 r sends record{record}", "Cy Young", []string{"r"}, []string{"record:cy"}, "record", ""},
		{"R-C1 s sends record{snip}", "Cy Young", []string{"s"}, []string{"record:cy"}, "snip", ""},
		{"R-C4 p sends record{pause}", "Eve Adams", []string{"p"}, []string{"record:eve"}, "pause", ""},
		{"R-C1 ctrl+r sends from the composer", "Cy Young", []string{"tab", "ctrl+r"}, []string{"record:cy"}, "record", ""},
		{"R-C4 ctrl+t sends pause from the composer", "Eve Adams", []string{"tab", "ctrl+t"}, []string{"record:eve"}, "pause", ""},
		{"R-C1 r on a running Record sends record{record} (the hub stops it)", "Bob Marsh", []string{"r"}, []string{"record:bob"}, "record", ""},
		{"R-C2 disabled Snip sends nothing and says why", "Bob Marsh", []string{"s", "ctrl+s"}, nil, "",
			"Snip is unavailable: this chat was recorded with Record"},
		{"R-C4 Pause without a recording sends nothing and says why", "Cy Young", []string{"p"}, nil, "", "Pause: nothing is being recorded"},
		{"R-C3 an offer's buttons send nothing and say why", "Dan Oduya", []string{"r"}, nil, "",
			"Record: the chat is not in a state that allows recording"},
		{"R-H3 automatic: Record sends nothing and says why", "Eve Adams", []string{"r"}, nil, "",
			"Record: this chat is recorded automatically"},
		{"R-H7 ! asks first", "Cy Young", []string{"!"}, nil, "", ""},
		{"R-H7 ! then y sends abusive", "Cy Young", []string{"!", "y"}, []string{"abusive:cy"}, "", "abusive"},
		{"R-H7 ! then n sends nothing", "Cy Young", []string{"!", "n"}, nil, "", "Flag abusive: cancelled"},
		{"R-H7 ! then esc sends nothing", "Cy Young", []string{"!", "esc", "y"}, []string{"ready"}, "", ""},
		{"R-H7 other keys wait for the answer", "Cy Young", []string{"!", "r", "x", "y"}, []string{"abusive:cy"}, "", ""},
		{"R-H7 ctrl+g from the composer, then y", "Cy Young", []string{"tab", "ctrl+g", "y"}, []string{"abusive:cy"}, "", ""},
		{"R-H7 a chat already flagged says so", "Fay Wong", []string{"!"}, nil, "", "already flagged abusive"},
		{"R-H7 an offer cannot be flagged", "Dan Oduya", []string{"!"}, nil, "", "Flag abusive: only a connected chat"},
		{"R-H6 D then y sends delete_rec when the customer asked", "Bob Marsh", []string{"D", "y"}, []string{"delete_rec:bob"}, "", "deletion of the recording confirmed"},
		{"R-H6 ctrl+l then y from the composer", "Bob Marsh", []string{"tab", "ctrl+l", "y"}, []string{"delete_rec:bob"}, "", ""},
		{"R-H6 D then n sends nothing", "Bob Marsh", []string{"D", "n"}, nil, "", "Delete: cancelled"},
		{"R-H6 D without the customer's request sends nothing and says why", "Cy Young", []string{"D", "y"}, []string{"ready"}, "",
			""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, h, _ := newModel(t)
			welcomeDesk(t, m)
			bob := recRecord
			if strings.HasPrefix(tc.name, "R-H6") {
				bob = recDeleteAsk
			}
			if strings.Contains(tc.name, "R-C2") {
				bob = recStopped
			}
			fay := session.RecordingData{Abusive: true}
			feed(t, m, recFrame(t, "bob", bob), recFrame(t, "cy", recIdle), recFrame(t, "eve", recAuto), recFrame(t, "fay", fay))
			selectChat(t, m, tc.chat)
			h.reset()
			press(t, m, tc.keys...)
			if got := h.types(); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("sent %v, want %v (status %q)", got, tc.want, m.status)
			}
			if tc.button != "" {
				if got := decode[session.RecordData](t, h.last(t)); got.Button != tc.button {
					t.Fatalf("record button %q, want %q", got.Button, tc.button)
				}
			}
			if tc.status != "" && !strings.Contains(m.status, tc.status) {
				t.Fatalf("status %q, want it to contain %q", m.status, tc.status)
			}
		})
	}
}

// R-H6, R-H7: the question is on the status line while it waits; a y in
// the composer answers it instead of typing.
func TestConfirmQuestion(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	feed(t, m, recFrame(t, "bob", recDeleteAsk))
	selectChat(t, m, "Bob Marsh")
	press(t, m, "D")
	if s := plain(t, m); !strings.Contains(s, "Delete the recording? y/n (Bob Marsh asked for deletion)") {
		t.Fatalf("R-H6 no question:\n%s", s)
	}
	press(t, m, "n")
	if s := plain(t, m); strings.Contains(s, "Delete the recording? y/n") {
		t.Fatal("question still shown after n")
	}
	feed(t, m, recFrame(t, "bob", recRecord))
	h.reset()
	press(t, m, "tab", "ctrl+g")
	if s := plain(t, m); !strings.Contains(s, "Flag this chat abusive? y/n (Bob Marsh") {
		t.Fatalf("R-H7 no question:\n%s", s)
	}
	press(t, m, "y")
	if m.composer.Value() != "" {
		t.Fatalf("the answer went into the composer: %q", m.composer.Value())
	}
	if got := h.types(); !reflect.DeepEqual(got, []string{"abusive:bob"}) {
		t.Fatalf("sent %v", got)
	}
	// A click cancels a pending question.
	press(t, m, "esc", "!")
	m.Update(tea.MouseClickMsg{X: 1, Y: 1, Button: tea.MouseLeft})
	if m.confirm != nil || !strings.Contains(m.status, "cancelled") {
		t.Fatalf("click did not cancel: %q", m.status)
	}
	// The chat goes before the answer: nothing is sent, the agent is told.
	press(t, m, "!")
	feed(t, m, frame_(t, session.TypeState, "bob", session.StateData{State: session.Done}))
	h.reset()
	press(t, m, "y")
	if len(h.types()) != 0 || !strings.Contains(m.status, "the chat is gone") {
		t.Fatalf("sent %v, status %q", h.types(), m.status)
	}
}

// A click on the toolbar's recording button presses it; the hub's answer
// comes back in words: a change as a notice, a refusal as an error (R-C2).
func TestRecordingClickAndAnswers(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	feed(t, m, recFrame(t, "cy", recIdle))
	selectChat(t, m, "Cy Young")
	first := strings.Split(plain(t, m), "\n")[1]
	x := strings.Index(first, "[r Record]")
	h.reset()
	_, cmd := m.Update(tea.MouseClickMsg{X: x + 1, Y: 1, Button: tea.MouseLeft})
	run(t, m, cmd)
	if got := h.types(); !reflect.DeepEqual(got, []string{"record:cy"}) || decode[session.RecordData](t, h.last(t)).Button != "record" {
		t.Fatalf("R-C1 click on Record sent %v", got)
	}
	started := recRecord
	started.Change = "Ada Lovelace started recording (Record)"
	feed(t, m, recFrame(t, "cy", started))
	if !strings.Contains(m.status, "Cy Young: Ada Lovelace started recording (Record)") || m.statusErr {
		t.Fatalf("R-C1 change not told: %q", m.status)
	}
	if first := strings.Split(plain(t, m), "\n")[1]; !strings.Contains(first, "[r Stop]") {
		t.Fatalf("R-C1 label not Stop: %s", first)
	}
	feed(t, m, frame_(t, session.TypeError, "cy", session.ErrorData{Code: session.ErrCodeRecRefused, Message: session.ErrSnipAfterRecord.Error()}))
	if !m.statusErr || !strings.Contains(m.status, "recording refused: Snip is unavailable: this chat was recorded with Record") {
		t.Fatalf("R-C2 rec_refused not in words: %q", m.status)
	}
	if s := plain(t, m); !strings.Contains(s, "✗ recording refused: Snip is unavailable") {
		t.Fatalf("R-C2 refusal not under the transcript:\n%s", s)
	}
}

// Hub text in recording frames cannot drive the terminal.
func TestRecordingHostileText(t *testing.T) {
	m, _, _ := newModel(t)
	welcomeDesk(t, m)
	bad := session.RecordingData{Buttons: recButtons(disabled(errText("no\x1b[2J right")), enabled(), enabled()),
		Consent: "\x1b]0;x\x07", Change: "\x9b6n"}
	feed(t, m, recFrame(t, "bob", bad))
	selectChat(t, m, "Bob Marsh")
	v := m.View().Content
	for _, s := range []string{"\x1b[2J", "\x1b]0;", "\x07", "\x9b"} {
		if strings.Contains(v, s) {
			t.Errorf("screen carries %q from the hub", s)
		}
	}
	if s := plain(t, m); !strings.Contains(s, "Record: no[2J right") {
		t.Fatalf("reason lost:\n%s", s)
	}
}

type errText string

func (e errText) Error() string { return string(e) }

// The toolbar keeps every button whole when the recording labels grow:
// the gaps go first, then the longest labels are shortened; clicks follow.
func TestToolbarFits(t *testing.T) {
	cases := []struct {
		name string
		w    int
		rd   session.RecordingData
		want []string
	}{
		{"R-C1 wide, Continue", 100, recStopped, []string{"[u Push URL] [r Continue]", "[d Mark Done]"}},
		{"R-C1 80 columns, Continue", 80, recStopped, []string{"[u URL][r Continue]", "[d Mark Done]"}},
		{"R-C4 80 columns, Stop and Resume", 80, recPaused, []string{"[r Stop]", "[p Resume]", "[d Mark Done]"}},
		{"R-C1 70 columns", 70, recStopped, []string{"[u URL][r Cont.]", "[d Done]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, h, _ := newModel(t)
			m.Update(tea.WindowSizeMsg{Width: tc.w, Height: 24})
			welcomeDesk(t, m)
			feed(t, m, recFrame(t, "cy", tc.rd))
			selectChat(t, m, "Cy Young")
			bar := strings.Split(plain(t, m), "\n")[1]
			for _, want := range tc.want {
				if !strings.Contains(bar, want) {
					t.Errorf("toolbar %q lacks %q", bar, want)
				}
			}
			if strings.Contains(bar, "…") || len([]rune(bar)) > tc.w {
				t.Errorf("toolbar cut: %q", bar)
			}
			x := strings.Index(bar, "[r ")
			h.reset()
			_, cmd := m.Update(tea.MouseClickMsg{X: x + 1, Y: 1, Button: tea.MouseLeft})
			run(t, m, cmd)
			if got := h.types(); !reflect.DeepEqual(got, []string{"record:cy"}) {
				t.Fatalf("click on the Record button sent %v", got)
			}
		})
	}
}

// The recording keys as a terminal sends them, through a real tea.Program:
// r, ctrl+r, ctrl+t, then ! y, D y, and the chords ctrl+g y and ctrl+l y
// from the composer (R-C1, R-C4, R-H6, R-H7).
func TestProgramRecordingKeys(t *testing.T) {
	h := newFakeHub()
	lp := startProgram(t, h, false)
	keys, done, push := lp.keys, lp.done, lp.push
	asked := session.RecordingData{Buttons: recButtons(enabled(), enabled(), enabled()), DeleteAsk: true}
	push(session.TypeWelcome, session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace"}, Settings: settings(), Ready: true,
		Chats: []session.ChatData{{ID: "dan", Customer: "Dan Oduya", State: session.Connected, Recording: &asked}}})
	lp.waitScreen("press D to confirm")

	steps := []struct{ bytes, want string }{
		{"r", "record:dan"}, {"\x12", "record:dan"}, {"\x14", "record:dan"},
		{"!y", "abusive:dan"}, {"Dy", "delete_rec:dan"},
		{"\t\x07y", "abusive:dan"}, {"\x0cy", "delete_rec:dan"},
	}
	for i, s := range steps {
		if _, err := keys.Write([]byte(s.bytes)); err != nil {
			t.Fatal(err)
		}
		awaitSend(t, h, i+1)
		if got := h.types(); got[i] != s.want {
			t.Fatalf("after %q the hub got %v, want %s last", s.bytes, got, s.want)
		}
	}
	want := []string{"record", "record", "pause"}
	h.mu.Lock()
	for i, w := range want {
		var rd session.RecordData
		if err := h.sent[i].Decode(&rd); err != nil || rd.Button != w {
			t.Errorf("frame %d: button %q (%v), want %q", i, rd.Button, err, w)
		}
	}
	h.mu.Unlock()
	if _, err := keys.Write([]byte{0x03, 0x03}); err != nil { // live chats: ctrl+c asks, a second quits
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("program ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ctrl+c did not quit")
	}
	if v := lp.model.composer.Value(); v != "" { // the program has ended: no race
		t.Errorf("the answers went into the composer: %q", v)
	}
}

// The header says in words what recording means for the agent now.
func TestRecordingWords(t *testing.T) {
	final := func(kind string, parts int) session.RecordingData {
		return session.RecordingData{Recordings: []session.RecordingInfo{running(kind, "final", "agent", 0, parts)}}
	}
	cases := []struct {
		name string
		rd   session.RecordingData
		want string
	}{
		{"R-C5 paused: nothing is recorded", recPaused, "● PAUSED: nothing is recorded now · p resumes"},
		{"R-C7 a snippet is for the recording store", recSnip, "● SNIP 00:12 snippet for the recording store"},
		{"R-C1 a stopped Record continues with a new part", recStopped, "○ Record stopped (2 parts)"},
		{"R-C6 R-C7 the parts of a Record are one recording, a file for the agent", final("record", 3),
			"○ Record: 3 parts, one recording, a file for you"},
		{"R-C6 R-C7 a snippet's parts are one recording in the store", final("snip", 1),
			"○ Snip: 1 part, one recording, to the recording store"},
		{"R-H6 declined consent", session.RecordingData{Consent: "no"}, "consent: declined"},
		{"R-H6 deleted", session.RecordingData{DeleteAsk: true, Deleted: true}, "recording deleted at the customer's request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newModel(t)
			welcomeDesk(t, m)
			feed(t, m, recFrame(t, "bob", tc.rd))
			selectChat(t, m, "Bob Marsh")
			s := plain(t, m)
			if !strings.Contains(s, tc.want) {
				t.Fatalf("screen lacks %q:\n%s", tc.want, s)
			}
			if strings.Contains(s, "press D to confirm") {
				t.Fatal("a deletion prompt without a pending request")
			}
		})
	}
}

// Issue 11 point 4 (R-C8): the desktop names the real cause of a
// recording, in the list row and under the header: full-time, automatic,
// the queue's selective recording, the flow, a supervisor, the API.
func TestRecordingCauses(t *testing.T) {
	cases := []struct {
		kind, by  string
		row, line string
		eye       bool
	}{
		{"fulltime", "policy", "FULL 00:40", "● FULL 00:40 full-time recording (your setting)", false},
		{"auto", "policy", "AUTO 00:40", "● AUTO 00:40 automatic recording (your setting)", false},
		{"selective", "flow", "SEL 00:40", "◉ SEL 00:40 selective recording by the queue", true},
		{"dynamic", "flow", "FLOW 00:40", "◉ FLOW 00:40 the chat flow records it (recording API)", true},
		{"dynamic", "supervisor", "SUP 00:40", "◉ SUP 00:40 a supervisor records it (recording API)", true},
		{"abuse", "agent", "FLAG 00:40", "● FLAG 00:40 flagged abusive: always recorded", false},
	}
	for _, tc := range cases {
		t.Run(tc.kind+" by "+tc.by, func(t *testing.T) {
			m, _, _ := newModel(t)
			welcomeDesk(t, m)
			rd := session.RecordingData{Buttons: recButtons(enabled(), enabled(), enabled()), Recording: true, Observed: tc.eye,
				Recordings: []session.RecordingInfo{running(tc.kind, "recording", tc.by, 40*time.Second, 1)}}
			feed(t, m, recFrame(t, "bob", rd))
			selectChat(t, m, "Bob Marsh")
			s := plain(t, m)
			if !strings.Contains(s, tc.line) {
				t.Errorf("the chat's line lacks %q:\n%s", tc.line, s)
			}
			row := "Bob Marsh       " + tc.row
			if tc.eye {
				row = "Bob Marsh      " + eye + tc.row
			}
			if !strings.Contains(s, row) {
				t.Errorf("the list row lacks %q", row)
			}
			if tc.by != "supervisor" && strings.Contains(s, "supervisor") {
				t.Errorf("a %s recording is said to be a supervisor's", tc.kind)
			}
		})
	}
}
