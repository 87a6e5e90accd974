package hub

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Issue 12 point 3, the API part (R-V5): GET /v1/recordings searches by
// agent, queue, kind, customer, time finished and words of the recorded
// transcript, against a real hub; a bad filter is a 400 in words.
func TestRecordingSearchAPI(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "record")
	r.say(t, "My PARCEL is late")
	r.finish(t)
	carol := r.chat
	r.next(t, "Dave")
	r.press(t, "snip")
	r.say(t, "Le café était froid")
	r.finish(t)
	dave := r.chat
	r.next(t, "Erin")
	r.press(t, "record")
	r.say(t, "parcel again") // Erin's chat goes on: her recording is live

	search := func(query string) RecordingList {
		t.Helper()
		code, body := apiDo(t, http.MethodGet, r.http+"/v1/recordings?"+query, "t-sue", "")
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var l RecordingList
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, c := range []struct {
		query      string
		found      []string // finished, by interaction
		live       int
		liveCustom string
	}{
		{"q=parcel", []string{carol}, 0, ""},
		{"q=" + url.QueryEscape("cafe ÉTAIT"), []string{dave}, 0, ""},
		{"q=" + url.QueryEscape(`parcel" OR "cafe`), nil, 0, ""},
		{"kind=snip", []string{dave}, 0, ""},
		{"kind=record", []string{carol}, 1, "Erin"},
		{"customer=Dave", []string{dave}, 0, ""},
		{"agent=grace", []string{carol, dave}, 1, "Erin"},
		{"agent=ada", nil, 0, ""},
		{"queue=general&agent=grace&kind=record", []string{carol}, 1, "Erin"},
		{"from=" + tomorrow, nil, 0, ""},
		{"from=" + today + "&to=" + today, []string{carol, dave}, 0, ""},
		{"to=" + url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)), nil, 0, ""},
	} {
		l := search(c.query)
		var got []string
		for _, rec := range l.Recordings {
			got = append(got, rec.Interaction)
		}
		if strings.Join(got, ",") != strings.Join(c.found, ",") || len(l.Live) != c.live {
			t.Errorf("%s: found %v and %d live, want %v and %d", c.query, got, len(l.Live), c.found, c.live)
		}
		if c.live > 0 && l.Live[0].Customer != c.liveCustom {
			t.Errorf("%s: live %+v", c.query, l.Live[0])
		}
	}
	for _, c := range []struct{ query, msg string }{
		{"kind=webcam", "unknown recording kind"},
		{"from=yesterday", "want a date (2026-11-20) or a time"},
		{"to=2026-13-01", "want a date"},
		{"q=" + strings.Repeat("a", 501), "at most 500 bytes"},
	} {
		code, body := apiDo(t, http.MethodGet, r.http+"/v1/recordings?"+c.query, "t-sue", "")
		if code != http.StatusBadRequest || !strings.Contains(string(body), c.msg) || !strings.Contains(string(body), `"bad_request"`) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.query, code, body, c.msg)
		}
	}
	if code, _ := apiDo(t, http.MethodGet, r.http+"/v1/recordings?q=parcel", "", ""); code != http.StatusUnauthorized {
		t.Errorf("a search without a token: %d", code)
	}
}

// nextAs connects a new customer chat to Grace as join says (a contact
// id, say).
func (r *recSetup) nextAs(t *testing.T, join session.JoinData) {
	t.Helper()
	cust, joined := customerJoin(t, r.base, join)
	if _, env := expectData[session.ChatData](r.g, session.TypeOffer); env.Chat != joined.Chat {
		t.Fatalf("offer for %s, want %s", env.Chat, joined.Chat)
	}
	r.g.send(session.TypeAccept, joined.Chat, nil)
	r.cust, r.chat, r.resume = cust, joined.Chat, joined.Resume
	r.joined = recFrame(r.g)
	cust.expect(session.TypeAgentIn)
	lineWith(r.g, "joined the chat")
}

// finishWrapped ends the chat, wraps it up as wu says and marks it done.
func (r *recSetup) finishWrapped(t *testing.T, wu session.WrapUpData) {
	t.Helper()
	r.g.send(session.TypeEnd, r.chat, nil)
	if st, _ := expectData[session.StateData](r.g, session.TypeState); st.State != session.ACW {
		t.Fatalf("state %+v", st)
	}
	r.g.send(session.TypeWrapUp, r.chat, wu)
	r.g.send(session.TypeDone, r.chat, nil)
	for {
		if st, _ := expectData[session.StateData](r.g, session.TypeState); st.State == session.Done {
			return
		}
	}
}

