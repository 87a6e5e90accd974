package retention

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestDecide_R_V6: the first rule whose kind, queue, team and age match
// decides; a keep rule shields what it matches from the rules after it.
func TestDecide_R_V6(t *testing.T) {
	rules := Rules{
		{Name: "vip", Queue: "vip", Age: Age(7 * Year), Action: Purge},
		{Queue: "vip", Action: Keep},
		{Name: "snips", Kind: "snip", Age: Age(30 * Day), Action: Purge},
		{Name: "sales-archive", Team: "sales", Age: Age(90 * Day), Action: Archive},
		{Name: "all", Age: Age(365 * Day), Action: Purge},
	}
	for _, tc := range []struct {
		name   string
		s      Subject
		now    time.Time
		action string
		label  string
	}{
		{"vip young is kept", Subject{Queue: "vip"}, t0.Add(400 * Day), Keep, "rule 2"},
		{"vip old is purged", Subject{Queue: "vip"}, t0.Add(8 * Year), Purge, "vip"},
		{"snip at 31d", Subject{Kind: "snip"}, t0.Add(31 * Day), Purge, "snips"},
		{"snip at 29d: nothing yet", Subject{Kind: "snip"}, t0.Add(29 * Day), Keep, ""},
		{"sales sub-team at 100d", Subject{Kind: "auto", Teams: []string{"sales-east", "sales"}}, t0.Add(100 * Day), Archive, "sales-archive"},
		{"sales at 400d: archive still matches first", Subject{Kind: "auto", Teams: []string{"sales"}}, t0.Add(400 * Day), Archive, "sales-archive"},
		{"other at 400d", Subject{Kind: "auto"}, t0.Add(400 * Day), Purge, "all"},
		{"not finished", Subject{}, t0, Keep, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if tc.name != "not finished" {
				s.Finished = t0
			}
			d := rules.Decide(s, tc.now)
			if d.Action != tc.action || d.Label != tc.label {
				t.Fatalf("got %s by %q, want %s by %q", d.Action, d.Label, tc.action, tc.label)
			}
		})
	}
}

// TestPurgeDue_R_V6: the retention age is the first age at which the
// rules say purge (the older rule listed first: the first match wins); a
// recording no rule purges has none.
func TestPurgeDue_R_V6(t *testing.T) {
	rules := Rules{
		{Queue: "vip", Action: Keep},
		{Kind: "snip", Age: Age(Year), Action: Purge},
		{Kind: "snip", Age: Age(30 * Day), Action: Archive},
	}
	at, label, ok := rules.PurgeDue(Subject{Kind: "snip", Finished: t0})
	if !ok || !at.Equal(t0.Add(Year)) || label != "rule 2" {
		t.Fatalf("snip: %v %q %v", at, label, ok)
	}
	if _, _, ok := rules.PurgeDue(Subject{Kind: "snip", Queue: "vip", Finished: t0}); ok {
		t.Fatal("vip snip: kept for ever, yet due")
	}
	if _, _, ok := rules.PurgeDue(Subject{Kind: "auto", Finished: t0}); ok {
		t.Fatal("no rule: due")
	}
}

// TestAge: days, years and Go durations read and write back; bad ones
// are clear errors.
func TestAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * Day, "7y": 7 * Year, "2160h": 2160 * time.Hour, "0": 0, "36h30m": 36*time.Hour + 30*time.Minute} {
		a, err := ParseAge(in)
		if err != nil || time.Duration(a) != want {
			t.Fatalf("%q: %v %v", in, time.Duration(a), err)
		}
	}
	if got := Age(2160 * time.Hour).String(); got != "90d" {
		t.Fatalf("String: %q", got)
	}
	for _, bad := range []string{"90", "d", "-3d", "1.5y", "soon"} {
		if _, err := ParseAge(bad); !errors.Is(err, ErrBadRule) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	var rs Rules
	if err := yaml.Unmarshal([]byte("- {kind: snip, age: 30d, action: purge}\n- {age: 2160h, action: archive}\n"), &rs); err != nil {
		t.Fatal(err)
	}
	if time.Duration(rs[0].Age) != 30*Day || time.Duration(rs[1].Age) != 90*Day {
		t.Fatalf("yaml: %+v", rs)
	}
	b, _ := json.Marshal(rs[0])
	if string(b) != `{"kind":"snip","age":"30d","action":"purge"}` {
		t.Fatalf("json: %s", b)
	}
}

// TestValidate: every bad field is named, all at once.
func TestValidate(t *testing.T) {
	rs := Rules{{Action: "delete"}, {Kind: "video", Action: Purge}, {Team: "nope", Action: Archive}, {Age: Age(-Day), Action: Keep}}
	err := rs.Validate(func(team string) bool { return team == "sales" })
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`action "delete"`, `kind: unknown recording kind "video"`, `team "nope"`, "negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q not in %v", want, err)
		}
	}
	if err := (Rules{{Kind: "snip", Team: "sales", Action: Purge}}).Validate(func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
}
