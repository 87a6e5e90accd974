package webapp

import (
	"net/http"
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
}

// adminUsers lists the team tree and its users (admin only: others get
// the same 404 as an unknown page). Managing them is through chathub
// user add/passwd and the users file; the page reads.
func (a *App) adminUsers(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	if !a.b.Rights(u).Admin {
		a.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Message: "No such page.", Back: "/app/"})
		return
	}
	teams, people, err := a.b.Directory(r.Context())
	if err != nil {
		a.unavailable(w, r, "the users", err)
		return
	}
	a.render(w, r, http.StatusOK, "admin", buildTree(teams, people))
}

func buildTree(teams []Team, people []Person) adminPage {
	p := adminPage{Users: len(people), ReadOnly: true}
	known := map[string]bool{}
	kids := map[string][]Team{}
	for _, t := range teams {
		known[t.ID] = true
	}
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
