package hub

import (
	"github.com/agentdesk/agentdesk/hub/api"

	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestRecordingAPIFourCodes_R_G3 drives one recording through START,
// PAUSE, RESUME, STOP and START again, each code by number, numeric string
// and name; every answer carries the new state, and every change reaches
// the agent's desktop at once.
func TestRecordingAPIFourCodes_R_G3(t *testing.T) {
	spellings := []struct {
		name                       string
		start, pause, resume, stop string
	}{
		{"numbers", `3013`, `3015`, `3016`, `3014`},
		{"numeric strings", `"3013"`, `"3015"`, `"3016"`, `"3014"`},
		{"upper names", `"START"`, `"PAUSE"`, `"RESUME"`, `"STOP"`},
		{"lower names", `"start"`, `"pause"`, `"resume"`, `"stop"`},
	}
	for _, sp := range spellings {
		t.Run(sp.name, func(t *testing.T) {
			r := recHub(t, nil)
			steps := []struct {
				op, extra, want string
			}{
				{sp.start, `,"id":"rec-1","record":"source","partitions":"eu, quality"`, "recording"},
				{sp.pause, `,"id":"rec-1"`, "paused"},
				{sp.resume, ``, "recording"},
				{sp.stop, ``, "stopped"},
				{sp.start, `,"id":"rec-1"`, "recording"}, // continues: a second part
			}
			for i, st := range steps {
				code, body := r.api(t, "t-sue", `{"operation":`+st.op+`,"interaction":"`+r.chat+`"`+st.extra+`}`)
				if code != http.StatusOK {
					t.Fatalf("step %d: %d %s", i, code, body)
				}
				var ans RecordingAnswer
				if err := json.Unmarshal(body, &ans); err != nil {
					t.Fatal(err)
				}
				if ans.Interaction != r.chat || len(ans.Recordings) != 1 || ans.Recordings[0].ID != "rec-1" ||
					ans.Recordings[0].State != st.want || ans.State == nil || kinds(*ans.State) != "dynamic:"+st.want {
					t.Fatalf("step %d: answer %s", i, body)
				}
				if d := recFrame(r.g); kinds(d) != "dynamic:"+st.want || !strings.Contains(d.Change, "supervisor sue") {
					t.Fatalf("step %d: desktop got %+v", i, d)
				}
			}
			r.finish(t)
			l := r.stored(t)
			if len(l.Recordings) != 1 {
				t.Fatalf("stored %+v", l)
			}
			rec := l.Recordings[0]
			if rec.Side != "source" || !slices.Equal(rec.Partitions, []string{"eu", "quality"}) || len(rec.Parts) != 2 {
				t.Fatalf("stored %+v", rec)
			}
			if by := rec.Log[0].By; by.Role != RoleSupervisor || by.ID != "sue" || by.Reason != "recording API 3013 START" {
				t.Fatalf("log %+v", rec.Log[0])
			}
		})
	}
}

// TestRecordingAPIControlsPolicyRecordings_R_G3: STOP and PAUSE without an
// id act on recordings begun by full-time (R-G1) and selective (R-G2)
// recording; partitions may come as a list.
func TestRecordingAPIControlsPolicyRecordings_R_G3(t *testing.T) {
	r := recHub(t, both(withRights(func(x *session.Rights) { x.FullTime = true }),
		func(c *Config) { c.Queues[0].Record = RecordDestination }))
	if kinds(r.joined) != "fulltime:recording,selective:recording" {
		t.Fatalf("after accept: %s", kinds(r.joined))
	}
	if code, body := r.api(t, "t-ivr", `{"operation":"PAUSE","interaction":"`+r.chat+`"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	if d := recFrame(r.g); kinds(d) != "fulltime:paused,selective:paused" || !strings.Contains(d.Change, "flow ivr paused full-time, selective") {
		t.Fatalf("desktop %+v", d)
	}
	if code, body := r.api(t, "t-ivr", `{"operation":3014,"interaction":"`+r.chat+`"}`); code != 200 {
		t.Fatalf("stop: %d %s", code, body)
	}
	if d := recFrame(r.g); kinds(d) != "fulltime:stopped,selective:stopped" {
		t.Fatalf("desktop %s", kinds(d))
	}
	code, body := r.api(t, "t-ivr", `{"operation":3013,"interaction":"`+r.chat+`","partitions":["a"," b",""]}`)
	var ans RecordingAnswer
	if err := json.Unmarshal(body, &ans); code != 200 || err != nil || !slices.Equal(ans.Recordings[0].Partitions, []string{"a", "b"}) {
		t.Fatalf("start: %d %s", code, body)
	}
}

// TestRecordingAPIErrors_R_G3: every error has its stable code and status.
func TestRecordingAPIErrors_R_G3(t *testing.T) {
	r := recHub(t, nil)
	_, queued := customerJoin(t, r.base, session.JoinData{Name: "Eve", Queue: "billing"}) // nobody serves it here
	on := func(op string) string { return `{"operation":` + op + `,"interaction":"` + r.chat + `"}` }
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code, msg                       string
	}{
		{"bad json", "POST", "/v1/recording", "t-sue", `{"operation":`, 400, api.ErrBadJSON, "not a JSON object"},
		{"not an object", "POST", "/v1/recording", "t-sue", `[1]`, 400, api.ErrBadJSON, ""},
		{"unknown field", "POST", "/v1/recording", "t-sue", `{"operation":3013,"interaction":"x","colour":1}`, 400, api.ErrBadRequest, "colour"},
		{"no operation", "POST", "/v1/recording", "t-sue", `{"interaction":"x"}`, 400, api.ErrBadRequest, "operation is required"},
		{"unknown operation", "POST", "/v1/recording", "t-sue", on(`3017`), 400, api.ErrBadRequest, "unknown operation"},
		{"unknown operation name", "POST", "/v1/recording", "t-sue", on(`"REWIND"`), 400, api.ErrBadRequest, "3013/START"},
		{"operation of the wrong type", "POST", "/v1/recording", "t-sue", on(`true`), 400, api.ErrBadRequest, "number or a string"},
		{"bad record", "POST", "/v1/recording", "t-sue", `{"operation":3013,"interaction":"x","record":"both"}`, 400, api.ErrBadRequest, "source or destination"},
		{"bad partitions", "POST", "/v1/recording", "t-sue", `{"operation":3013,"interaction":"x","partitions":7}`, 400, api.ErrBadRequest, "partitions"},
		{"missing interaction", "POST", "/v1/recording", "t-sue", `{"operation":3013}`, 400, api.ErrBadRequest, "interaction is required"},
		{"no token", "POST", "/v1/recording", "", on(`3013`), 401, api.ErrUnauthorized, "Bearer"},
		{"wrong token", "POST", "/v1/recording", "t-nobody", on(`3013`), 401, api.ErrUnauthorized, ""},
		{"agent token", "POST", "/v1/recording", "t-grace", on(`3013`), 403, api.ErrForbidden, "agent grace may not"},
		{"list without token", "GET", "/v1/recordings", "", "", 401, api.ErrUnauthorized, ""},
		{"unknown interaction", "POST", "/v1/recording", "t-sue", `{"operation":3013,"interaction":"chat-999"}`, 404, api.ErrNoSuchInteraction, "chat-999"},
		{"unknown recording", "POST", "/v1/recording", "t-sue", `{"operation":3014,"interaction":"` + r.chat + `","id":"nope"}`, 404, api.ErrNoSuchRecording, "nope"},
		{"nothing to stop", "POST", "/v1/recording", "t-sue", on(`"STOP"`), 409, api.ErrWrongState, session.ErrNothingToPause.Error()},
		{"chat not connected", "POST", "/v1/recording", "t-sue", `{"operation":3013,"interaction":"` + queued.Chat + `"}`, 409, api.ErrWrongState, session.ErrChatNotConnected.Error()},
		{"GET the API", "GET", "/v1/recording", "t-sue", "", 405, api.ErrMethodNotAllowed, "POST"},
		{"DELETE the API", "DELETE", "/v1/recording", "t-sue", "", 405, api.ErrMethodNotAllowed, "POST"},
		{"POST the list", "POST", "/v1/recordings", "t-sue", "", 405, api.ErrMethodNotAllowed, "GET"},
		{"too large", "POST", "/v1/recording", "t-sue", `{"interaction":"` + strings.Repeat("x", maxAPIBody) + `"}`, 413, api.ErrTooLarge, "larger"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := apiDo(t, tc.method, r.http+tc.path, tc.token, tc.body)
			var e api.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d %q is not a JSON error: %v", status, body, err)
			}
			if status != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("got %d %+v, want %d %s containing %q", status, e.Error, tc.status, tc.code, tc.msg)
			}
		})
	}
	// None of it changed anything on the desktop.
	r.g.expectNone(session.TypeRecording)
}

func TestRecordingListShowsLiveRecordings(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "snip")
	l := r.stored(t)
	if len(l.Live) != 1 || l.Live[0].Kind != "snip" || l.Live[0].State != "recording" || l.Live[0].Produced || len(l.Recordings) != 0 {
		t.Fatalf("live %+v", l)
	}
	if l.Live[0].Log[0].By.ID != "grace" {
		t.Fatalf("log %+v", l.Live[0].Log)
	}
}
