// Package retention decides what the recording store keeps, archives and
// purges (issue 13 point 4, R-V6): ordered rules by kind, queue, team and
// age, the first that matches a recording deciding its fate. It is pure:
// the hub gives it the recordings, the time and who is in which team, and
// it says what is due and why; the hub moves and deletes files, keeps the
// legal holds and audits every action (docs/retention.md).
package retention

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// What a rule does to the recordings it matches (Rule.Action).
const (
	// Keep: nothing; the rule shields what it matches from the rules
	// after it (a VIP queue kept while everything else is purged).
	Keep = "keep"
	// Archive: the recording's files move to the archive folder; the
	// recording stays listed, marked archived, and compliance can restore
	// it.
	Archive = "archive"
	// Purge: the recording's files, its transcript and its index rows are
	// deleted; a tombstone (hash, size, who, why) is kept.
	Purge = "purge"
)

// Actions are the values of Rule.Action.
var Actions = []string{Keep, Archive, Purge}

// ErrBadRule is wrapped by the errors of Rules.Validate and ParseAge.
var ErrBadRule = errors.New("retention: bad rule")

// Rule is one retention rule. Empty Kind, Queue and Team match every
// recording; Age is how long ago the recording finished, at least.
type Rule struct {
	// Name names the rule in the dry run and the audit ("" is "rule N",
	// its place in the list, from 1).
	Name  string `yaml:"name" json:"name,omitempty"`
	Kind  string `yaml:"kind" json:"kind,omitempty"`   // a session kind: record, snip, auto, …
	Queue string `yaml:"queue" json:"queue,omitempty"` // the chat's queue
	Team  string `yaml:"team" json:"team,omitempty"`   // the agent's team, or a team above it
	// Age is how long after it finished a recording is due: "90d", "1y",
	// "2160h"; "0" (or left out) at once.
	Age    Age    `yaml:"age" json:"age"`
	Action string `yaml:"action" json:"action"`
}

// Label is the rule's name, or "rule N" (i is its index).
func (r Rule) Label(i int) string {
	if r.Name != "" {
		return r.Name
	}
	return "rule " + strconv.Itoa(i+1)
}

// Rules are the ordered rules: the first that matches a recording decides.
type Rules []Rule

// Validate checks every rule: a known action and kind, a team that exists
// (teams reports whether one does; nil checks none), no negative age.
func (rs Rules) Validate(teams func(string) bool) error {
	var errs []error
	for i, r := range rs {
		at := fmt.Sprintf("retention.rules[%d] (%s)", i, r.Label(i))
		if !slices.Contains(Actions, r.Action) {
			errs = append(errs, fmt.Errorf("%w: %s: action %q: want one of %s", ErrBadRule, at, r.Action, strings.Join(Actions, ", ")))
		}
		if r.Kind != "" {
			if _, err := session.ParseKind(r.Kind); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: kind: %s", ErrBadRule, at, strings.TrimPrefix(err.Error(), "session: ")))
			}
		}
		if r.Team != "" && teams != nil && !teams(r.Team) {
			errs = append(errs, fmt.Errorf("%w: %s: team %q is not one of the config's teams", ErrBadRule, at, r.Team))
		}
		if r.Age < 0 {
			errs = append(errs, fmt.Errorf("%w: %s: age %s is negative", ErrBadRule, at, r.Age))
		}
	}
	return errors.Join(errs...)
}

// Subject is what the rules look at of one recording.
type Subject struct {
	Kind, Queue string
	// Teams are the agent's team and every team above it (a rule for a
	// team covers its sub-teams).
	Teams    []string
	Finished time.Time
}

// Decision is what the rules say of one recording at one time.
type Decision struct {
	Rule   int    // the index of the rule that matched; -1: none
	Label  string // its Label
	Action string // Keep when no rule matched
	Age    time.Duration
}

// matches reports whether r's kind, queue and team select s (not its age).
func (r Rule) matches(s Subject) bool {
	return (r.Kind == "" || r.Kind == s.Kind) && (r.Queue == "" || r.Queue == s.Queue) &&
		(r.Team == "" || slices.Contains(s.Teams, r.Team))
}

// Decide is what the first rule that matches s at now says (Keep, rule
// -1, when none does). A recording that has not finished is kept.
func (rs Rules) Decide(s Subject, now time.Time) Decision {
	if s.Finished.IsZero() {
		return Decision{Rule: -1, Action: Keep}
	}
	age := now.Sub(s.Finished)
	for i, r := range rs {
		if r.matches(s) && age >= time.Duration(r.Age) {
			return Decision{Rule: i, Label: r.Label(i), Action: r.Action, Age: age}
		}
	}
	return Decision{Rule: -1, Action: Keep, Age: age}
}

// PurgeDue is when the rules first say purge for s: the retention age
// after which it may be deleted (store.immutable). ok is false when no
// rule ever purges it.
func (rs Rules) PurgeDue(s Subject) (at time.Time, label string, ok bool) {
	if s.Finished.IsZero() {
		return time.Time{}, "", false
	}
	ages := []time.Duration{0}
	for _, r := range rs {
		if r.matches(s) {
			ages = append(ages, time.Duration(r.Age))
		}
	}
	slices.Sort(ages)
	for _, a := range ages {
		if d := rs.Decide(s, s.Finished.Add(a)); d.Action == Purge {
			return s.Finished.Add(a), d.Label, true
		}
	}
	return time.Time{}, "", false
}

// Age is a retention age: a time.Duration written with days and years too
// ("90d", "1y" = 365d, "1y6m" is not: use days), or Go's form ("2160h").
type Age time.Duration

// Day and Year are the units of an Age besides Go's.
const (
	Day  = 24 * time.Hour
	Year = 365 * Day
)

// ParseAge reads an age: "0", a whole number of days ("90d") or years
// ("7y"), or a Go duration ("2160h", "36h30m").
func ParseAge(s string) (Age, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": Day, "y": Year} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 32)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%w: age %q: want a whole number of days (90d) or years (7y), or a duration such as 2160h", ErrBadRule, s)
			}
			return Age(time.Duration(v) * unit), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: age %q: want a whole number of days (90d) or years (7y), or a duration such as 2160h", ErrBadRule, s)
	}
	return Age(d), nil
}

// String writes the age in years, days or Go's form, whichever is exact.
func (a Age) String() string {
	d := time.Duration(a)
	switch {
	case d == 0:
		return "0"
	case d%Year == 0:
		return strconv.FormatInt(int64(d/Year), 10) + "y"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}

// UnmarshalText reads an age from YAML or JSON.
func (a *Age) UnmarshalText(b []byte) error {
	v, err := ParseAge(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalText writes the age as String does.
func (a Age) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
