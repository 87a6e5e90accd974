package auth

import (
	"slices"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
)

// Scope is what one caller may see (R-V8, R-C7). The zero Scope sees
// nothing.
type Scope struct {
	all    bool            // every agent's recordings
	agents map[string]bool // else these agents'
	kinds  []string        // nil: every kind
	export bool
	admin  bool
	snips  bool
}

// notSnippets is every kind but snippets, which only recorder users
// (supervisors, admins) see (R-C7).
var notSnippets = []string{"record", "auto", "fulltime", "selective", "dynamic", "abuse"}

// Scope returns what c may see:
//   - an agent: their own ad hoc recordings (kind record, R-C7);
//   - a supervisor: every kind of the agents in their team and its
//     sub-teams;
//   - quality: the same agents, every kind but snippets;
//   - compliance: every agent, every kind but snippets; may export;
//   - admin: everything; may export; manages users and teams;
//   - the config's recording API tokens: everything for a supervisor
//     token; nothing for a flow token, which drives recordings and reads
//     none.
func (d *Directory) Scope(c api.Caller) Scope {
	switch {
	case c.Service && c.Role == api.RoleFlow:
		return Scope{} // the chat flow drives recordings; it reads none
	case c.Service:
		return Scope{all: true, export: true, snips: true}
	case c.Role == api.RoleAgent:
		return Scope{agents: map[string]bool{c.ID: true}, kinds: []string{"record"}}
	case c.Role == api.RoleSupervisor:
		return Scope{agents: d.teamAgents(c.Team), snips: true}
	case c.Role == api.RoleQuality:
		return Scope{agents: d.teamAgents(c.Team), kinds: notSnippets}
	case c.Role == api.RoleCompliance:
		return Scope{all: true, kinds: notSnippets, export: true}
	case c.Role == api.RoleAdmin:
		return Scope{all: true, export: true, admin: true, snips: true}
	}
	return Scope{}
}

// teamAgents is the agents of team and every team under it (none for "").
func (d *Directory) teamAgents(team string) map[string]bool {
	out := map[string]bool{}
	if team == "" {
		return out
	}
	s := d.current()
	for agent, t := range s.agentTeam {
		for up, n := t, 0; up != "" && n <= len(s.parent); up, n = s.parent[up], n+1 {
			if up == team {
				out[agent] = true
				break
			}
		}
	}
	return out
}

// TeamAgents lists the agents of team and its sub-teams, sorted: the
// search's team filter.
func (d *Directory) TeamAgents(team string) []string {
	out := []string{}
	for a := range d.teamAgents(team) {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Allows reports whether the scope holds a recording of agent and kind.
// A file of no kind (an upload that named no recording) is held by
// every scope that holds its agent but an agent's own, which holds only
// ad hoc recordings.
func (s Scope) Allows(agent, kind string) bool {
	if !s.all && !s.agents[agent] {
		return false
	}
	switch {
	case s.kinds == nil:
		return true
	case kind == "":
		return !slices.Equal(s.kinds, []string{"record"})
	}
	return slices.Contains(s.kinds, kind)
}

// Apply narrows f to the scope: what it already asked for, and only what
// the caller may see.
func (s Scope) Apply(f *store.RecordingFilter) {
	if !s.all {
		var in []string
		for a := range s.agents {
			if f.AgentIn == nil || slices.Contains(f.AgentIn, a) {
				in = append(in, a)
			}
		}
		slices.Sort(in)
		if in == nil {
			in = []string{}
		}
		f.AgentIn = in
	}
	if s.kinds != nil {
		in := []string{}
		for _, k := range s.kinds {
			if f.KindIn == nil || slices.Contains(f.KindIn, k) {
				in = append(in, k)
			}
		}
		f.KindIn = in
	}
}

// CanExport reports whether the caller may export result sets (CSV).
func (s Scope) CanExport() bool { return s.export }

// CanAdmin reports whether the caller manages users, teams and policies.
func (s Scope) CanAdmin() bool { return s.admin }

// Snippets reports whether the caller sees snippets (recorder users).
func (s Scope) Snippets() bool { return s.snips }
