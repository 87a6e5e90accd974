package hub

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

func TestAutomaticRecordingAgentCannotStart_R_H2_R_H3(t *testing.T) {
	r := recHub(t, withRights(func(x *session.Rights) { x.Auto, x.AutoPercent = true, 100 }))
	d := r.joined
	if !d.Automatic || kinds(d) != "auto:recording" || d.Recordings[0].By != "policy" || !strings.Contains(d.Change, "automatic") {
		t.Fatalf("after accept: %+v", d)
	}
	for _, b := range []string{"record", "snip"} {
		if st := d.Buttons[b]; st.Enabled || st.Reason != session.ErrAutomatic.Error() {
			t.Fatalf("%s button %+v", b, st)
		}
		if msg := r.refused(t, b); msg != session.ErrAutomatic.Error() {
			t.Fatalf("%s: %q", b, msg)
		}
	}
	if d := r.press(t, "pause"); kinds(d) != "auto:paused" {
		t.Fatalf("pause: %s", kinds(d))
	}
	if d := r.press(t, "pause"); kinds(d) != "auto:recording" {
		t.Fatalf("resume: %s", kinds(d))
	}
	r.finish(t)
	l := r.stored(t)
	if len(l.Recordings) != 1 || l.Recordings[0].Kind != "auto" {
		t.Fatalf("stored %+v", l)
	}
	// Capture starts when the agent answers (R-V2): the join is recorded,
	// after the customer is told it is.
	if got := texts(l.Recordings[0].Lines); !strings.HasPrefix(got, "Recording started (automatic)\n"+DefaultNoticeRecording+"\nGrace Hopper joined the chat\n") {
		t.Fatalf("lines:\n%s", got)
	}
}

