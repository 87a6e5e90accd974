package hub

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

func TestRecordStopContinueOverTheWire_R_C1(t *testing.T) {
	r := recHub(t, nil)
	if b := r.joined.Buttons["record"]; !b.Enabled || len(r.joined.Recordings) != 0 {
		t.Fatalf("after accept: %+v", r.joined)
	}
	d := r.press(t, "record")
	if kinds(d) != "record:recording" || !d.Recording || !strings.Contains(d.Change, "Grace Hopper started Record") {
		t.Fatalf("record: %s %+v", kinds(d), d)
	}
	if m := lineWith(r.g, "Recording started (Record)"); m.From != session.FromSystem {
		t.Fatalf("marker %+v", m)
	}
	if d.Buttons["snip"].Enabled || d.Buttons["snip"].Reason != session.ErrSnipAfterRecord.Error() {
		t.Fatalf("snip while recording: %+v", d.Buttons["snip"])
	}
	d = r.press(t, "record")
	if kinds(d) != "record:stopped" || d.Recording {
		t.Fatalf("stop: %s", kinds(d))
	}
	lineWith(r.g, "Recording stopped (Record)")
	d = r.press(t, "record")
	if kinds(d) != "record:recording" || d.Recordings[0].Parts != 2 || d.Recordings[0].Since.IsZero() {
		t.Fatalf("continue: %+v", d.Recordings)
	}
	lineWith(r.g, "Recording continued (Record)")
	// The markers are the agent's alone: the customer's transcript has
	// none of them, live or on resume.
	r.say(t, "marker check")
	for {
		m, _ := expectData[session.MessageData](r.cust, session.TypeMessage)
		if strings.HasPrefix(m.Text, "Recording ") {
			t.Fatalf("customer saw %q", m.Text)
		}
		if m.Text == "marker check" {
			break
		}
	}
}

func TestSnipRefusedAfterRecord_R_C2(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "record")
	if msg := r.refused(t, "snip"); msg != session.ErrSnipAfterRecord.Error() {
		t.Fatalf("snip after record: %q", msg)
	}
	r.press(t, "record") // stopped: still Record's chat
	if msg := r.refused(t, "snip"); msg != session.ErrSnipAfterRecord.Error() {
		t.Fatalf("snip after a stopped record: %q", msg)
	}
	r.next(t, "Dan") // and the reverse, on a new chat
	r.press(t, "snip")
	if msg := r.refused(t, "record"); msg != session.ErrRecordAfterSnip.Error() {
		t.Fatalf("record after snip: %q", msg)
	}
}

func TestRecordRefusedWithoutRightOrState_R_C3(t *testing.T) {
	r := recHub(t, withRights(func(x *session.Rights) { x.MayRecord = false }))
	if b := r.joined.Buttons["record"]; b.Enabled || b.Reason != session.ErrNoRecordRight.Error() {
		t.Fatalf("button %+v", b)
	}
	if msg := r.refused(t, "record"); msg != session.ErrNoRecordRight.Error() {
		t.Fatalf("refusal %q", msg)
	}
	r.g.send(session.TypeEnd, r.chat, nil)
	d := recFrame(r.g) // the end stops nothing but says so
	if d.Buttons["snip"].Enabled || d.Buttons["snip"].Reason != session.ErrChatNotConnected.Error() {
		t.Fatalf("snip in ACW: %+v", d.Buttons["snip"])
	}
	if msg := r.refused(t, "snip"); msg != session.ErrChatNotConnected.Error() {
		t.Fatalf("snip in ACW: %q", msg)
	}
	r.g.send(session.TypeRecord, r.chat, session.RecordData{Button: "shout"})
	if e, _ := expectData[session.ErrorData](r.g, session.TypeError); e.Code != session.ErrCodeBadRequest {
		t.Fatalf("bad button: %+v", e)
	}
}

func TestPauseOnlyForRecord_R_C4(t *testing.T) {
	r := recHub(t, nil)
	if msg := r.refused(t, "pause"); msg != session.ErrNothingToPause.Error() {
		t.Fatalf("pause with nothing: %q", msg)
	}
	r.press(t, "record")
	if d := r.press(t, "pause"); kinds(d) != "record:paused" || !d.Paused {
		t.Fatalf("pause: %s", kinds(d))
	}
	lineWith(r.g, "Recording paused (Record)")
	if d := r.press(t, "pause"); kinds(d) != "record:recording" {
		t.Fatalf("resume: %s", kinds(d))
	}
	lineWith(r.g, "Recording resumed (Record)")

	r.next(t, "Dan")
	d := r.press(t, "snip")
	if d.Buttons["pause"].Enabled || d.Buttons["pause"].Reason != session.ErrPauseSnip.Error() {
		t.Fatalf("pause button on a snippet: %+v", d.Buttons["pause"])
	}
	if msg := r.refused(t, "pause"); msg != session.ErrPauseSnip.Error() {
		t.Fatalf("pause on snip: %q", msg)
	}
}