// searchAPI runs GET /v1/recordings?query as sue and decodes the list.
func searchAPI(t *testing.T, base, query string) RecordingList {
	t.Helper()
	code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?"+query, "t-sue", "")
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", query, code, body)
	}
	var l RecordingList
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// Issue 12 point 3 (R-V5, R-V7): the API searches by contact id,
// disposition, metadata tags (the configured keys of the case data when
// the chat was done, no other), duration, screen and voice; sorts by a
// column both ways with cursors that keep the sort; counts on request.
func TestRecordingSearchFiltersAPI(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Recording.MetadataTags = []string{"case", "order"} })
	r.g.send(session.TypeEnd, r.chat, nil) // Carol's chat of recHub is not needed
	expectData[session.StateData](r.g, session.TypeState)
	r.g.send(session.TypeDone, r.chat, nil)
	r.nextAs(t, session.JoinData{Name: "Bea", Contact: "bea-1"})
	r.press(t, "record")
	r.say(t, "hello")
	time.Sleep(5 * time.Millisecond) // a part that lasts: on an idle machine the chat takes under a millisecond
	r.finishWrapped(t, session.WrapUpData{Disposition: "Resolved", CaseData: map[string]string{"case": "77", "order": "A-1", "secret": "x"}})
	bea := r.chat
	r.nextAs(t, session.JoinData{Name: "Dave", Contact: "dave-9"})
	r.press(t, "snip")
	r.say(t, "bye")
	r.finishWrapped(t, session.WrapUpData{Disposition: "Escalated", CaseData: map[string]string{"case": "78"}})
	dave := r.chat
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"contact=bea-1", []string{bea}},
		{"disposition=Escalated", []string{dave}},
		{"tag.case=77", []string{bea}},
		{"tag.order=A-1&tag.case=77", []string{bea}},
		{"tag.secret=x", nil}, // not a configured tag: never kept
		{"min_duration=3600", nil},
		{"max_duration=3600&agent=grace", []string{bea, dave}},
		{"voice=1", nil}, // no file was uploaded
		{"voice=0&screen=1&agent=grace", []string{bea, dave}},
		{"sort=customer&order=desc&agent=grace", []string{dave, bea}},
		{"sort=disposition&agent=grace", []string{dave, bea}},
	} {
		var got []string
		for _, rec := range searchAPI(t, r.http, c.query).Recordings {
			got = append(got, rec.Interaction)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: found %v, want %v", c.query, got, c.want)
		}
	}
	got := searchAPI(t, r.http, "contact=bea-1").Recordings[0]
	if got.Disposition != "Resolved" || got.Contact != "bea-1" || got.DurationSeconds <= 0 ||
		len(got.Tags) != 2 || got.Tags["case"] != "77" || got.Tags["order"] != "A-1" {
		t.Errorf("Bea's recording: disposition %q contact %q duration %v tags %v", got.Disposition, got.Contact, got.DurationSeconds, got.Tags)
	}
	// One at a time under a sort, counted.
	p1 := searchAPI(t, r.http, "agent=grace&sort=customer&order=desc&limit=1&count=1")
	if p1.Total == nil || *p1.Total != 2 || len(p1.Recordings) != 1 || p1.Recordings[0].Interaction != dave || p1.Next == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := searchAPI(t, r.http, "agent=grace&sort=customer&order=desc&limit=1&cursor="+url.QueryEscape(p1.Next))
	if len(p2.Recordings) != 1 || p2.Recordings[0].Interaction != bea || p2.Next != "" || p2.Total != nil {
		t.Fatalf("page 2: %+v", p2)
	}
	for _, c := range []struct{ query, msg string }{
		{"sort=colour", "want one of finished, agent, queue"},
		{"sort=agent&cursor=" + url.QueryEscape(p1.Next), "not one this hub handed out for this sort"},
		{"min_duration=soon", "min_duration: want seconds"},
		{"tag.no%20way=1", "tag.no way:"},
		{"agnet=grace", "agnet: not a parameter of this list (a typo?)"}, // a typo is refused, not searched unfiltered
		{"agent=grace&zz=1&access_token=t-sue", "access_token, zz: not a parameter"},
	} {
		code, body := apiDo(t, http.MethodGet, r.http+"/v1/recordings?"+c.query, "t-sue", "")
		if code != http.StatusBadRequest || !strings.Contains(string(body), c.msg) || !strings.Contains(string(body), `"bad_request"`) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.query, code, body, c.msg)
		}
	}
}

// sessionWrap is a wrap-up with a disposition and case data.
func sessionWrap(disposition string, caseData map[string]string) session.WrapUpData {
	return session.WrapUpData{Disposition: disposition, CaseData: caseData}
}
