package hub

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
