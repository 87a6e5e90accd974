package hub

import (
	"log/slog"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
)

// AccessConfig is who may use the recording store and how they log in
// (issue 12; docs/configuration.md "access").
type AccessConfig struct {
	// UsersFile is a file of teams: and users: that IT pushes and
	// `chathub user` edits; read again when it changes. Its people are
	// added to the config's own teams: and users:.
	UsersFile string `yaml:"users_file"`
	// ReasonRequired lists the roles that must give a reason code before
	// they play a recording; the reason is kept with the access.
	ReasonRequired []string `yaml:"reason_required"`
	// LockoutFailures wrong passwords in a row lock a user out for
	// LockoutFor (an address after four times as many). 0: 5 and 15m.
	LockoutFailures int           `yaml:"lockout_failures"`
	LockoutFor      time.Duration `yaml:"lockout_for"`
	// SessionIdle logs a web app session out after this long without a
	// request; SessionMax after this long whatever. 0: 30m and 12h.
	SessionIdle time.Duration `yaml:"session_idle"`
	SessionMax  time.Duration `yaml:"session_max"`
	// AgentsSeeViewers lets agents see, on the page of each of their own
	// recordings, who viewed, played or downloaded it and when (not the
	// reason or the address). Off by default (issue 13 point 3).
	AgentsSeeViewers bool `yaml:"agents_see_viewers"`
}

// validatePeople checks teams:, users: and access:.
func (c *Config) validatePeople(bad func(string, ...any)) {
	if err := c.people().Validate(c.authAgents()); err != nil {
		bad("%v", err)
	}
	for i, r := range c.Access.ReasonRequired {
		if !slices.Contains(api.Roles, r) {
			bad("access.reason_required[%d]: %q is not a role (agent, quality, supervisor, compliance, admin)", i, r)
		}
	}
	if c.Access.LockoutFailures < 0 || c.Access.LockoutFor < 0 || c.Access.SessionIdle < 0 || c.Access.SessionMax < 0 {
		bad("access: lockout_failures, lockout_for, session_idle and session_max must not be negative")
	}
}

// people is the config's own teams and users.
func (c *Config) people() auth.People { return auth.People{Teams: c.Teams, Users: c.Users} }

// authAgents is the config's agents as the directory knows them.
func (c *Config) authAgents() []auth.Agent {
	out := make([]auth.Agent, 0, len(c.Agents))
	for _, a := range c.Agents {
		out = append(out, auth.Agent{ID: a.ID, Name: a.Name, Team: a.Team, Token: a.Token})
	}
	return out
}

// directory is who may call the hub: agents' tokens, the recording API
// tokens, the users of the config and of the users file.
func (c *Config) directory(now func() time.Time, log *slog.Logger) (*auth.Directory, error) {
	var services []api.Token
	for _, t := range c.Recording.APITokens {
		services = append(services, api.Token{Secret: t.Token, Caller: api.Caller{Role: t.Role, ID: t.Name}})
	}
	o := auth.Options{People: c.people(), File: c.Access.UsersFile, Agents: c.authAgents(), Services: services,
		ReasonRequired: c.Access.ReasonRequired, Failures: c.Access.LockoutFailures, LockFor: c.Access.LockoutFor, Now: now, Log: log}
	return auth.New(o)
}
