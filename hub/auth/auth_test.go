package auth

import (
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id in PHC form", h)
	}
	if !checkPassword(h, "correct horse battery") || checkPassword(h, "correct horse batterY") {
		t.Fatal("the hash does not tell the password from another")
	}
	if h2, _ := HashPassword("correct horse battery"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("a 5-character password was hashed")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", // 4 GiB: a hostile file
		"$argon2id$v=19$m=8,t=99,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := parseHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("parseHash(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}

func testPeople(t *testing.T) People {
	t.Helper()
	h, err := HashPassword("sue's long password")
	if err != nil {
		t.Fatal(err)
	}
	return People{
		Teams: []Team{{Name: "centre"}, {Name: "north", Parent: "centre"}, {Name: "north-east", Parent: "north"}, {Name: "south", Parent: "centre"}},
		Users: []User{
			{ID: "sue", Role: "supervisor", Team: "north", Password: h},
			{ID: "ned", Role: "supervisor", Team: "north-east"},
			{ID: "quinn", Role: "quality", Team: "north"},
			{ID: "cora", Role: "compliance"},
			{ID: "root", Role: "admin"},
			{ID: "dee", Role: "agent", Team: "south"}, // an agent known only as a user
			{ID: "off", Role: "admin", Password: h, Disabled: true},
		},
	}
}

var testAgents = []Agent{{ID: "ada", Team: "north", Token: "tok-ada-0123456789"}, {ID: "bob", Team: "north-east", Token: "tok-bob-0123456789"}, {ID: "cy", Team: "south", Token: "tok-cy-01234567890"}}

func TestValidate(t *testing.T) {
	if err := testPeople(t).Validate(testAgents); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    People
		a    []Agent
		want string
	}{
		{People{Teams: []Team{{Name: "a", Parent: "b"}, {Name: "b", Parent: "a"}}}, nil, "its own ancestor"},
		{People{Teams: []Team{{Name: "a", Parent: "x"}}}, nil, `teams[0].parent: no team "x"`},
		{People{Teams: []Team{{Name: "a"}, {Name: "a"}}}, nil, "used twice"},
		{People{Users: []User{{ID: "u", Role: "boss"}}}, nil, `users[0].role: "boss", want one of agent, quality, supervisor, compliance, admin`},
		{People{Users: []User{{ID: "u", Role: "admin", Team: "nope"}}}, nil, `users[0].team: no team "nope"`},
		{People{Users: []User{{ID: "u", Role: "admin", Password: "hunter2"}}}, nil, "users[0].password"},
		{People{Users: []User{{ID: "u", Role: "admin"}, {ID: "u", Role: "admin"}}}, nil, `users[1].id: "u" is used twice`},
		{People{Users: []User{{ID: "bad id", Role: "admin"}}}, nil, "is not an id"},
		{People{Users: []User{{ID: "u", Role: "admin", Tokens: []UserToken{{Name: "x", SHA256: "abc"}}}}}, nil, "tokens[0].sha256"},
		{People{}, []Agent{{ID: "ada", Team: "ghosts"}}, `agents[0].team: no team "ghosts"`},
	} {
		err := c.p.Validate(c.a)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.p, err, c.want)
		}
	}
}

