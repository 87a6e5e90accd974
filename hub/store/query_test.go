package store

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseQuery (issue 12 point 3, R-V5, R-V7): every search parameter
// is read, and Values gives back a query that reads as the same filter.
func TestParseQuery(t *testing.T) {
	q, err := url.ParseQuery("id=chat-1-snip-1&agent=ada&queue=billing&kind=snip&customer=Bea&contact=bea-1&disposition=Resolved" +
		"&partition=eu,sales&partition=us&min_duration=90&max_duration=5m&screen=1&voice=0&tag.case=77&tag.prio=high" +
		"&from=2026-11-20&to=2026-11-21&q=parcel+late&sort=duration&order=desc&count=1&limit=50&cursor=abc&team=blue&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	want := RecordingFilter{ID: "chat-1-snip-1", Agent: "ada", Queue: "billing", Kind: "snip", Customer: "Bea", Contact: "bea-1", Disposition: "Resolved",
		Partitions: []string{"eu", "sales", "us"}, MinDuration: 90 * time.Second, MaxDuration: 5 * time.Minute,
		Screen: With, Voice: Without, Tags: map[string]string{"case": "77", "prio": "high"},
		From: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		Text: "parcel late", Sort: SortDuration, Desc: true, Count: true, Limit: 50, Cursor: "abc"}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("ParseQuery:\n got %+v\nwant %+v", f, want)
	}
	v := f.Values()
	if v.Get("to") != "2026-11-21" || v.Get("from") != "2026-11-20" || v.Get("min_duration") != "90" || v.Has("team") {
		t.Errorf("Values: %s", v.Encode())
	}
	back, err := ParseQuery(v)
	if err != nil || !reflect.DeepEqual(back, f) {
		t.Fatalf("round trip through %s:\n got %+v %v\nwant %+v", v.Encode(), back, err, f)
	}
	// A time that is not midnight stays a time; the default limit stays out.
	g := RecordingFilter{From: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), Limit: PageLimit}
	if v := g.Values(); v.Encode() != "from=2026-11-20T09%3A30%3A00Z" {
		t.Errorf("Values of a time: %s", v.Encode())
	}
	if f, err := ParseQuery(url.Values{}); err != nil || f.Limit != PageLimit || f.Tags != nil || f.Partitions != nil {
		t.Errorf("an empty query: %+v %v", f, err)
	}
}

// TestParseQueryRefusals: a bad parameter is an ErrBadFilter naming it,
// in words.
func TestParseQueryRefusals(t *testing.T) {
	for _, c := range []struct{ query, param, says string }{
		{"kind=webcam", "kind", "unknown recording kind"},
		{"from=yesterday", "from", "want a date (2026-11-20) or a time"},
		{"to=2026-13-01", "to", "want a date"},
		{"q=" + strings.Repeat("a", MaxTextQuery+1), "q", "at most 500 bytes"},
		{"min_duration=-3", "min_duration", "want seconds (90) or a duration"},
		{"max_duration=soon", "max_duration", "want seconds"},
		{"min_duration=60&max_duration=30", "max_duration", "less than min_duration"},
		{"screen=maybe", "screen", "want 1 (with) or 0 (without)"},
		{"voice=2", "voice", "want 1"},
		{"tag.a%20b=1", "tag.a b", "1 to 64 letters"},
		{"tag.case=" + strings.Repeat("x", MaxTagValue+1), "tag.case", "at most 200 bytes"},
		{"sort=colour", "sort", "want one of finished, agent"},
		{"order=up", "order", "want asc or desc"},
		{"count=yes", "count", "want 1"},
		{"limit=0", "limit", "from 1 to 1000"},
		{"limit=1001", "limit", "from 1 to 1000"},
	} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseQuery(q)
		var qe *QueryError
		if !errors.Is(err, ErrBadFilter) || !errors.As(err, &qe) || qe.Param != c.param || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%.40s: %v, want a QueryError on %s saying %q", c.query, err, c.param, c.says)
		}
	}
	many := url.Values{}
	for _, k := range strings.Split("a b c d e f g h i j k", " ") {
		many.Set(TagParam+k, "1")
	}
	if _, err := ParseQuery(many); err == nil || !strings.Contains(err.Error(), "at most 10 tags") {
		t.Errorf("eleven tags: %v", err)
	}
}
