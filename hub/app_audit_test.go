package hub

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// auditRec is the recording of the audit tests: ada's ad hoc recording
// (an agent's own kind, R-C7), without a file.
const auditRec = "w-9-record-1"

// auditHub starts a hub with a store and a users file: root (admin), comp
// (compliance), sup (supervisor of north), quinn (quality of north) and
// ada (agent of north), each logging in with "password-<id>"; it holds
// one recording of ada's (auditRec). It returns the users file's path.
func auditHub(t *testing.T, mutate func(*Config)) (*Server, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "users.yaml")
	var users []auth.User
	for _, u := range []auth.User{{ID: "root", Role: api.RoleAdmin}, {ID: "comp", Role: api.RoleCompliance},
		{ID: "sup", Role: api.RoleSupervisor, Team: "north"}, {ID: "quinn", Role: api.RoleQuality, Team: "north"},
		{ID: "ada", Role: api.RoleAgent, Team: "north"}} {
		h, err := auth.HashPassword("password-" + u.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.Password = h
		users = append(users, u)
	}
	if err := auth.WritePeople(file, auth.People{Teams: []auth.Team{{Name: "north"}}, Users: users}); err != nil {
		t.Fatal(err)
	}
	s, base, _ := startStoreHub(t, func(c *Config) {
		c.Access.UsersFile = file
		c.Agents[0].Team = "north"
		if mutate != nil {
			mutate(c)
		}
	})
	t0 := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	b := &store.Batch{Chats: []store.Chat{{ID: "w-9", Seq: 1, Name: "Bea", Contact: "bea", Queue: "general", State: session.Done, Agent: "ada", Created: t0}},
		Recordings: []store.Recording{{ID: auditRec, Interaction: "w-9", Queue: "general", Customer: "cust-42", Agent: "ada", Kind: "record",
			State: "final", Delivery: "agent", Produced: true, FinishedAt: t0.Add(20 * time.Second),
			Parts: []session.Part{{Start: t0, End: t0.Add(20 * time.Second)}}}}}
	if err := s.Store().Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return s, base, file
}

func (a *appClient) mustLogin(user string) *appClient {
	a.t.Helper()
	if !a.login(user, "password-"+user) {
		a.t.Fatalf("%s cannot log in", user)
	}
	return a
}

// auditRows are the leaf numbers of the audit page's table rows.
var auditRow = regexp.MustCompile(`<td class="num mono">(\d+)</td>`)

