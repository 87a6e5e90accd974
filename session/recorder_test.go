package session

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var recT0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func atSec(sec int) time.Time { return recT0.Add(time.Duration(sec) * time.Second) }

// agentRights: may record, snip and pause, permits recordings, no automatic
// policy.
var agentRights = Rights{MayRecord: true, MaySnip: true, MayPause: true, Permits: true}

func recConnected(t *testing.T, rights Rights) *Recorder {
	t.Helper()
	r := NewRecorder("chat-1")
	r.Connect("ada", rights, Route{}, atSec(0))
	return r
}

func recPress(t *testing.T, r *Recorder, b Button, sec int) []*Recording {
	t.Helper()
	recs, err := r.Press(b, "ada", atSec(sec))
	if err != nil {
		t.Fatalf("press %s at %ds: %v", b, sec, err)
	}
	return recs
}

func recLine(id int64, text string) MessageData {
	return MessageData{ID: id, From: FromCustomer, Name: "Bob", Text: text, At: atSec(int(id))}
}

func TestRecordStartStopContinue(t *testing.T) { // R-C1, R-C6
	r := recConnected(t, agentRights)
	recPress(t, r, BtnRecord, 1)  // start
	recPress(t, r, BtnRecord, 5)  // stop
	recPress(t, r, BtnRecord, 10) // continue
	recPress(t, r, BtnRecord, 12) // stop
	out := r.Finish(atSec(20))
	if len(out) != 1 || !out[0].Produced {
		t.Fatalf("R-C6: want one produced recording, got %+v", out)
	}
	rec := out[0].Recording
	if rec.Kind != KindRecord || len(rec.Parts) != 2 {
		t.Fatalf("R-C1: want one Record with 2 parts, got %s with %d", rec.Kind, len(rec.Parts))
	}
	if !rec.Parts[0].Start.Equal(atSec(1)) || !rec.Parts[1].End.Equal(atSec(12)) {
		t.Errorf("R-C1: parts %+v", rec.Parts)
	}
}