// TestParallelRecordingsDistinctNames_R_H4: full-time, automatic and an
// API recording run in one chat; each gets its own name from the
// template, and names never collide across chats.
func TestParallelRecordingsDistinctNames_R_H4(t *testing.T) {
	r := recHub(t, both(
		withRights(func(x *session.Rights) { x.Auto, x.AutoPercent, x.FullTime = true, 100, true }),
		func(c *Config) { c.Recording.FileNameTemplate = "{queue}/{agent} {kind}" },
	))
	if kinds(r.joined) != "fulltime:recording,auto:recording" {
		t.Fatalf("after accept: %s", kinds(r.joined))
	}
	if code, body := r.api(t, "t-ivr", `{"operation":3013,"interaction":"`+r.chat+`"}`); code != 200 {
		t.Fatalf("api %d %s", code, body)
	}
	r.finish(t)
	r.next(t, "Dan")
	r.finish(t)
	list, err := r.s.Recordings("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	all := list.Recordings
	var names []string
	for _, rec := range all {
		names = append(names, rec.Name)
	}
	want := "general_grace_fulltime general_grace_auto general_grace_dynamic general_grace_fulltime-2 general_grace_auto-2"
	if strings.Join(names, " ") != want {
		t.Fatalf("names %q, want %q", names, want)
	}
}

// TestAutoPercentage_R_H5: with auto_percent 50 the chats recorded are
// exactly those session.Sampled picks, and both kinds occur.
func TestAutoPercentage_R_H5(t *testing.T) {
	r := recHub(t, withRights(func(x *session.Rights) { x.Auto, x.AutoPercent = true, 50 }))
	seen := map[bool]int{}
	for i := 0; ; i++ {
		want := session.Sampled(r.chat, "auto", 50)
		if got := r.joined.Automatic; got != want {
			t.Fatalf("%s: automatic %v, want %v", r.chat, got, want)
		}
		seen[want]++
		r.finish(t)
		if i >= 3 && seen[true] > 0 && seen[false] > 0 {
			break
		}
		if i > 30 {
			t.Fatalf("30 chats and still %v", seen)
		}
		r.next(t, fmt.Sprint("C", i))
	}
	for _, pct := range []int{0, 100} {
		r := recHub(t, withRights(func(x *session.Rights) { x.Auto, x.AutoPercent = true, pct }))
		if r.joined.Automatic != (pct == 100) {
			t.Fatalf("%d%%: automatic %v", pct, r.joined.Automatic)
		}
	}
}

// TestNothingStored_R_H6: a declined consent, a confirmed deletion or a
// non-permitting agent leave no recording; an accepted consent does. While
// the customer is asked, nothing may be recorded at all.
func TestNothingStored_R_H6(t *testing.T) {
	consent := func(c *Config) { c.Queues[0].AskConsent = true }
	cases := []struct {
		name   string
		mutate func(*Config)
		act    func(t *testing.T, r *recSetup)
		stored bool
		why    string
	}{
		{"consent no", consent, func(t *testing.T, r *recSetup) {
			if msg := r.refused(t, "record"); msg != session.ErrConsentPending.Error() {
				t.Fatalf("X-1 record before the answer: %q", msg)
			}
			r.say(t, "before the answer")
			r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: false})
			d := recFrame(r.g)
			if d.Consent != "no" || d.Recording || !strings.Contains(d.Change, "declined") {
				t.Fatalf("after no: %+v", d)
			}
			if msg := r.refused(t, "record"); msg != session.ErrConsentDeclined.Error() {
				t.Fatalf("record after no: %q", msg)
			}
		}, false, session.ErrConsentDeclined.Error()},
		{"consent yes", consent, func(t *testing.T, r *recSetup) {
			if msg := r.refused(t, "record"); msg != session.ErrConsentPending.Error() {
				t.Fatalf("X-1 record before the answer: %q", msg)
			}
			r.say(t, "before the answer")
			r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: true})
			if d := recFrame(r.g); d.Consent != "yes" || d.Recording || !d.Buttons["record"].Enabled {
				t.Fatalf("after yes: %+v", d)
			}
			r.press(t, "record")
		}, true, ""},
		{"deletion confirmed", nil, func(t *testing.T, r *recSetup) {
			r.g.send(session.TypeDeleteRec, r.chat, nil) // not asked yet
			if e, _ := expectData[session.ErrorData](r.g, session.TypeError); e.Code != session.ErrCodeRecRefused {
				t.Fatalf("delete before ask: %+v", e)
			}
			r.cust.send(session.TypeDeleteAsk, r.chat, nil)
			if d := recFrame(r.g); !d.DeleteAsk || d.Deleted || !d.Recording {
				t.Fatalf("after ask: %+v", d)
			}
			r.g.send(session.TypeDeleteRec, r.chat, nil)
			if d := recFrame(r.g); !d.Deleted || d.Recording || d.Buttons["record"].Reason != session.ErrDeleted.Error() {
				t.Fatalf("after delete: %+v", d)
			}
		}, false, session.ErrDeleted.Error()},
		{"agent does not permit", withRights(func(x *session.Rights) { x.Permits = false }), func(t *testing.T, r *recSetup) {
			if msg := r.refused(t, "record"); msg != session.ErrNotPermitted.Error() {
				t.Fatalf("record: %q", msg)
			}
			if code, _ := r.api(t, "t-sue", `{"operation":"start","interaction":"`+r.chat+`"}`); code != 409 {
				t.Fatalf("api start: %d", code)
			}
		}, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := recHub(t, tc.mutate)
			if tc.name == "deletion confirmed" {
				r.press(t, "record")
			}
			tc.act(t, r)
			r.say(t, "secret words")
			r.finish(t)
			l := r.stored(t)
			if got := len(l.Recordings) > 0; got != tc.stored {
				t.Fatalf("stored %v: %+v", got, l)
			}
			for _, rec := range l.Recordings {
				if strings.Contains(texts(rec.Lines), "before the answer") {
					t.Fatalf("X-1 the recording holds what was said before the customer's Yes: %q", texts(rec.Lines))
				}
			}
			for _, d := range l.Dropped {
				if d.Why != tc.why || len(d.Lines) != 0 || d.Name != "" {
					t.Fatalf("dropped %+v", d)
				}
			}
		})
	}
}

func TestConsentAskedOnAccept_R_H6(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Queues[0].AskConsent, c.Queues[0].ConsentText = true, "Record us?" })
	if q, _ := expectData[session.ConsentAskData](r.cust, session.TypeConsentAsk); q.Text != "Record us?" {
		t.Fatalf("question %+v", q)
	}
	if r.joined.Consent != "asked" {
		t.Fatalf("consent %q", r.joined.Consent)
	}
	r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: true})
	recFrame(r.g)
	r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: false}) // answered already
	if e, _ := expectData[session.ErrorData](r.cust, session.TypeError); e.Code != session.ErrCodeBadState {
		t.Fatalf("second answer: %+v", e)
	}
	// A queue without ask_consent asks nothing.
	r2 := recHub(t, nil)
	r2.cust.expectNone(session.TypeConsentAsk)
	r2.cust.send(session.TypeConsent, r2.chat, session.ConsentData{Yes: true})
	if e, _ := expectData[session.ErrorData](r2.cust, session.TypeError); e.Code != session.ErrCodeBadState {
		t.Fatalf("unasked answer: %+v", e)
	}
}

