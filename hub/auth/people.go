// Package auth is who may use the hub and what each may see (issue 12
// points 1 and 5; R-V8, R-C7): users with a role and a team, teams in a
// tree, argon2id passwords, per-user API tokens, the lock-out after
// repeated failed logins, and the scope of each role. The web app, the
// recording API and the file serving all ask it, so the rules are the
// same on every page and endpoint.
package auth

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentdesk/agentdesk/hub/api"
)

// Team is one team; Parent is the team it belongs to ("" for a top team).
// A supervisor of a team sees its sub-teams too.
type Team struct {
	Name   string `yaml:"name"`
	Parent string `yaml:"parent,omitempty"`
}

// User is a person who logs in to the web app or calls the API with a
// token of their own. Password is an argon2id hash (chathub user passwd),
// never the password.
type User struct {
	ID       string      `yaml:"id"`
	Name     string      `yaml:"name,omitempty"`
	Role     string      `yaml:"role"`
	Team     string      `yaml:"team,omitempty"`
	Password string      `yaml:"password,omitempty"`
	Tokens   []UserToken `yaml:"tokens,omitempty"`
	Disabled bool        `yaml:"disabled,omitempty"`
	// Email is where an agent's ad hoc recordings are e-mailed (issue 13,
	// R-C7) when the config's agents: entry gives none.
	Email string `yaml:"email,omitempty"`
}

// UserToken is a per-user API token for scripts: only its SHA-256 is kept
// (chathub user token prints the token once).
type UserToken struct {
	Name   string `yaml:"name"`
	SHA256 string `yaml:"sha256"`
}

// People is the teams and users of the hub's config (teams:, users:) or of
// a users file IT pushes (the same two keys).
type People struct {
	Teams []Team `yaml:"teams,omitempty"`
	Users []User `yaml:"users,omitempty"`
}

// Agent is an agent of the hub's config: their desktop token and team.
type Agent struct {
	ID, Name, Team, Token string
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidID reports whether id may name a user or a team: letters, digits
// and . _ @ -, at most 64.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ReadPeople reads a users file. A missing file is no people, not an
// error: IT may push it later.
func ReadPeople(path string) (People, error) {
	var p People
	b, err := os.ReadFile(path) // #nosec G304 -- the admin's users file
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if len(b) > 16<<20 {
		return p, fmt.Errorf("%s: larger than 16 MiB", path)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && err.Error() != "EOF" {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// WritePeople writes p to path, atomically (a temporary file renamed over
// it), readable by its owner only: it holds password hashes.
func WritePeople(path string, p People) error {
	b, err := yaml.Marshal(p)
	if err != nil {
		return err
	}
	head := "# agentdesk users and teams (chathub user …). Passwords are argon2id hashes, tokens SHA-256.\n"
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(head), b...), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Merge adds o's teams and users to p (a users file after the config's).
func (p People) Merge(o People) People {
	return People{Teams: append(slices.Clone(p.Teams), o.Teams...), Users: append(slices.Clone(p.Users), o.Users...)}
}

// Validate checks the teams form a tree and every user has a known role
// and team, a readable hash and a unique id; agents' ids and teams are
// checked against the same teams. Every problem is listed, by its key.
func (p People) Validate(agents []Agent) error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	parent := map[string]string{}
	for i, t := range p.Teams {
		switch _, dup := parent[t.Name]; {
		case !ValidID(t.Name):
			bad("teams[%d].name: %q is not a name (letters, digits, . _ @ -)", i, t.Name)
		case dup:
			bad("teams[%d].name: %q is used twice", i, t.Name)
		}
		parent[t.Name] = t.Parent
	}
	for i, t := range p.Teams {
		if _, ok := parent[t.Parent]; t.Parent != "" && !ok {
			bad("teams[%d].parent: no team %q", i, t.Parent)
		}
		seen := map[string]bool{t.Name: true}
		for up := t.Parent; up != ""; up = parent[up] {
			if seen[up] {
				bad("teams[%d]: %q is its own ancestor (teams form a tree)", i, t.Name)
				break
			}
			seen[up] = true
		}
	}
	team := func(key, name string) {
		if _, ok := parent[name]; name != "" && !ok {
			bad("%s: no team %q (declare it under teams:)", key, name)
		}
	}
	ids := map[string]bool{}
	for i, u := range p.Users {
		key := fmt.Sprintf("users[%d]", i)
		switch {
		case !ValidID(u.ID):
			bad("%s.id: %q is not an id (letters, digits, . _ @ -, at most 64)", key, u.ID)
		case ids[u.ID]:
			bad("%s.id: %q is used twice", key, u.ID)
		}
		ids[u.ID] = true
		if !slices.Contains(api.Roles, u.Role) {
			bad("%s.role: %q, want one of %s", key, u.Role, strings.Join(api.Roles, ", "))
		}
		team(key+".team", u.Team)
		if u.Password != "" {
			if _, err := parseHash(u.Password); err != nil {
				bad("%s.password: %v (set it with chathub user passwd)", key, err)
			}
		}
		names := map[string]bool{}
		for j, t := range u.Tokens {
			if names[t.Name] {
				bad("%s.tokens[%d].name: %q is used twice", key, j, t.Name)
			}
			names[t.Name] = true
			if !isHex(t.SHA256, 64) {
				bad("%s.tokens[%d].sha256: want the token's SHA-256 in hex (chathub user token)", key, j)
			}
		}
	}
	for i, a := range agents {
		team(fmt.Sprintf("agents[%d].team", i), a.Team)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
