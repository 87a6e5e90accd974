package session

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// on, off build the hub's button states for the fixtures.
func btnOn() ButtonState           { return ButtonState{Enabled: true} }
func btnOff(err error) ButtonState { return ButtonState{Reason: err.Error()} }
func recInfo(kind, state string) RecordingInfo {
	return RecordingInfo{ID: "c1-" + kind, Kind: kind, State: state, Parts: 1, Since: t0, By: "agent"}
}

func btnMap(r, s, p ButtonState) map[string]ButtonState {
	return map[string]ButtonState{"record": r, "snip": s, "pause": p}
}

// The desk shows what the hub says about each button, and labels them as
// the chat's recordings stand; it decides no rule itself.
func TestRecordingButtons(t *testing.T) {
	type want struct {
		enabled [3]bool
		reason  [3]string // "" when enabled
		label   [3]string
	}
	cases := []struct {
		name string
		rd   *RecordingData // nil: the hub sent no recording state
		want want
	}{
		{"R-C3 no recording state: all disabled, in words", nil, want{
			reason: [3]string{NoRecordingState, NoRecordingState, NoRecordingState},
			label:  [3]string{"Record", "Snip", "Pause"}}},
		{"R-C1 nothing recorded yet: Record and Snip start", &RecordingData{
			Buttons: btnMap(btnOn(), btnOn(), btnOff(ErrNothingToPause))}, want{
			enabled: [3]bool{true, true, false}, reason: [3]string{"", "", ErrNothingToPause.Error()},
			label: [3]string{"Record", "Snip", "Pause"}}},
		{"R-C1 Record running: Stop; R-C2 Snip refused with the hub's reason", &RecordingData{
			Buttons: btnMap(btnOn(), btnOff(ErrSnipAfterRecord), btnOn()), Recording: true,
			Recordings: []RecordingInfo{recInfo("record", "recording")}}, want{
			enabled: [3]bool{true, false, true}, reason: [3]string{"", ErrSnipAfterRecord.Error(), ""},
			label: [3]string{"Stop", "Snip", "Pause"}}},
		{"R-C1 Record stopped: Continue", &RecordingData{
			Buttons:    btnMap(btnOn(), btnOff(ErrSnipAfterRecord), btnOff(ErrNothingToPause)),
			Recordings: []RecordingInfo{recInfo("record", "stopped")}}, want{
			enabled: [3]bool{true, false, false}, reason: [3]string{"", ErrSnipAfterRecord.Error(), ErrNothingToPause.Error()},
			label: [3]string{"Continue", "Snip", "Pause"}}},
		{"R-C4 Record paused: Stop and Resume", &RecordingData{
			Buttons: btnMap(btnOn(), btnOff(ErrSnipAfterRecord), btnOn()), Paused: true,
			Recordings: []RecordingInfo{recInfo("record", "paused")}}, want{
			enabled: [3]bool{true, false, true}, reason: [3]string{"", ErrSnipAfterRecord.Error(), ""},
			label: [3]string{"Stop", "Snip", "Resume"}}},
		{"R-C4 Snip running: Pause disabled with its reason; R-C2 Record refused", &RecordingData{
			Buttons: btnMap(btnOff(ErrRecordAfterSnip), btnOn(), btnOff(ErrPauseSnip)), Recording: true,
			Recordings: []RecordingInfo{recInfo("snip", "recording")}}, want{
			enabled: [3]bool{false, true, false}, reason: [3]string{ErrRecordAfterSnip.Error(), "", ErrPauseSnip.Error()},
			label: [3]string{"Record", "Stop", "Pause"}}},
		{"R-H3 automatic: Record disabled, Pause enabled", &RecordingData{
			Buttons: btnMap(btnOff(ErrAutomatic), btnOff(ErrAutomatic), btnOn()), Recording: true, Automatic: true,
			Recordings: []RecordingInfo{recInfo("auto", "recording")}}, want{
			enabled: [3]bool{false, false, true}, reason: [3]string{ErrAutomatic.Error(), ErrAutomatic.Error(), ""},
			label: [3]string{"Record", "Snip", "Pause"}}},
		{"R-C3 a button the hub left out is disabled", &RecordingData{
			Buttons: map[string]ButtonState{"record": btnOn()}}, want{
			enabled: [3]bool{true, false, false}, reason: [3]string{"", NoRecordingState, NoRecordingState},
			label: [3]string{"Record", "Snip", "Pause"}}},
		{"R-C3 disabled without a reason still says one", &RecordingData{
			Buttons: btnMap(ButtonState{}, btnOn(), btnOn())}, want{
			enabled: [3]bool{false, true, true}, reason: [3]string{"Record is unavailable", "", ""},
			label: [3]string{"Record", "Snip", "Pause"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			if tc.rd != nil {
				apply(t, d, env(t, TypeRecording, "c1", tc.rd), t0)
			}
			c := d.Chat("c1")
			var got want
			for i, b := range []Button{BtnRecord, BtnSnip, BtnPause} {
				bs := c.ButtonState(b)
				got.enabled[i], got.reason[i], got.label[i] = bs.Enabled, bs.Reason, c.ButtonLabel(b)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// Recording frames tell the agent what changed, in the hub's words; R-C8:
// a supervisor starting to record is said once when it begins; R-H6: the
// customer's deletion request too.
func TestRecordingNotices(t *testing.T) {
	sup := RecordingInfo{ID: "s1", Kind: "dynamic", State: "recording", Parts: 1, Since: t0, By: "supervisor"}
	cases := []struct {
		name   string
		frames []RecordingData
		want   []string // notice texts of all frames, in order
	}{
		{"R-C1 a change becomes a notice", []RecordingData{
			{Recording: true, Change: "Ada started recording (Record)", Recordings: []RecordingInfo{recInfo("record", "recording")}},
		}, []string{"Ada started recording (Record)"}},
		{"R-C1 a frame without a change says nothing", []RecordingData{{}}, nil},
		{"R-C8 observed: the supervisor's change and the R-C8 notice, once", []RecordingData{
			{Recording: true, Observed: true, Change: "Sue (supervisor) started recording", Recordings: []RecordingInfo{sup}},
			{Recording: true, Observed: true, Recordings: []RecordingInfo{sup}},
		}, []string{"Sue (supervisor) started recording", "started: a supervisor records it (recording API)"}},
		{"issue 11 point 4: the queue's selective recording is named as such", []RecordingData{
			{Recording: true, Observed: true, Recordings: []RecordingInfo{{ID: "q1", Kind: "selective", State: "recording", By: "flow"}}},
		}, []string{"started: selective recording by the queue"}},
		{"R-C8 observed again after it stopped", []RecordingData{
			{Observed: true}, {Observed: false, Change: "Sue (supervisor) stopped recording"}, {Observed: true},
		}, []string{ObservedText, "Sue (supervisor) stopped recording", ObservedText}},
		{"R-H6 the customer asks for deletion, then the agent confirms", []RecordingData{
			{DeleteAsk: true}, {DeleteAsk: true}, {DeleteAsk: true, Deleted: true, Change: "Ada deleted the recording"},
		}, []string{DeleteAskText, "Ada deleted the recording"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := connectedDesk(t)
			var got []string
			for _, rd := range tc.frames {
				for _, n := range apply(t, d, env(t, TypeRecording, "c1", rd), t0) {
					if n.Chat != "c1" {
						t.Errorf("notice about %q", n.Chat)
					}
					got = append(got, n.Text)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("notices %q, want %q", got, tc.want)
			}
			if a := d.Chat("c1").Attention; len(a) != 0 {
				t.Fatalf("recording notices kept as attention: %+v", a)
			}
		})
	}
}

// R-C8, R-C1: chat and welcome snapshots carry the recording state; a
// snapshot restores it without repeating the last change, and one without
// recording state keeps what the hub said before.
func TestRecordingSnapshots(t *testing.T) {
	rd := &RecordingData{Buttons: btnMap(btnOn(), btnOff(ErrSnipAfterRecord), btnOn()), Recording: true, Observed: true,
		Change: "Ada started recording (Record)", Recordings: []RecordingInfo{recInfo("record", "recording")}}
	d := NewDesk()
	ns := apply(t, d, env(t, TypeWelcome, "", WelcomeData{Chats: []ChatData{{ID: "c1", Customer: "Bob", State: Connected, Recording: rd}}}), t0)
	if len(ns) != 1 || ns[0].Text != ObservedText {
		t.Fatalf("R-C8 welcome notices %+v, want only the observed one", ns)
	}
	c := d.Chat("c1")
	if got := c.ButtonLabel(BtnRecord); got != "Stop" {
		t.Fatalf("R-C1 label after welcome %q", got)
	}
	ns = apply(t, d, env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: Connected}), t0)
	if len(ns) != 0 {
		t.Fatalf("snapshot without recording state said %+v", ns)
	}
	if c.Recording == nil || !c.Recording.Recording || c.ButtonState(BtnSnip).Reason != ErrSnipAfterRecord.Error() {
		t.Fatalf("snapshot without recording state lost it: %+v", c.Recording)
	}
	stopped := *rd
	stopped.Recording, stopped.Observed, stopped.Recordings = false, false, []RecordingInfo{recInfo("record", "stopped")}
	apply(t, d, env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: Connected, Recording: &stopped}), t0)
	if got := c.ButtonLabel(BtnRecord); got != "Continue" {
		t.Fatalf("R-C1 snapshot: label %q", got)
	}
	observed := stopped
	observed.Observed = true
	ns = apply(t, d, env(t, TypeChat, "c1", ChatData{ID: "c1", Customer: "Bob", State: Connected, Recording: &observed}), t0)
	if len(ns) != 1 || ns[0].Reason != AttnObserved {
		t.Fatalf("R-C8 observed again in a snapshot: %+v", ns)
	}
	if _, ok := c.Running(); ok {
		t.Fatal("nothing runs, Running says otherwise")
	}
}

// Running picks what the agent sees first: their own recording, then the
// automatic one, then any other.
func TestRunning(t *testing.T) {
	sup := RecordingInfo{Kind: "dynamic", State: "recording", By: "supervisor", Since: t0}
	auto := RecordingInfo{Kind: "auto", State: "recording", By: "policy", Since: t0.Add(time.Second)}
	own := RecordingInfo{Kind: "snip", State: "recording", By: "agent", Since: t0.Add(2 * time.Second)}
	paused := RecordingInfo{Kind: "record", State: "paused", By: "agent"}
	cases := []struct {
		name string
		recs []RecordingInfo
		want string // kind; "" none
	}{
		{"none", nil, ""},
		{"paused only", []RecordingInfo{paused}, ""},
		{"R-C8 supervisor only", []RecordingInfo{sup}, "dynamic"},
		{"R-H2 automatic before supervisor", []RecordingInfo{sup, auto}, "auto"},
		{"R-C1 own first", []RecordingInfo{sup, auto, own}, "snip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Chat{ChatData: ChatData{Recording: &RecordingData{Recordings: tc.recs}}}
			r, ok := c.Running()
			if ok != (tc.want != "") || r.Kind != tc.want {
				t.Fatalf("Running = %q, %v; want %q", r.Kind, ok, tc.want)
			}
		})
	}
}

// A recording frame about an unknown chat, or with a bad payload, is an
// error and changes nothing; rec_refused errors are put in words.
func TestRecordingErrors(t *testing.T) {
	d := connectedDesk(t)
	if _, err := d.Apply(env(t, TypeRecording, "ghost", RecordingData{}), t0); !errors.Is(err, ErrUnknownChat) {
		t.Fatalf("unknown chat: %v", err)
	}
	if _, err := d.Apply(Envelope{V: 1, Type: TypeRecording, Chat: "c1", Data: []byte(`{"buttons":7}`)}, t0); err == nil {
		t.Fatal("bad payload accepted")
	}
	if _, err := d.Apply(Envelope{V: 1, Type: TypeRecording, Chat: "c1"}, t0); !errors.Is(err, ErrNoData) {
		t.Fatalf("no payload: %v", err)
	}
	if d.Chat("c1").Recording != nil {
		t.Fatal("a refused frame changed the chat")
	}
	ns := apply(t, d, env(t, TypeError, "c1", ErrorData{Code: ErrCodeRecRefused, Message: ErrSnipAfterRecord.Error()}), t0)
	want := "recording refused: " + ErrSnipAfterRecord.Error()
	if len(ns) != 1 || ns[0].Text != want || ns[0].Reason != AttnError || d.Chat("c1").LastError != want {
		t.Fatalf("R-C2 rec_refused in words: %+v", ns)
	}
	ns = apply(t, d, env(t, TypeError, "c1", ErrorData{Code: ErrCodeRecRefused}), t0)
	if len(ns) != 1 || !strings.Contains(ns[0].Text, "refused the recording request") {
		t.Fatalf("rec_refused without a message: %+v", ns)
	}
}

// R-C3: without the hub's state the buttons give the rule's own reason.
func TestNoRecordingState(t *testing.T) {
	if NoRecordingState != ErrChatNotConnected.Error() {
		t.Fatalf("NoRecordingState %q differs from ErrChatNotConnected %q", NoRecordingState, ErrChatNotConnected)
	}
}

func TestButtonKey(t *testing.T) {
	for b, want := range map[Button]string{BtnRecord: "record", BtnSnip: "snip", BtnPause: "pause", Button(7): "", Button(-1): ""} {
		if got := b.Key(); got != want {
			t.Errorf("Button(%d).Key() = %q, want %q", int(b), got, want)
		}
	}
}