func TestAbusiveAndDeleteNeedATakenChat(t *testing.T) {
	r := recHub(t, nil)
	_, joined := customerJoin(t, r.base, session.JoinData{Name: "Dan"})
	expectData[session.ChatData](r.g, session.TypeOffer)
	r.finish(t)
	for _, tc := range []struct{ chat, typ, code string }{
		{joined.Chat, session.TypeAbusive, session.ErrCodeBadState},
		{joined.Chat, session.TypeDeleteRec, session.ErrCodeBadState},
		{r.chat, session.TypeAbusive, session.ErrCodeChatEnded},
	} {
		r.g.send(tc.typ, tc.chat, nil)
		if e, _ := expectData[session.ErrorData](r.g, session.TypeError); e.Code != tc.code {
			t.Fatalf("%s on %s: %+v, want %s", tc.typ, tc.chat, e, tc.code)
		}
	}
}

// TestAbusiveAlwaysStored_R_H7: the abusive flag overrides R-H6.
func TestAbusiveAlwaysStored_R_H7(t *testing.T) {
	r := recHub(t, withRights(func(x *session.Rights) { x.Permits = false }))
	r.say(t, "you are useless")
	r.g.send(session.TypeAbusive, r.chat, nil)
	if d := recFrame(r.g); !d.Abusive || !strings.Contains(d.Change, "abusive") {
		t.Fatalf("flag: %+v", d)
	}
	r.finish(t)
	l := r.stored(t)
	if len(l.Recordings) != 1 || l.Recordings[0].Kind != "abuse" || !strings.Contains(texts(l.Recordings[0].Lines), "you are useless") {
		t.Fatalf("stored %+v", l)
	}
	// A supervisor flags through the API; declined consent too.
	r = recHub(t, func(c *Config) { c.Queues[0].AskConsent = true })
	r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: false})
	recFrame(r.g)
	code, body := apiDo(t, "POST", r.http+"/v1/abusive", "t-sue", `{"interaction":"`+r.chat+`","reason":"threats"}`)
	var ans RecordingAnswer
	if err := json.Unmarshal(body, &ans); code != 200 || err != nil || !ans.State.Abusive {
		t.Fatalf("api: %d %s", code, body)
	}
	if d := recFrame(r.g); !d.Abusive || !strings.Contains(d.Change, "supervisor sue flagged the chat abusive") {
		t.Fatalf("desktop %+v", d)
	}
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 1 || l.Recordings[0].Kind != "abuse" { // the whole transcript (R-H7)
		t.Fatalf("consent no + abusive: %+v", l)
	}
	for _, tc := range []struct {
		token, body string
		status      int
	}{
		{"", `{"interaction":"x"}`, 401},
		{"t-sue", `{"interaction":"chat-999"}`, 404},
		{"t-sue", `{"interaction":"` + r.chat + `"}`, 409}, // done
		{"t-sue", `{}`, 400},
		{"t-sue", `{"chat":"x"}`, 400},
	} {
		if code, body := apiDo(t, "POST", r.http+"/v1/abusive", tc.token, tc.body); code != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.body, code, body, tc.status)
		}
	}
}

func TestFullTimeRecording_R_G1(t *testing.T) {
	r := recHub(t, withRights(func(x *session.Rights) { x.FullTime = true }))
	if kinds(r.joined) != "fulltime:recording" || r.joined.Automatic {
		t.Fatalf("after accept: %+v", r.joined)
	}
	// Full-time is not automatic recording: the agent may still Record.
	if d := r.press(t, "record"); kinds(d) != "fulltime:recording,record:recording" {
		t.Fatalf("record: %s", kinds(d))
	}
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 2 || l.Recordings[0].Kind != "fulltime" || l.Recordings[0].Delivery != DeliveryStore {
		t.Fatalf("stored %+v", l.Recordings)
	}
}

func TestSelectiveRecording_R_G2(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Queues[0].Record, c.Queues[0].RecordingDest = RecordDestination, "vault-7" })
	if kinds(r.joined) != "selective:recording" || r.joined.Recordings[0].By != RoleFlow || !r.joined.Observed {
		t.Fatalf("after accept: %+v", r.joined)
	}
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 1 || l.Recordings[0].Dest != "vault-7" || l.Recordings[0].Side != "destination" {
		t.Fatalf("stored %+v", l.Recordings)
	}
	r = recHub(t, func(c *Config) { c.Queues[0].Record = RecordDisableDestination })
	if len(r.joined.Recordings) != 0 {
		t.Fatalf("disable_destination: %+v", r.joined)
	}
}

func TestScreenDecisionKept_R_V1(t *testing.T) {
	for _, pct := range []int{0, 100} {
		r := recHub(t, withRights(func(x *session.Rights) { x.FullTime, x.ScreenPercent = true, pct }))
		if r.joined.Recordings[0].Screen != (pct == 100) {
			t.Fatalf("%d%%: frame %+v", pct, r.joined.Recordings)
		}
		r.finish(t)
		if l := r.stored(t); l.Recordings[0].Screen != (pct == 100) {
			t.Fatalf("%d%%: stored %+v", pct, l.Recordings)
		}
	}
}
