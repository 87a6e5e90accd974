package webapp

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// teamNode is a team with its sub-teams and members, for the tree.
type teamNode struct {
	Team
	Depth   int
	Members []Person
}

type adminPage struct {
	Teams    []teamNode // depth first
	Loose    []Person   // users in no known team
	Users    int
	ReadOnly bool
	TeamIDs  []string // for the forms' choices
	Roles    []string
	Done     string // what the last change did
	Error    string // why the last change was refused
}

// roles a user may have, in order of reach.
var roles = []string{"agent", "quality", "supervisor", "compliance", "admin"}

// adminUsers lists the team tree and its users (admin only: others get
// the same 404 as an unknown page). Managing them is through chathub
// user add/passwd and the users file; the page reads.
func (a *App) adminUsers(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	if !a.b.Rights(u).Admin {
		a.noSuchPage(w, r)
		return
	}
	teams, people, err := a.b.Directory(r.Context())
	if err != nil {
		a.unavailable(w, r, "the users", err)
		return
	}
	p := buildTree(teams, people)
	if ua, ok := a.b.(UserAdmin); ok && ua.Editable() {
		p.ReadOnly = false
	}
	p.Done = r.URL.Query().Get("done")
	a.render(w, r, http.StatusOK, "admin", p)
}

// adminEdit makes one change of the users page (admins only; others get
// the 404 of an unknown page) and shows the page again with what it did
// or why it was refused. A password comes in the form's body, never in a
// URL, and is never echoed back.
func (a *App) adminEdit(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	ua, ok := a.b.(UserAdmin)
	if !a.b.Rights(u).Admin || !ok || !ua.Editable() {
		a.noSuchPage(w, r)
		return
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	c := UserChange{Op: f("op"), ID: f("id"), Name: f("name"), Role: f("role"), Team: f("team"), Parent: f("parent"),
		Password: r.PostFormValue("password"), From: a.o.ClientIP(r)}
	if err := ua.EditUsers(r.Context(), u, c); err != nil {
		teams, people, derr := a.b.Directory(r.Context())
		if derr != nil {
			a.unavailable(w, r, "the users", derr)
			return
		}
		p := buildTree(teams, people)
		p.Error = err.Error()
		a.render(w, r, http.StatusBadRequest, "admin", p)
		return
	}
	done := map[string]string{"add": "Added", "set": "Changed", "password": "New password set for", "disable": "Disabled",
		"enable": "Enabled", "unlock": "Unlocked", "remove": "Removed", "team": "Added the team"}[c.Op] + " " + c.ID
	http.Redirect(w, r, "/app/admin/users?done="+url.QueryEscape(done), http.StatusSeeOther)
}

func buildTree(teams []Team, people []Person) adminPage {
	p := adminPage{Users: len(people), ReadOnly: true, Roles: roles}
	known := map[string]bool{}
	kids := map[string][]Team{}
	for _, t := range teams {
		known[t.ID] = true
		p.TeamIDs = append(p.TeamIDs, t.ID)
	}
	slices.Sort(p.TeamIDs)
	for _, t := range teams {
		parent := t.Parent
		if !known[parent] {
			parent = ""
		}
		kids[parent] = append(kids[parent], t)
	}
	members := map[string][]Person{}
	for _, pp := range people {
		if known[pp.Team] {
			members[pp.Team] = append(members[pp.Team], pp)
		} else {
			p.Loose = append(p.Loose, pp)
		}
	}
	byName := func(a, b Team) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) }
	seen := map[string]bool{}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		ts := kids[parent]
		slices.SortFunc(ts, byName)
		for _, t := range ts {
			if seen[t.ID] {
				continue
			}
			seen[t.ID] = true
			ms := members[t.ID]
			slices.SortFunc(ms, func(a, b Person) int { return strings.Compare(a.ID, b.ID) })
			p.Teams = append(p.Teams, teamNode{Team: t, Depth: depth, Members: ms})
			walk(t.ID, depth+1)
		}
	}
	walk("", 0)
	return p
}
