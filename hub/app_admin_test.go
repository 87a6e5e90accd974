package hub

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
)

// appClient is a browser-like client of the web app: cookies kept,
// redirects not followed.
type appClient struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

var appCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newAppClient(t *testing.T, base string) *appClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &appClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *appClient) do(method, path string, form url.Values) (int, string) {
	a.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := appCSRF.FindStringSubmatch(string(b)); m != nil {
		a.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// login logs in and reports whether the hub took the password.
func (a *appClient) login(user, password string) bool {
	a.t.Helper()
	a.do("GET", "/app/login", nil)
	code, _ := a.do("POST", "/app/login", url.Values{"csrf": {a.csrf}, "user": {user}, "password": {password}})
	if code != http.StatusSeeOther {
		return false
	}
	a.do("GET", "/app/", nil) // the session's form token
	return true
}

// change posts one change of the users page.
func (a *appClient) change(v url.Values) (int, string) {
	a.t.Helper()
	v.Set("csrf", a.csrf)
	return a.do("POST", "/app/admin/users", v)
}

// TestWebAppManagesUsers: an admin manages users and teams from the users
// page (issue 12 points 1 and 5) in the users file: a new team and user
// who can log in at once, a role changed, a password set, a user
// disabled, a lock-out lifted; the config's own users stay as they are;
// every change is in the access log without the password; anyone else
// gets the 404 of an unknown page, and a post without the form token 403.
func TestWebAppManagesUsers(t *testing.T) {
	hash, err := auth.HashPassword("root's long password")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "users.yaml")
	if err := auth.WritePeople(file, auth.People{Teams: []auth.Team{{Name: "support"}},
		Users: []auth.User{{ID: "root", Role: "admin", Password: hash}, {ID: "sue", Role: "supervisor", Team: "support", Password: hash}}}); err != nil {
		t.Fatal(err)
	}
	s, base, _ := startStoreHub(t, func(c *Config) {
		c.Access.UsersFile = file
		c.Users = []auth.User{{ID: "cfg-admin", Role: "admin", Password: hash}}
	})
	root := newAppClient(t, base)
	if !root.login("root", "root's long password") {
		t.Fatal("root cannot log in")
	}
	code, page := root.do("GET", "/app/admin/users", nil)
	if code != 200 || !strings.Contains(page, `id="add-user"`) || strings.Contains(page, "Read-only") {
		t.Fatalf("the users page of a hub with a users file: %d, editable? %v", code, strings.Contains(page, `id="add-user"`))
	}
	for _, c := range []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"op": {"team"}, "id": {"billing"}, "parent": {"support"}}, 303, ""},
		{url.Values{"op": {"add"}, "id": {"quinn"}, "name": {"Quinn Q"}, "role": {"quality"}, "team": {"billing"}, "password": {"quinn's long password"}}, 303, ""},
		{url.Values{"op": {"add"}, "id": {"quinn"}, "role": {"quality"}}, 400, `user &#34;quinn&#34; exists`},
		{url.Values{"op": {"add"}, "id": {"x"}, "role": {"emperor"}}, 400, "emperor"},
		{url.Values{"op": {"add"}, "id": {"y"}, "role": {"agent"}, "password": {"short"}}, 400, "at least 10 characters"},
		{url.Values{"op": {"add"}, "id": {"z"}, "role": {"agent"}, "team": {"nowhere"}}, 400, "no team"},
		{url.Values{"op": {"set"}, "id": {"cfg-admin"}, "role": {"agent"}}, 400, "no user"},
		{url.Values{"op": {"set"}, "id": {"quinn"}, "role": {"supervisor"}, "team": {"billing"}}, 303, ""},
		{url.Values{"op": {"frobnicate"}, "id": {"quinn"}}, 400, "unknown change"},
	} {
		code, page := root.change(c.form)
		if code != c.code || !strings.Contains(page, c.want) {
			t.Errorf("%v: %d, want %d with %q", c.form, code, c.code, c.want)
		}
	}
	if u, ok := s.Directory().User("quinn"); !ok || u.Role != "supervisor" || u.Team != "billing" {
		t.Fatalf("quinn after the changes: %+v %v", u, ok)
	}
	quinn := newAppClient(t, base)
	if !quinn.login("quinn", "quinn's long password") {
		t.Fatal("a user added on the page cannot log in at once")
	}
	if code, _ := quinn.change(url.Values{"op": {"add"}, "id": {"eve"}, "role": {"admin"}}); code != http.StatusNotFound {
		t.Fatalf("a supervisor posting a change: %d, want 404", code)
	}
	if code, _ := root.do("POST", "/app/admin/users", url.Values{"op": {"remove"}, "id": {"sue"}}); code != http.StatusForbidden {
		t.Fatalf("a change without the form token: %d, want 403", code)
	}
	// A lock-out lifted, a password set, a user disabled.
	for range 5 {
		newAppClient(t, base).login("sue", "wrong password!")
	}
	if newAppClient(t, base).login("sue", "root's long password") {
		t.Fatal("sue was not locked out")
	}
	for _, op := range []url.Values{{"op": {"unlock"}, "id": {"sue"}}, {"op": {"password"}, "id": {"sue"}, "password": {"sue's new long password"}}} {
		if code, page := root.change(op); code != 303 {
			t.Fatalf("%v: %d %s", op, code, page)
		}
	}
	if !newAppClient(t, base).login("sue", "sue's new long password") {
		t.Fatal("sue cannot log in with the password set on the page")
	}
	if code, _ := root.change(url.Values{"op": {"disable"}, "id": {"quinn"}}); code != 303 {
		t.Fatal("disable")
	}
	if newAppClient(t, base).login("quinn", "quinn's long password") {
		t.Fatal("a disabled user logged in")
	}
	// The access log has every change, never a password.
	page2, err := s.Store().Accesses(context.Background(), store.AccessFilter{Action: store.ActionUsers})
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for _, a := range page2.Accesses {
		log = append(log, a.User+" "+a.Outcome+" "+a.Query)
	}
	all := strings.Join(log, "\n")
	if len(page2.Accesses) != 12 || strings.Contains(all, "long password") || !strings.Contains(all, "root ok id=quinn&name=Quinn+Q&op=add&role=quality&team=billing") ||
		!strings.Contains(all, "root denied id=x&op=add&role=emperor") {
		t.Fatalf("the access log of the changes (%d):\n%s", len(page2.Accesses), all)
	}
}