func TestLoginAndLockOut(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	d, err := New(Options{People: testPeople(t), Agents: testAgents, Now: func() time.Time { return now }, Failures: 3, LockFor: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Login("sue", "sue's long password", "10.0.0.1")
	if err != nil || c.Role != api.RoleSupervisor || c.Team != "north" || c.ID != "sue" {
		t.Fatalf("login: %+v %v", c, err)
	}
	for _, bad := range [][2]string{{"sue", "wrong password!"}, {"nobody", "sue's long password"}, {"ned", ""}, {"off", "sue's long password"}} {
		if _, err := d.Login(bad[0], bad[1], "10.0.0.9"); !errors.Is(err, ErrBadLogin) {
			t.Errorf("login %s with a wrong, missing or disabled password: %v", bad[0], err)
		}
	}
	for range 2 { // with the one above: 3 in a row
		_, _ = d.Login("sue", "wrong password!", "10.0.0.2")
	}
	_, err = d.Login("sue", "sue's long password", "10.0.0.1")
	var lo *LockedOut
	if !errors.As(err, &lo) || !errors.Is(err, ErrLockedOut) || !lo.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("the right password after 3 wrong ones: %v, want locked out for a minute", err)
	}
	now = now.Add(time.Minute + time.Second)
	if _, err := d.Login("sue", "sue's long password", "10.0.0.1"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
	// One address guessing many users is locked out as an address (4×3).
	for i := range 12 {
		_, _ = d.Login("guess"+string(rune('a'+i)), "whatever it is", "10.6.6.6")
	}
	if _, err := d.Login("sue", "sue's long password", "10.6.6.6"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("12 failures from one address: %v, want it locked out", err)
	}
	if _, err := d.Login("sue", "sue's long password", "10.0.0.1"); err != nil {
		t.Fatalf("another address is not locked: %v", err)
	}
}

func TestTokens(t *testing.T) {
	secret, sum, err := NewToken()
	if err != nil || !strings.HasPrefix(secret, TokenPrefix) || sum != TokenSum(secret) || len(sum) != 64 {
		t.Fatalf("NewToken: %q %q %v", secret, sum, err)
	}
	p := testPeople(t)
	p.Users[3].Tokens = []UserToken{{Name: "nightly", SHA256: sum}}
	p.Users[6].Tokens = []UserToken{{Name: "old", SHA256: TokenSum(TokenPrefix + "disabled")}}
	d, err := New(Options{People: p, Agents: testAgents, Services: []api.Token{{Secret: "svc-token-0123456789", Caller: api.Caller{Role: api.RoleFlow, ID: "ivr"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		secret string
		want   api.Caller
		ok     bool
	}{
		{secret, api.Caller{Role: api.RoleCompliance, ID: "cora"}, true},
		{"tok-ada-0123456789", api.Caller{Role: api.RoleAgent, ID: "ada", Team: "north"}, true},
		{"svc-token-0123456789", api.Caller{Role: api.RoleFlow, ID: "ivr", Service: true}, true},
		{TokenPrefix + "disabled", api.Caller{}, false},
		{sum, api.Caller{}, false}, // the hash is not the token
		{"", api.Caller{}, false},
	} {
		got, ok := d.Lookup(c.secret)
		if ok != c.ok || got != c.want {
			t.Errorf("Lookup(%q) = %+v %v, want %+v %v", c.secret, got, ok, c.want, c.ok)
		}
	}
	r := httptest.NewRequest("GET", "/v1/files/x?access_token="+secret, nil)
	if _, ok := d.FromRequest(r, false); ok {
		t.Error("a token in the query was taken where only the header may carry one")
	}
	if c, ok := d.FromRequest(r, true); !ok || c.ID != "cora" {
		t.Errorf("a token in the query where it may be: %+v %v", c, ok)
	}
}

func TestUsersFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.yaml")
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	d, err := New(Options{File: path, Agents: testAgents, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("a users file not pushed yet: %v", err)
	}
	if len(d.Users()) != 0 {
		t.Fatal("users without a file")
	}
	if err := WritePeople(path, testPeople(t)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the users file is %v, want 0600: it holds hashes", fi.Mode().Perm())
	}
	now = now.Add(3 * time.Second)
	if _, ok := d.User("sue"); !ok {
		t.Fatal("a pushed users file was not read")
	}
	if err := os.WriteFile(path, []byte("users:\n  - id: x\n    role: emperor\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Second)
	if _, ok := d.User("sue"); !ok {
		t.Fatal("a broken users file replaced the good one")
	}
	if _, err := New(Options{File: path}); err == nil || !strings.Contains(err.Error(), "emperor") {
		t.Fatalf("a hub starting on a broken users file: %v", err)
	}
}

func TestScope(t *testing.T) {
	d, err := New(Options{People: testPeople(t), Agents: testAgents, Services: []api.Token{{Secret: "svc-token-0123456789", Caller: api.Caller{Role: api.RoleSupervisor, ID: "crm"}}}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"record", "snip", "auto", "fulltime", "selective", "dynamic", "abuse"}
	agents := []string{"ada", "bob", "cy", "dee"}
	who := map[string]api.Caller{
		"ada (agent)":       {Role: api.RoleAgent, ID: "ada", Team: "north"},
		"sue (sup north)":   {Role: api.RoleSupervisor, ID: "sue", Team: "north"},
		"ned (sup n-e)":     {Role: api.RoleSupervisor, ID: "ned", Team: "north-east"},
		"quinn (qa north)":  {Role: api.RoleQuality, ID: "quinn", Team: "north"},
		"cora (compliance)": {Role: api.RoleCompliance, ID: "cora"},
		"root (admin)":      {Role: api.RoleAdmin, ID: "root"},
		"crm (service)":     {Role: api.RoleSupervisor, ID: "crm", Service: true},
		"teamless sup":      {Role: api.RoleSupervisor, ID: "x"},
		"ivr (flow)":        {Role: api.RoleFlow, ID: "ivr", Service: true},
	}
	// want[who] = the agents seen and whether snippets are.
	want := map[string]struct {
		agents string
		snips  bool
		only   string // a single kind
	}{
		"ada (agent)":       {"ada", false, "record"},
		"sue (sup north)":   {"ada bob", true, ""},
		"ned (sup n-e)":     {"bob", true, ""},
		"quinn (qa north)":  {"ada bob", false, ""},
		"cora (compliance)": {"ada bob cy dee", false, ""},
		"root (admin)":      {"ada bob cy dee", true, ""},
		"crm (service)":     {"ada bob cy dee", true, ""},
		"teamless sup":      {"", true, ""},
		"ivr (flow)":        {"", false, ""},
	}
	for name, c := range who {
		s, w := d.Scope(c), want[name]
		for _, a := range agents {
			for _, k := range kinds {
				exp := strings.Contains(" "+w.agents+" ", " "+a+" ") && (k != "snip" || w.snips) && (w.only == "" || k == w.only)
				if got := s.Allows(a, k); got != exp {
					t.Errorf("R-V8/R-C7: %s sees %s's %s: %v, want %v", name, a, k, got, exp)
				}
			}
		}
		f := store.RecordingFilter{}
		s.Apply(&f)
		for _, a := range agents {
			if in := f.AgentIn == nil || strings.Contains(" "+strings.Join(f.AgentIn, " ")+" ", " "+a+" "); in != strings.Contains(" "+w.agents+" ", " "+a+" ") {
				t.Errorf("%s: Apply's agents %v (nil: all) and %s disagree", name, f.AgentIn, a)
			}
		}
	}
	f := store.RecordingFilter{AgentIn: []string{"bob", "cy"}, KindIn: []string{"snip", "record"}}
	d.Scope(who["quinn (qa north)"]).Apply(&f)
	if strings.Join(f.AgentIn, ",") != "bob" || strings.Join(f.KindIn, ",") != "record" {
		t.Errorf("Apply on a narrower search: %v %v, want [bob] [record]", f.AgentIn, f.KindIn)
	}
	if got := d.TeamAgents("north"); strings.Join(got, ",") != "ada,bob" {
		t.Errorf("TeamAgents(north) = %v", got)
	}
	if !d.Scope(who["cora (compliance)"]).CanExport() || d.Scope(who["sue (sup north)"]).CanExport() || !d.Scope(who["root (admin)"]).CanAdmin() {
		t.Error("export and admin rights")
	}
}

func TestEdit(t *testing.T) {
	d, err := New(Options{People: testPeople(t), Agents: testAgents})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Edit(func(*People) error { return nil }); !errors.Is(err, ErrNoUsersFile) || d.Editable() {
		t.Fatalf("Edit without a users file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "users.yaml")
	d, err = New(Options{People: testPeople(t), Agents: testAgents, File: path})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := HashPassword("ned's long password")
	if err := d.Edit(func(p *People) error {
		p.Users = append(p.Users, User{ID: "nia", Role: "quality", Team: "south", Password: h})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if c, err := d.Login("nia", "ned's long password", ""); err != nil || c.Team != "south" {
		t.Fatalf("a user added by Edit logs in at once: %+v %v", c, err)
	}
	for _, bad := range []func(p *People) error{
		func(p *People) error { p.Users = append(p.Users, User{ID: "sue", Role: "admin"}); return nil }, // the config's
		func(p *People) error { p.Users[0].Team = "atlantis"; return nil },
	} {
		if err := d.Edit(bad); err == nil {
			t.Error("a bad edit was written")
		}
	}
	if u, _ := d.User("nia"); u.Team != "south" || !d.InConfig("sue") || d.InConfig("nia") {
		t.Fatalf("after refused edits: %+v", u)
	}
}