// auditLines is the audit log, one "action user role outcome query" line
// an entry.
func auditLines(t *testing.T, s *Server) []string {
	t.Helper()
	var out []string
	if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		out = append(out, strings.TrimSpace(strings.Join([]string{e.Action, e.User, e.Role, e.Outcome, e.Recording, e.Query}, " ")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestAuditPage_R_V9 (issue 13 points 1 and 3): compliance reads the
// audit log on its page, newest first, filtered by user, recording,
// action, outcome and time, a page at a time, with the newest signed
// checkpoint; exports it as CSV safe from formula injection, the export
// itself audited; bookmarks and the dashboard's report are audited; a
// recording's page shows its access history to those in scope; everyone
// else gets the 404 of an unknown page.
func TestAuditPage_R_V9(t *testing.T) {
	t.Parallel()
	s, base, _ := auditHub(t, nil)
	comp := newAppClient(t, base).mustLogin("comp")
	sup := newAppClient(t, base).mustLogin("sup")
	ada := newAppClient(t, base).mustLogin("ada")
	quinn := newAppClient(t, base).mustLogin("quinn")
	// A failed login by a user id a spreadsheet would run as a formula.
	if newAppClient(t, base).login(`=HYPERLINK("http://evil.example/","x")`, "nope") {
		t.Fatal("a made-up user logged in")
	}
	// Accesses to the recording: views, a bookmark added and deleted.
	if code, page := sup.do("GET", "/app/recordings/"+auditRec, nil); code != 200 || strings.Contains(page, `id="history"`) == false {
		t.Fatalf("the supervisor's page of the recording: %d, history shown: %v", code, strings.Contains(page, `id="history"`))
	}
	if code, _ := sup.do("POST", "/app/recordings/"+auditRec+"/bookmarks", url.Values{"csrf": {sup.csrf}, "t": {"3"}, "comment": {"a secret remark"}}); code != http.StatusSeeOther {
		t.Fatalf("add a bookmark: %d", code)
	}
	bs, err := s.Store().Bookmarks(context.Background(), auditRec)
	if err != nil || len(bs) != 1 {
		t.Fatalf("bookmarks: %v %v", bs, err)
	}
	if code, _ := sup.do("POST", "/app/recordings/"+auditRec+"/bookmarks/"+bs[0].ID+"/delete", url.Values{"csrf": {sup.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("delete the bookmark: %d", code)
	}
	if code, _ := sup.do("GET", "/app/dashboard", nil); code != 200 {
		t.Fatalf("dashboard: %d", code)
	}
	code, page := comp.do("GET", "/app/recordings/"+auditRec, nil)
	if code != 200 || !strings.Contains(page, `id="history"`) || !strings.Contains(page, "/app/audit?recording="+auditRec) {
		t.Fatalf("compliance's page of the recording: %d, history: %v", code, strings.Contains(page, `id="history"`))
	}
	hist := page[strings.Index(page, `id="history"`):]
	for _, want := range []string{"sup", "bookmark", "view"} {
		if !strings.Contains(hist, want) {
			t.Errorf("the access history lacks %q:\n%s", want, hist)
		}
	}
	// Agents (the switch is off) and quality see no history; nobody but
	// compliance and admins sees the audit page.
	if code, page := ada.do("GET", "/app/recordings/"+auditRec, nil); code != 200 || strings.Contains(page, `id="history"`) {
		t.Fatalf("the agent's own recording: %d, history shown: %v", code, strings.Contains(page, `id="history"`))
	}
	for _, c := range []*appClient{ada, sup, quinn} {
		for _, p := range []string{"/app/audit", "/app/audit.csv", "/app/audit?user=comp"} {
			if code, page := c.do("GET", p, nil); code != http.StatusNotFound || strings.Contains(page, `id="audit"`) {
				t.Errorf("%s as someone else: %d, want 404", p, code)
			}
		}
	}
	if _, page := sup.do("GET", "/app/", nil); strings.Contains(page, `href="/app/audit"`) {
		t.Error("the supervisor's menu offers the audit page")
	}

	// The page: a checkpoint signed as it is first shown (the timer has
	// made none yet), then the newest one.
	size := s.Audit().Size()
	code, page = comp.do("GET", "/app/audit", nil)
	if want := fmt.Sprintf("Latest signed checkpoint: <strong>%d</strong> entries", size); code != 200 ||
		!strings.Contains(page, want) || !strings.Contains(page, `href="/app/audit"`) {
		t.Fatalf("the audit page: %d, want %q\n%s", code, want, page)
	}
	ck, made, err := s.Audit().Checkpoint(context.Background())
	if err != nil || !made {
		t.Fatal(made, err)
	}
	_, page = comp.do("GET", "/app/audit", nil)
	if want := fmt.Sprintf("Latest signed checkpoint: <strong>%d</strong> entries", ck.Size); !strings.Contains(page, want) ||
		!strings.Contains(page, s.Audit().Verifier()) {
		t.Fatalf("the page lacks %q and the key's name:\n%s", want, page)
	}
	rows := auditRow.FindAllStringSubmatch(page, -1)
	if len(rows) < 10 || rows[0][1] <= rows[len(rows)-1][1] && len(rows[0][1]) == len(rows[len(rows)-1][1]) {
		t.Fatalf("the page's leaves, want newest first: %v", rows)
	}
	for _, c := range []struct {
		name, query string
		rows        int
		want        []string
	}{
		{"user and action", "user=sup&action=view", 1, []string{`>sup</a>`, `<span class="act">view</span>`}},
		{"recording", "recording=" + auditRec, 5, []string{"op=add", "op=delete"}}, // sup's view and 2 bookmarks, comp's view, ada's view
		{"outcome", "outcome=denied&action=login", 1, []string{"HYPERLINK"}},
		{"report", "action=report", 1, []string{"report=dashboard"}},
		{"time, none", "from=2001-01-01&to=2001-01-02", 0, []string{"No entry matches"}},
		{"time, today", "from=" + time.Now().UTC().Format("2006-01-02") + "&user=ada", 3, []string{">ada</a>"}}, // login, the landing search, view
	} {
		code, page := comp.do("GET", "/app/audit?"+c.query, nil)
		if n := len(auditRow.FindAllString(page, -1)); code != 200 || n != c.rows {
			t.Errorf("%s: %d, %d rows, want %d", c.name, code, n, c.rows)
		}
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q", c.name, w)
			}
		}
	}
	if strings.Contains(strings.Join(auditLines(t, s), "\n"), "secret remark") {
		t.Error("a bookmark's comment is in the audit log")
	}
	if code, page := comp.do("GET", "/app/audit?from=yesterday", nil); code != http.StatusBadRequest || !strings.Contains(page, "is not a date") {
		t.Errorf("a bad date: %d", code)
	}
	// Paging: 60 searches are 2 pages.
	for range 60 {
		comp.do("GET", "/app/recordings?q=parcel", nil)
	}
	_, page = comp.do("GET", "/app/audit?action=search&user=comp", nil)
	older := regexp.MustCompile(`id="older" href="([^"]+)"`).FindStringSubmatch(page)
	if n := len(auditRow.FindAllString(page, -1)); n != 50 || older == nil || !strings.Contains(page, ">6") {
		t.Fatalf("page 1 of comp's searches: %d rows, older link %v", n, older)
	}
	_, page2 := comp.do("GET", strings.ReplaceAll(older[1], "&amp;", "&"), nil)
	if n := len(auditRow.FindAllString(page2, -1)); n < 10 || n > 12 || !strings.Contains(page2, `id="newest"`) {
		t.Fatalf("page 2 of comp's searches: %d rows", n)
	}
	// CSV export of a filter: every entry it selects, formulas defused,
	// and the export itself in the audit log.
	resp, err := comp.c.Get(base + "/app/audit.csv?outcome=denied")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %v", resp.StatusCode, err)
	}
	if strings.Join(recs[0], ",") != "leaf,at,user,role,from,action,recording,interaction,customer,kind,reason,query,outcome,sha256,late" ||
		len(recs) != 2 || recs[1][2] != `'=HYPERLINK("http://evil.example/","x")` || recs[1][5] != "login" || recs[1][12] != "denied" {
		t.Fatalf("the export: %q", recs)
	}
	lines := auditLines(t, s)
	for _, want := range []string{
		"audit_export comp compliance ok  outcome=denied",
		"audit comp compliance ok  action=search&user=comp",
		"bookmark sup supervisor ok " + auditRec + " id=",
		"report sup supervisor ok  from=",
	} {
		if !hasLine(lines, want) {
			t.Errorf("the audit log lacks %q", want)
		}
	}
}

// TestAgentsSeeViewers_R_V9 (issue 13 point 3): with
// access.agents_see_viewers an agent sees who viewed their own recording
// and when, never the reason or the address.
func TestAgentsSeeViewers_R_V9(t *testing.T) {
	t.Parallel()
	_, base, _ := auditHub(t, func(c *Config) {
		c.Access.AgentsSeeViewers = true
		c.Access.ReasonRequired = []string{api.RoleCompliance}
	})
	comp := newAppClient(t, base).mustLogin("comp")
	comp.do("GET", "/app/recordings/"+auditRec, nil)
	comp.do("POST", "/app/recordings/"+auditRec+"/reason", url.Values{"csrf": {comp.csrf}, "reason": {"LEGAL-7 inquiry"}})
	comp.do("GET", "/app/recordings/"+auditRec, nil)
	ada := newAppClient(t, base).mustLogin("ada")
	code, page := ada.do("GET", "/app/recordings/"+auditRec, nil)
	i := strings.Index(page, `id="history"`)
	if code != 200 || i < 0 {
		t.Fatalf("the agent's page: %d, history shown: %v", code, i >= 0)
	}
	hist := page[i:]
	if !strings.Contains(hist, "comp") || !strings.Contains(hist, "view") || strings.Contains(hist, "127.0.0.1") ||
		strings.Contains(hist, "LEGAL-7") || strings.Contains(hist, "/app/audit") {
		t.Fatalf("the agent's view of who viewed their recording:\n%s", hist)
	}
}

// TestAuditUsersFileReload_R_V9 (issue 13 point 1): a change of the users
// file made outside the hub (`chathub user`, IT) is audited when the hub
// reads the file again, one entry per user or team, in words, never a
// password or a hash; a change on the users page is audited once, as
// the admin's.
func TestAuditUsersFileReload_R_V9(t *testing.T) {
	t.Parallel()
	s, base, file := auditHub(t, nil)
	root := newAppClient(t, base).mustLogin("root")
	if code, _ := root.change(url.Values{"op": {"set"}, "id": {"quinn"}, "role": {"supervisor"}, "team": {"north"}}); code != http.StatusSeeOther {
		t.Fatalf("a change on the users page: %d", code)
	}
	p, err := auth.ReadPeople(file)
	if err != nil {
		t.Fatal(err)
	}
	h, err := auth.HashPassword("a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	p.Teams = append(p.Teams, auth.Team{Name: "south", Parent: "north"})
	for i := range p.Users {
		switch p.Users[i].ID {
		case "ada":
			p.Users[i].Role, p.Users[i].Password = api.RoleSupervisor, h
		case "sup":
			p.Users[i].Disabled = true
			p.Users[i].Tokens = []auth.UserToken{{Name: "reports", SHA256: strings.Repeat("ab", 32)}}
		}
	}
	p.Users = append(p.Users, auth.User{ID: "neo", Role: api.RoleAgent, Team: "south", Password: h})
	if err := auth.WritePeople(file, p); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if u, ok := s.Directory().User("neo"); ok && u.Team == "south" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hub did not read the users file again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	lines := auditLines(t, s)
	all := strings.Join(lines, "\n")
	want := []string{
		"users users_file it ok  team south added under north",
		"users users_file it ok  user ada: role agent→supervisor, password changed",
		"users users_file it ok  user neo added: role agent, team south, password set",
		"users users_file it ok  user sup: disabled, token reports added",
	}
	var got []string
	for _, l := range lines {
		if strings.HasPrefix(l, "users users_file") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the users file's changes in the audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !hasLine(lines, "users root admin ok  id=quinn&op=set&role=supervisor&team=north") {
		t.Fatalf("the users page's change is not audited as root's:\n%s", all)
	}
	if strings.Contains(all, "quinn: role") || strings.Contains(all, "$") || strings.Contains(all, strings.Repeat("ab", 32)) {
		t.Fatalf("the audit log has a hash, or the page's change twice:\n%s", all)
	}
	// The entry names the file it came from.
	var from string
	_ = s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		if e.User == UsersFileUser {
			from = e.From
		}
		return nil
	})
	if from != file {
		t.Fatalf("a users file entry from %q, want %q", from, file)
	}
}