// TestOnlyLinesWhileOnAreStored_R_C5_R_C6: what is said before, while
// paused, between parts and after is not in the recording; the two parts
// are one recording at done.
func TestOnlyLinesWhileOnAreStored_R_C5_R_C6(t *testing.T) {
	r := recHub(t, nil)
	r.say(t, "before recording")
	r.press(t, "record")
	r.say(t, "during one")
	r.press(t, "pause")
	r.say(t, "while paused")
	r.press(t, "pause")
	r.say(t, "during two")
	r.press(t, "record")
	r.say(t, "between parts")
	r.press(t, "record")
	r.say(t, "during three")
	final := r.finish(t)
	l := r.stored(t)
	if len(l.Recordings) != 1 || len(l.Live) != 0 {
		t.Fatalf("stored %+v", l)
	}
	rec := l.Recordings[0]
	got := texts(rec.Lines)
	for _, want := range []string{"Recording started (Record)", "during one", "Recording paused (Record)",
		"Recording resumed (Record)", "during two", "Recording stopped (Record)", "Recording continued (Record)",
		"during three", "Grace Hopper ended the chat"} {
		if !strings.Contains(got, want) {
			t.Errorf("recording lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"before recording", "while paused", "between parts", "joined the chat"} {
		if strings.Contains(got, not) {
			t.Errorf("recording has %q:\n%s", not, got)
		}
	}
	if len(rec.Parts) != 2 || len(rec.Parts[0].Pauses) != 1 || rec.Parts[1].End.IsZero() || rec.State != "final" {
		t.Fatalf("parts %+v state %s", rec.Parts, rec.State)
	}
	if rec.Name != "general_grace_record_"+r.chat || final.Recordings[0].Name != rec.Name {
		t.Fatalf("name %q, frame %+v", rec.Name, final.Recordings)
	}
	if !strings.Contains(final.Change, rec.Name) {
		t.Fatalf("final change %q", final.Change)
	}
	// The final frame names the recorded lines by id, so the desktop's
	// combiner can put exactly these in the file (R-C5, issue 6 point 1).
	var ids []int64
	for _, l := range rec.Lines {
		ids = append(ids, l.ID)
	}
	if fmt.Sprint(final.Recordings[0].Lines) != fmt.Sprint(ids) || len(ids) == 0 {
		t.Fatalf("final frame lines %v, stored %v", final.Recordings[0].Lines, ids)
	}
	if code, body := r.api(t, "t-sue", `{"operation":3013,"interaction":"`+r.chat+`"}`); code != 409 {
		t.Fatalf("API on a done chat: %d %s", code, body)
	}
	// Every change is kept with who caused it (issue 4 point 5).
	var who []string
	for _, c := range rec.Log {
		who = append(who, c.Op+"/"+c.By.Role+"/"+c.By.ID)
	}
	if strings.Join(who, " ") != "start/agent/grace pause/agent/grace resume/agent/grace stop/agent/grace start/agent/grace stop/system/" {
		t.Fatalf("log %v", who)
	}
}

func TestDeliveryKeepsTheKind_R_C7(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "record")
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 1 || l.Recordings[0].Kind != "record" || l.Recordings[0].Delivery != DeliveryAgent {
		t.Fatalf("record: %+v", l.Recordings)
	}
	r.next(t, "Dan")
	r.press(t, "snip")
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 1 || l.Recordings[0].Kind != "snip" || l.Recordings[0].Delivery != DeliveryStore {
		t.Fatalf("snip: %+v", l.Recordings)
	}
}

func TestObservedAfterSupervisorStart_R_C8(t *testing.T) {
	r := recHub(t, nil)
	if r.joined.Observed {
		t.Fatal("observed before anyone records")
	}
	code, body := r.api(t, "t-sue", `{"operation":"START","interaction":"`+r.chat+`"}`)
	if code != 200 {
		t.Fatalf("api %d %s", code, body)
	}
	d := recFrame(r.g)
	if !d.Observed || kinds(d) != "dynamic:recording" || d.Recordings[0].By != RoleSupervisor ||
		!strings.Contains(d.Change, "supervisor sue started API") {
		t.Fatalf("frame %+v", d)
	}
	lineWith(r.g, "Recording started (API)")
	// The agent's own recording is not someone else's.
	r.next(t, "Dan")
	if d := r.press(t, "record"); d.Observed {
		t.Fatal("own Record counts as observed")
	}
}

// TestSnapshotRestoresRecordingState: a reconnecting desktop gets the
// recording state in its welcome.
func TestSnapshotRestoresRecordingState(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "record")
	r.press(t, "pause")
	r.g.conn.CloseNow()
	g2, w := agentLogin(t, r.base, "t-grace", false)
	_ = g2
	if len(w.Chats) != 1 || w.Chats[0].Recording == nil {
		t.Fatalf("welcome %+v", w.Chats)
	}
	rd := w.Chats[0].Recording
	if kinds(*rd) != "record:paused" || !rd.Paused || rd.Change != "" || !rd.Buttons["pause"].Enabled {
		t.Fatalf("restored %+v", rd)
	}
}