func TestOneKindPerInteraction(t *testing.T) { // R-C2
	cases := []struct {
		name  string
		first Button
		then  Button
		want  error
	}{
		{"R-C2 Snip after Record", BtnRecord, BtnSnip, ErrSnipAfterRecord},
		{"R-C2 Record after Snip", BtnSnip, BtnRecord, ErrRecordAfterSnip},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := recConnected(t, agentRights)
			recPress(t, r, tc.first, 1)
			recPress(t, r, tc.first, 2) // stopped: still used
			if _, err := r.Press(tc.then, "ada", atSec(3)); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err := r.Check(tc.then, "ada"); !errors.Is(err, tc.want) {
				t.Fatalf("Check: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnavailableByStateOrRight(t *testing.T) { // R-C3, R-C4
	noRights := Rights{Permits: true}
	cases := []struct {
		name   string
		state  State
		rights Rights
		button Button
		want   error
	}{
		{"R-C3 Record while offered", Offered, agentRights, BtnRecord, ErrChatNotConnected},
		{"R-C3 Snip in ACW", ACW, agentRights, BtnSnip, ErrChatNotConnected},
		{"R-C3 Record without the right", Connected, noRights, BtnRecord, ErrNoRecordRight},
		{"R-C3 Snip without the right", Connected, noRights, BtnSnip, ErrNoSnipRight},
		{"R-C4 Pause without the right", Connected, noRights, BtnPause, ErrNoPauseRight},
		{"R-C4 Pause in ACW", ACW, agentRights, BtnPause, ErrChatNotConnected},
		{"R-C4 Pause with nothing recording", Connected, agentRights, BtnPause, ErrNothingToPause},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRecorder("c")
			r.Connect("ada", tc.rights, Route{}, atSec(0))
			r.SetState(tc.state, atSec(0))
			if err := r.Check(tc.button, "ada"); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPauseOnlyForRecord(t *testing.T) { // R-C4
	r := recConnected(t, agentRights)
	recPress(t, r, BtnSnip, 1)
	if _, err := r.Press(BtnPause, "ada", atSec(2)); !errors.Is(err, ErrPauseSnip) {
		t.Fatalf("R-C4: pause on a snippet: %v, want ErrPauseSnip", err)
	}
	r2 := recConnected(t, agentRights)
	recPress(t, r2, BtnRecord, 1)
	recPress(t, r2, BtnPause, 2)
	if st := r2.Status(); !st.Paused || st.Recording {
		t.Fatalf("R-C4: after pause status %+v", st)
	}
	recPress(t, r2, BtnPause, 4)
	if st := r2.Status(); st.Paused || !st.Recording {
		t.Fatalf("R-C4: after resume status %+v", st)
	}
	rec := r2.Recordings()[0]
	if p := rec.Parts[0].Pauses; len(p) != 1 || !p[0].From.Equal(atSec(2)) || !p[0].To.Equal(atSec(4)) {
		t.Fatalf("R-G4: the pause is kept for padding: %+v", p)
	}
}

func TestOnlyWhatIsEnteredWhileOn(t *testing.T) { // R-C5
	r := recConnected(t, agentRights)
	r.Capture(recLine(1, "before"))
	recPress(t, r, BtnRecord, 2)
	r.Capture(recLine(3, "recorded one"))
	recPress(t, r, BtnPause, 4)
	r.Capture(recLine(5, "while paused"))
	recPress(t, r, BtnPause, 6)
	r.Capture(recLine(7, "recorded two"))
	recPress(t, r, BtnRecord, 8)
	r.Capture(recLine(9, "after stop"))
	got := r.Finish(atSec(10))[0].Recording.Lines
	if len(got) != 2 || got[0].Text != "recorded one" || got[1].Text != "recorded two" {
		t.Fatalf("R-C5: recorded lines %+v", got)
	}
}

func TestChatEndStopsAndJoins(t *testing.T) { // R-C6
	r := recConnected(t, agentRights)
	recPress(t, r, BtnRecord, 1)
	r.SetState(ACW, atSec(5))
	rec := r.Recordings()[0]
	if rec.State != RecStopped || !rec.Parts[0].End.Equal(atSec(5)) {
		t.Fatalf("R-C6: chat end must stop the recording: %+v", rec)
	}
	out := r.Finish(atSec(9))
	if len(out) != 1 || out[0].Recording.State != RecFinal || !out[0].Produced {
		t.Fatalf("R-C6: %+v", out)
	}
}

func TestSupervisorRecordingIsShown(t *testing.T) { // R-C8
	r := recConnected(t, agentRights)
	if r.Status().Observed {
		t.Fatal("R-C8: nobody records yet")
	}
	if _, err := r.API(APIRequest{Op: OpStart, By: Actor{Role: "supervisor", ID: "sue"}}, atSec(1)); err != nil {
		t.Fatal(err)
	}
	if st := r.Status(); !st.Observed || !st.Recording {
		t.Fatalf("R-C8: a supervisor's recording must be visible: %+v", st)
	}
}

func TestAutomaticRecording(t *testing.T) { // R-H2, R-H3, R-H5
	auto := agentRights
	auto.Auto, auto.AutoPercent = true, 100
	r := recConnected(t, auto)
	if st := r.Status(); !st.Recording || st.Kinds[0] != KindAuto {
		t.Fatalf("R-H2: chat must be recorded automatically: %+v", st)
	}
	if err := r.Check(BtnRecord, "ada"); !errors.Is(err, ErrAutomatic) {
		t.Fatalf("R-H3: Record in automatic mode: %v", err)
	}
	if err := r.Check(BtnSnip, "ada"); !errors.Is(err, ErrAutomatic) {
		t.Fatalf("R-H3: Snip in automatic mode: %v", err)
	}
	recPress(t, r, BtnPause, 1)
	recPress(t, r, BtnPause, 2)
	auto.AutoPercent = 0
	if st := recConnected(t, auto).Status(); st.Recording {
		t.Fatal("R-H5: 0% must record nothing")
	}
	// R-H5: the share of chats recorded follows the percentage.
	n := 0
	for i := range 1000 {
		if Sampled(fmt.Sprintf("chat-%d", i), "auto", 30) {
			n++
		}
	}
	if n < 250 || n > 350 {
		t.Fatalf("R-H5: 30%% of 1000 chats sampled %d", n)
	}
	if Sampled("x", "auto", 30) != Sampled("x", "auto", 30) {
		t.Fatal("R-H5: the decision must be stable per interaction")
	}
}

func TestParallelRecordings(t *testing.T) { // R-H4
	rights := agentRights
	rights.Auto, rights.AutoPercent, rights.FullTime = true, 100, true
	r := NewRecorder("c")
	r.Connect("ada", rights, Route{RecordDestination: true, ID: "flow-7", Dest: "vault"}, atSec(0))
	if _, err := r.API(APIRequest{Op: OpStart, Partitions: []string{"legal", "eu"}, By: Actor{Role: "flow"}}, atSec(1)); err != nil {
		t.Fatal(err)
	}
	recs := r.Recordings()
	if len(recs) != 4 {
		t.Fatalf("R-H4: want 4 parallel recordings, got %d", len(recs))
	}
	ids := map[string]bool{}
	for _, rec := range recs {
		if ids[rec.ID] {
			t.Fatalf("R-H4: duplicate id %s", rec.ID)
		}
		ids[rec.ID] = true
	}
	if sel := r.Find("flow-7"); sel == nil || sel.Dest != "vault" || sel.Kind != KindSelective {
		t.Fatalf("R-G2: selective recording with id and dest: %+v", sel)
	}
	if recs[3].Partitions[1] != "eu" {
		t.Fatalf("R-G3: partitions kept: %+v", recs[3].Partitions)
	}
}

func TestNoRecordingWhen(t *testing.T) { // R-H6, R-H7
	deny := agentRights
	deny.Permits = false
	cases := []struct {
		name    string
		act     func(r *Recorder)
		abusive bool
		want    bool
	}{
		{"R-H6 supervisor does not permit", func(r *Recorder) { r.Involve("sue", deny) }, false, false},
		{"R-H6 transfer target does not permit", func(r *Recorder) { r.Transfer("bob", deny, Route{}, atSec(3)) }, false, false},
		{"R-H6 customer asked for deletion, agent pressed Delete", func(r *Recorder) { r.ConfirmDeletion("ada", atSec(3)) }, false, false},
		{"R-H6 consent declined", func(r *Recorder) { r.SetConsent(false, atSec(3)) }, false, false},
		{"consent given", func(r *Recorder) { r.SetConsent(true, atSec(3)) }, false, true},
		{"R-H7 abusive overrides a non-permitting agent", func(r *Recorder) { r.Involve("sue", deny) }, true, true},
		{"R-H7 abusive overrides deletion", func(r *Recorder) { r.ConfirmDeletion("ada", atSec(3)) }, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := recConnected(t, agentRights)
			recPress(t, r, BtnRecord, 1)
			r.Capture(recLine(2, "hello"))
			tc.act(r)
			if tc.abusive {
				r.FlagAbusive(Actor{Role: "agent", ID: "ada"})
			}
			for _, o := range r.Finish(atSec(9)) {
				if o.Produced != tc.want {
					t.Fatalf("produced=%v want %v (%s)", o.Produced, tc.want, o.Why)
				}
			}
		})
	}
}

func TestAbusiveAlwaysRecorded(t *testing.T) { // R-H7
	deny := Rights{Permits: false}
	r := NewRecorder("c")
	r.Connect("ada", deny, Route{}, atSec(0))
	r.Capture(recLine(1, "you are useless"))
	if err := r.Check(BtnRecord, "ada"); err == nil {
		t.Fatal("R-H6: a non-permitting agent must not start a recording")
	}
	r.FlagAbusive(Actor{Role: "supervisor", ID: "sue"})
	out := r.Finish(atSec(5))
	if len(out) != 1 || !out[0].Produced || out[0].Recording.Kind != KindAbuse || len(out[0].Recording.Lines) != 1 {
		t.Fatalf("R-H7: an abusive chat must end with a recording of it: %+v", out)
	}
}

func TestFullTimeStopsAtTransfer(t *testing.T) { // R-G1, R-G2
	rights := agentRights
	rights.FullTime = true
	r := NewRecorder("c")
	r.Connect("ada", rights, Route{RecordDestination: true}, atSec(0))
	r.Transfer("bob", agentRights, Route{}, atSec(5))
	for _, rec := range r.Recordings() {
		if rec.State != RecStopped {
			t.Fatalf("R-G1/R-G2: %s must stop at transfer, is %s", rec.Kind, rec.State)
		}
	}
	r.Transfer("cy", agentRights, Route{RecordDestination: true}, atSec(6))
	if st := r.Status(); !st.Recording || st.Kinds[0] != KindSelective {
		t.Fatalf("R-G2: the new route asked again: %+v", st)
	}
}

func TestDynamicAPI(t *testing.T) { // R-G3
	rights := agentRights
	rights.FullTime = true
	r := NewRecorder("c")
	r.Connect("ada", rights, Route{}, atSec(0))
	sup := Actor{Role: "supervisor", ID: "sue"}
	steps := []struct {
		req   APIRequest
		want  RecState
		count int
		err   error
	}{
		{APIRequest{Op: OpPause, By: sup}, RecPaused, 1, nil}, // controls the full-time one
		{APIRequest{Op: OpResume, By: sup}, RecOn, 1, nil},
		{APIRequest{Op: OpStart, ID: "q-1", Side: "source", Partitions: []string{"qa"}, By: sup}, RecOn, 1, nil},
		{APIRequest{Op: OpStart, ID: "q-1", By: sup}, 0, 0, ErrRecWrongState},
		{APIRequest{Op: OpStop, ID: "q-1", By: sup}, RecStopped, 1, nil},
		{APIRequest{Op: OpStop, ID: "nope", By: sup}, 0, 0, ErrNoSuchRecording},
		{APIRequest{Op: OpStart, ID: "q-1", By: sup}, RecOn, 1, nil}, // continue
		{APIRequest{Op: OpStart, Side: "sideways", By: sup}, 0, 0, ErrBadRecOp},
		{APIRequest{Op: 3099, By: sup}, 0, 0, ErrBadRecOp},
	}
	for i, s := range steps {
		recs, err := r.API(s.req, atSec(i+1))
		if !errors.Is(err, s.err) {
			t.Fatalf("R-G3 step %d (%s): err %v, want %v", i, s.req.Op, err, s.err)
		}
		if err == nil && (len(recs) != s.count || recs[0].State != s.want) {
			t.Fatalf("R-G3 step %d (%s): %d recordings, state %s", i, s.req.Op, len(recs), recs[0].State)
		}
	}
	if q := r.Find("q-1"); q.Side != "source" || q.Partitions[0] != "qa" || len(q.Parts) != 2 {
		t.Fatalf("R-G3: %+v", q)
	}
	for code, want := range map[string]RecOp{"3013": OpStart, "STOP": OpStop, "pause": OpPause, "3016": OpResume} {
		if got, err := ParseRecOp(code); err != nil || got != want {
			t.Errorf("ParseRecOp(%q) = %v, %v", code, got, err)
		}
	}
	if _, err := ParseRecOp("3017"); !errors.Is(err, ErrBadRecOp) {
		t.Errorf("ParseRecOp(3017): %v", err)
	}
	r.SetState(ACW, atSec(30))
	if _, err := r.API(APIRequest{Op: OpStart, By: sup}, atSec(31)); !errors.Is(err, ErrChatNotConnected) {
		t.Fatalf("R-G3: start after the chat ended: %v", err)
	}
}

// TestRecStateTable walks every (state, op) pair of one recording.
func TestRecStateTable(t *testing.T) {
	legal := map[RecState]map[RecOp]RecState{
		RecOn:      {OpStop: RecStopped, OpPause: RecPaused},
		RecPaused:  {OpResume: RecOn, OpStop: RecStopped},
		RecStopped: {OpStart: RecOn},
	}
	for s := RecOn; s <= RecFinal; s++ {
		for _, op := range []RecOp{OpStart, OpStop, OpPause, OpResume} {
			next, err := step(s, op)
			want, ok := legal[s][op]
			if ok != (err == nil) || (ok && next != want) {
				t.Errorf("%s on %s: %s, %v", op, s, next, err)
			}
			if !ok && !errors.Is(err, ErrRecWrongState) {
				t.Errorf("%s on %s: error %v, want ErrRecWrongState", op, s, err)
			}
		}
	}
}
