package hub

import (
	"time"

	"github.com/agentdesk/agentdesk/hub/retention"
)

// RetentionConfig is the top-level "retention:" section (issue 13 point
// 4, R-V6, docs/retention.md): ordered rules by kind, queue, team and age,
// the first that matches a recording deciding whether it is kept,
// archived or purged, and how often the hub applies them.
type RetentionConfig struct {
	// Every is how often the hub runs the rules (and once, a minute after
	// it starts). 0: DefaultRetentionEvery. Without rules nothing runs.
	Every time.Duration `yaml:"every"`
	// Rules, in order: the first whose kind, queue, team and age match a
	// recording decides (keep, archive or purge).
	Rules retention.Rules `yaml:"rules"`
}

// DefaultRetentionEvery is retention.every's default: daily.
const DefaultRetentionEvery = 24 * time.Hour

// retentionFirstRun is how long after the hub starts it first runs the
// rules.
const retentionFirstRun = time.Minute

// validateRetention checks the retention section and store.immutable.
func (c *Config) validateRetention(bad func(string, ...any)) {
	r := &c.Retention
	switch {
	case r.Every < 0 || (r.Every > 0 && r.Every < time.Second):
		bad("retention.every: %s: give a duration such as 24h (at least 1s), or leave it out for daily", r.Every)
	case r.Every == 0:
		r.Every = DefaultRetentionEvery
	}
	var teams func(string) bool
	if c.Access.UsersFile == "" { // else teams may come from the users file
		known := map[string]bool{}
		for _, t := range c.Teams {
			known[t.Name] = true
		}
		for _, a := range c.Agents {
			known[a.Team] = true
		}
		teams = func(t string) bool { return known[t] }
	}
	if err := r.Rules.Validate(teams); err != nil {
		bad("%v", err)
	}
	if len(r.Rules) > 0 && c.Store.Dir == "" {
		bad("retention.rules: set only with store.dir (a hub without a store folder keeps no recording files)")
	}
}
