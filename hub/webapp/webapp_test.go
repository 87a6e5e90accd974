package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// TestLogin (issue 12 point 2): the cookie's attributes, a generic
// message for a wrong user or password, the lock-out message, a new
// session id after log-in, back to the page asked for, log-out.
func TestLogin(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	c := client(t)
	resp, _ := do(t, c, "GET", e.srv.URL+"/app/recordings/r-ada", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/login?next=%2Fapp%2Frecordings%2Fr-ada" {
		t.Fatalf("not logged in: %s %q, want a redirect to log in and back", resp.Status, resp.Header.Get("Location"))
	}
	resp, page := do(t, c, "GET", e.srv.URL+resp.Header.Get("Location"), nil)
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/app/" || ck[0].Secure {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/app/ (not Secure over plain HTTP)", ck)
	}
	anon := ck[0].Value
	if len(anon) != 43 { // 256 bits, base64url
		t.Errorf("session id %q is not 256 bits", anon)
	}
	token := csrfOf(t, page)
	for _, tc := range []struct{ user, pw string }{{"ada", "nope"}, {"nobody", "pw-ada"}} {
		resp, page = do(t, c, "POST", e.srv.URL+"/app/login", url.Values{"csrf": {token}, "user": {tc.user}, "password": {tc.pw}, "next": {"/app/recordings/r-ada"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Wrong user or password.") {
			t.Errorf("%s/%s: %s, want 401 and the generic message", tc.user, tc.pw, resp.Status)
		}
	}
	resp, _ = do(t, c, "POST", e.srv.URL+"/app/login", url.Values{"csrf": {token}, "user": {"ada"}, "password": {"pw-ada"},
		"next": {"/app/recordings/r-adhoc"}, "fragment": {"#t=12.5"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/recordings/r-adhoc#t=12.5" {
		t.Fatalf("log-in: %s %q, want back to the page and its moment", resp.Status, resp.Header.Get("Location"))
	}
	if ck := resp.Cookies(); len(ck) != 1 || ck[0].Value == anon {
		t.Fatalf("the session id did not change at log-in: %+v", ck)
	}
	resp, page = do(t, c, "GET", e.srv.URL+"/app/recordings/r-adhoc", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Cy") {
		t.Fatalf("after log-in: %s", resp.Status)
	}
	resp, _ = do(t, c, "POST", e.srv.URL+"/app/logout", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/login" {
		t.Fatalf("log-out: %s", resp.Status)
	}
	if resp, _ = do(t, c, "GET", e.srv.URL+"/app/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after log-out: %s, want to log in again", resp.Status)
	}
}

func TestLockOut(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	c := client(t)
	_, page := do(t, c, "GET", e.srv.URL+"/app/login", nil)
	token := csrfOf(t, page)
	var resp *http.Response
	for range lockAfter + 1 {
		resp, page = do(t, c, "POST", e.srv.URL+"/app/login", url.Values{"csrf": {token}, "user": {"bob"}, "password": {"guess"}})
	}
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "locked") {
		t.Fatalf("after %d failures: %s %q, want the lock-out message", lockAfter+1, resp.Status, page)
	}
	resp, _ = do(t, c, "POST", e.srv.URL+"/app/login", url.Values{"csrf": {token}, "user": {"bob"}, "password": {"pw-bob"}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the right password while locked out: %s", resp.Status)
	}
}

// TestCSRF: a POST without the session's token, or with another's, is
// refused with 403 and a page in words; nothing is done.
func TestCSRF(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	c := client(t)
	token := e.login(t, c, "sue")
	other := e.login(t, client(t), "ada")
	for name, form := range map[string]url.Values{
		"none":    {"name": {"mine"}, "query": {"agent=ada"}},
		"wrong":   {"name": {"mine"}, "query": {"agent=ada"}, "csrf": {token[:len(token)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(token, "A")]}},
		"another": {"name": {"mine"}, "query": {"agent=ada"}, "csrf": {other}},
	} {
		resp, page := do(t, c, "POST", e.srv.URL+"/app/searches", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "security token") {
			t.Errorf("%s: %s, want 403 with a clear page", name, resp.Status)
		}
	}
	for _, p := range []string{"/app/login", "/app/logout", "/app/recordings/r-ada/bookmarks", "/app/recordings/r-ada/reason"} {
		if resp, _ := do(t, c, "POST", e.srv.URL+p, url.Values{"user": {"sue"}, "password": {"pw-sue"}, "comment": {"x"}, "t": {"1"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a token: %s, want 403", p, resp.Status)
		}
	}
	if s, _ := e.f.SavedSearches(t.Context(), User{ID: "sue"}); len(s) != 0 {
		t.Fatalf("a refused form saved %v", s)
	}
	resp, _ := do(t, c, "POST", e.srv.URL+"/app/searches", url.Values{"name": {"mine"}, "query": {"agent=ada&cursor=9"}, "csrf": {token}})
	if s, _ := e.f.SavedSearches(t.Context(), User{ID: "sue"}); resp.StatusCode != http.StatusSeeOther || len(s) != 1 || s[0].Query != "agent=ada" {
		t.Fatalf("with the token: %s %v", resp.Status, s)
	}
}

// TestNoOpenRedirect: after log-in only a path of the app is followed.
func TestNoOpenRedirect(t *testing.T) {
	for next, want := range map[string]string{
		"/app/recordings/r-1?x=1": "/app/recordings/r-1?x=1",
		"https://evil.example/":   "/app/",
		"//evil.example/app/":     "/app/",
		"/\\evil.example":         "/app/",
		"/app/../etc":             "/app/../etc", // a path of this host: the mux cleans it
		"/other":                  "/app/",
		"javascript:alert(1)":     "/app/",
		"/app/login?next=//x":     "/app/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestIdleTimeout: a session unused for the idle timeout ends.
func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	c := client(t)
	e.login(t, c, "sue")
	e.clock.add(DefaultIdleTimeout - time.Minute)
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the timeout: %s", resp.Status)
	}
	e.clock.add(DefaultIdleTimeout - time.Minute) // used a moment ago: still alive
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("used within the timeout: %s", resp.Status)
	}
	e.clock.add(DefaultIdleTimeout + time.Second)
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("idle past the timeout: %s, want to log in again", resp.Status)
	}
}

// TestSearchPage (R-V5, R-V8): the form keeps the query, results are
// within scope, counted, paged by cursor; export only for who may.
func TestSearchPage(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	cora := client(t)
	e.login(t, cora, "cora")
	resp, page := do(t, cora, "GET", e.srv.URL+"/app/recordings?agent=bob&tag.region=north", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "60 found") || !strings.Contains(page, `id="next"`) ||
		!strings.Contains(page, `value="north"`) || !strings.Contains(page, "Export CSV") {
		t.Fatalf("compliance, agent=bob: %s\n%s", resp.Status, page)
	}
	if strings.Contains(page, "r-snip") {
		t.Error("compliance sees a snippet (R-C7: recorder users only)")
	}
	next := regexpFind(t, page, `id="next" href="([^"]+)"`)
	_, page2 := do(t, cora, "GET", e.srv.URL+strings.ReplaceAll(next, "&amp;", "&"), nil)
	if strings.Count(page2, `class="open"`) != 10 {
		t.Errorf("the second page has %d rows, want 10", strings.Count(page2, `class="open"`))
	}
	resp, csv := do(t, cora, "GET", e.srv.URL+"/app/export.csv?agent=bob", nil)
	if resp.StatusCode != http.StatusOK || strings.Count(csv, "\n") != 61 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("export: %s, %d lines", resp.Status, strings.Count(csv, "\n"))
	}

	ada := client(t)
	e.login(t, ada, "ada")
	_, page = do(t, ada, "GET", e.srv.URL+"/app/recordings", nil)
	if !strings.Contains(page, "r-adhoc") || strings.Contains(page, "r-ada\"") || strings.Contains(page, "Export CSV") {
		t.Errorf("an agent sees only their own ad hoc recordings (R-C7), and no export:\n%s", page)
	}
	if resp, _ := do(t, ada, "GET", e.srv.URL+"/app/export.csv", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an agent's export: %s, want 404", resp.Status)
	}
	resp, page = do(t, ada, "GET", e.srv.URL+"/app/recordings?kind=nonsense", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "kind: ") {
		t.Errorf("a bad kind: %s", resp.Status)
	}
	sue := client(t)
	e.login(t, sue, "sue")
	_, page = do(t, sue, "GET", e.srv.URL+"/app/recordings?q=parcel", nil)
	if !strings.Contains(page, "1 found") || !strings.Contains(page, "/app/recordings/r-ada") {
		t.Errorf("words: %s", page)
	}
	if a := e.f.accesses(); len(a) == 0 || a[len(a)-1].Action != "search" || a[len(a)-1].User != "sue" || a[len(a)-1].Query != "q=parcel" {
		t.Errorf("the search is not in the access log: %+v", a)
	}
}

// TestRecordingScope (R-V8): outside scope is the same 404 as unknown,
// on the page and on the media.
func TestRecordingScope(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	bob := client(t)
	e.login(t, bob, "bob")
	for _, p := range []string{"/app/recordings/r-ada", "/app/recordings/nope", "/app/recordings/r-ada/media"} {
		resp, page := do(t, bob, "GET", e.srv.URL+p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, resp.Status)
		}
		if !strings.HasSuffix(p, "media") && !strings.Contains(page, "No such recording, or not yours to see.") {
			t.Errorf("%s: no clear message", p)
		}
	}
	for _, a := range e.f.accesses() {
		if a.User == "bob" && a.Action != "search" && a.Outcome != OutcomeNotFound {
			t.Errorf("a refused access is logged as %+v", a)
		}
	}
}

// TestPlayerPage (point 4): transcript lines at their file time, the
// pause drawn as a chapter, media with Range, play logged once.
func TestPlayerPage(t *testing.T) {
	media := []byte(strings.Repeat("0123456789", 100))
	e := newEnv(t, media, nil)
	c := client(t)
	e.login(t, c, "sue")
	_, page := do(t, c, "GET", e.srv.URL+"/app/recordings/r-ada", nil)
	for _, want := range []string{`data-t="13"`, `class="chapter pause" x="400"`, `width="150"`, "Paused by agent ada (card number)",
		`src="/app/recordings/r-ada/media?file=f-ada"`, "My parcel is late"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/app/recordings/r-ada/media?file=f-ada", nil)
	req.Header.Set("Range", "bytes=500-509")
	for range 2 {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 500-509/1000" {
			t.Fatalf("range: %s %q", resp.Status, resp.Header.Get("Content-Range"))
		}
	}
	plays := 0
	for _, a := range e.f.accesses() {
		if a.Action == "play" && a.Recording == "r-ada" {
			plays++
		}
	}
	if plays != 1 {
		t.Errorf("%d plays logged, want 1 (per session)", plays)
	}
}

// TestReasonCode (R-V8): quality must give a reason before the media is
// served; it is kept with the access.
func TestReasonCode(t *testing.T) {
	e := newEnv(t, []byte("media"), nil)
	c := client(t)
	token := e.login(t, c, "quinn")
	_, page := do(t, c, "GET", e.srv.URL+"/app/recordings/r-ada", nil)
	if !strings.Contains(page, `id="reason-form"`) || strings.Contains(page, "<video") {
		t.Fatal("no reason form before playing")
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/recordings/r-ada/media", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("media without a reason: %s", resp.Status)
	}
	if resp, _ := do(t, c, "POST", e.srv.URL+"/app/recordings/r-ada/reason", url.Values{"csrf": {token}, "reason": {" "}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an empty reason: %s", resp.Status)
	}
	resp, _ := do(t, c, "POST", e.srv.URL+"/app/recordings/r-ada/reason", url.Values{"csrf": {token}, "reason": {"QA-7 evaluation"}, "fragment": {"#t=13"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/recordings/r-ada#t=13" {
		t.Fatalf("reason: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/recordings/r-ada/media", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("media with a reason: %s", resp.Status)
	}
	a := e.f.accesses()
	denied := 0
	for _, x := range a {
		if x.Action == "play" && x.Outcome == OutcomeDenied {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d denied plays logged, want 1", denied)
	}
	if last := a[len(a)-1]; last.Action != "play" || last.Reason != "QA-7 evaluation" || last.User != "quinn" || last.Outcome != OutcomeOK ||
		last.Interaction != "c-1" || last.Kind != "auto" || last.Customer != "Bea" {
		t.Fatalf("the play is not logged with its reason: %+v", last)
	}
}

// TestBookmarks: add with a comment at a moment, list, delete own only.
func TestBookmarks(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	sue, ada := client(t), client(t)
	ts := e.login(t, sue, "sue")
	ta := e.login(t, ada, "ada")
	resp, _ := do(t, sue, "POST", e.srv.URL+"/app/recordings/r-ada/bookmarks", url.Values{"csrf": {ts}, "t": {"13.25"}, "comment": {"checks the tracking"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/recordings/r-ada#t=13.2" {
		t.Fatalf("add: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	for _, bad := range []url.Values{{"t": {"13"}}, {"t": {"999"}, "comment": {"x"}}, {"t": {"NaN"}, "comment": {"x"}}} {
		bad.Set("csrf", ts)
		if resp, _ := do(t, sue, "POST", e.srv.URL+"/app/recordings/r-ada/bookmarks", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bookmark %v: %s, want 400", bad, resp.Status)
		}
	}
	_, page := do(t, sue, "GET", e.srv.URL+"/app/recordings/r-ada", nil)
	if !strings.Contains(page, "checks the tracking") || !strings.Contains(page, `data-t="13.25"`) || !strings.Contains(page, "/bookmarks/b1/delete") {
		t.Fatalf("the bookmark is not listed with its delete button")
	}
	// ada's automatic recording is not hers to see (only ad hoc, R-C7):
	// the delete is a 404.
	if resp, _ := do(t, ada, "POST", e.srv.URL+"/app/recordings/r-ada/bookmarks/b1/delete", url.Values{"csrf": {ta}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another's delete: %s", resp.Status)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/app/recordings/r-ada/bookmarks/b1/delete", nil)
	req.Header.Set("X-CSRF-Token", ts)
	r2, err := sue.Do(req)
	if err != nil || r2.StatusCode != http.StatusOK {
		t.Fatalf("delete by script: %v %v", err, r2)
	}
	r2.Body.Close()
	if b, _ := e.f.Bookmarks(t.Context(), User{}, "r-ada"); len(b) != 0 {
		t.Fatalf("not deleted: %v", b)
	}
}

// TestDashboardAndAdmin: the plots are drawn from the stats, gaps listed;
// the users page is for admins alone.
func TestDashboardAndAdmin(t *testing.T) {
	e := newEnv(t, []byte("x"), nil)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	e.f.stats = Stats{Days: []DayStats{
		{Day: day, ByKind: map[string]int{"auto": 3, "record": 1}, ByQueue: map[string]int{"general": 4}, Stored: 10 << 20, MustRecord: 3, Recorded: 2},
		{Day: day.AddDate(0, 0, 1), ByKind: map[string]int{"auto": 2}, ByQueue: map[string]int{"billing": 2}, Stored: 15 << 20, MustRecord: 2, Recorded: 2},
	}, Gaps: []Gap{{Day: day, Interaction: "c-9", Agent: "bob", Cause: "declined consent"}},
		Backlog: []Backlog{{Desktop: "bob", Uploads: 2, Bytes: 3 << 20, Oldest: e.clock.now().Add(-2 * time.Hour)}}}
	c := client(t)
	e.login(t, c, "sue")
	resp, page := do(t, c, "GET", e.srv.URL+"/app/dashboard", nil)
	for _, want := range []string{"1 of 5 chats that had to be recorded", "declined consent", `id="chart-by-kind"`, "Automatic (5)",
		`class="line" points=`, "<desc id=\"storage-d\">", "2 uploads · 3 MiB · oldest 2 h ago", "<details>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	if resp, _ := do(t, c, "GET", e.srv.URL+"/app/admin/users", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a supervisor on the users page: %s, want 404", resp.Status)
	}
	ada := client(t)
	e.login(t, ada, "ada")
	if resp, _ := do(t, ada, "GET", e.srv.URL+"/app/dashboard", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an agent on the dashboard: %s, want 404", resp.Status)
	}
	root := client(t)
	e.login(t, root, "root")
	resp, page = do(t, root, "GET", e.srv.URL+"/app/admin/users", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "team d1") || !strings.Contains(page, "Sue Supervisor") {
		t.Errorf("admin users page: %s", resp.Status)
	}
}

// TestTimeline: wall time maps to file time with the stopped stretch
// between parts cut and pauses kept (DESIGN.md "Recording file").
func TestTimeline(t *testing.T) {
	rec := store.Recording{Parts: []session.Part{
		{Start: t0, End: t0.Add(10 * time.Second), Pauses: []session.Span{{From: t0.Add(4 * time.Second), To: t0.Add(6 * time.Second)}}},
		{Start: t0.Add(30 * time.Second), End: t0.Add(40 * time.Second)},
	}}
	tl := NewTimeline(rec)
	for _, tc := range []struct {
		at   time.Duration
		want time.Duration
		in   bool
	}{{0, 0, true}, {5 * time.Second, 5 * time.Second, true}, {20 * time.Second, 10 * time.Second, false},
		{35 * time.Second, 15 * time.Second, true}, {time.Minute, 20 * time.Second, false}, {-time.Second, 0, false}} {
		got, in := tl.Map(t0.Add(tc.at))
		if got != tc.want || in != tc.in {
			t.Errorf("Map(t0%+v) = %v %v, want %v %v", tc.at, got, in, tc.want, tc.in)
		}
	}
	ch := tl.Chapters(nil)
	if tl.Length() != 20*time.Second || len(ch) != 3 || ch[1].Kind != "pause" || ch[1].Start != 4 || ch[1].End != 6 || ch[2].Label != "Part 2" || ch[2].Start != 10 {
		t.Fatalf("length %v chapters %+v", tl.Length(), ch)
	}
}

func regexpFind(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not in the page", re)
	}
	return m[1]
}

// TestSessionCap: over MaxSessions, log-in forms are evicted before
// people's sessions; MaxAge ends a session in use.
func TestSessionCap(t *testing.T) {
	f := newFake()
	c := &testClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	a, err := New(f, Options{Now: c.now, MaxSessions: 3, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	u := User{ID: "sue"}
	s1 := a.sessions.create(&u)
	for range 10 {
		c.add(time.Second)
		a.sessions.create(nil)
	}
	if _, ok := a.sessions.get(s1.id); !ok {
		t.Fatal("a flood of log-in forms evicted a person's session")
	}
	for range 2 * 59 {
		c.add(30 * time.Second)
		a.sessions.get(s1.id)
	}
	c.add(2 * time.Minute)
	if _, ok := a.sessions.get(s1.id); ok {
		t.Fatal("a session in use outlived MaxAge")
	}
}

// TestSecureCookieOverTLS: over TLS the session cookie is Secure.
func TestSecureCookieOverTLS(t *testing.T) {
	a, err := New(newFake(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(a)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + "/app/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ck := resp.Cookies(); len(ck) != 1 || !ck[0].Secure || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie over TLS: %+v", ck)
	}
}

// parsingFake is a Backend with its own query parser (Parser): the team
// becomes its agents, as the hub's directory does.
type parsingFake struct{ *fakeBackend }

func (p parsingFake) ParseQuery(q url.Values) (store.RecordingFilter, []string, error) {
	f, _, err := localParseQuery(url.Values{"q": q["q"]})
	if q.Get("team") == "south" {
		f.Agent = "bob"
	}
	return f, nil, err
}

// TestBackendParser: a Backend that parses queries itself is used, and
// nothing is reported as not applied.
func TestBackendParser(t *testing.T) {
	f := newFake()
	seed(f, nil)
	a, err := New(parsingFake{f}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	e := &env{f: f, srv: srv}
	c := client(t)
	e.login(t, c, "root")
	_, page := do(t, c, "GET", srv.URL+"/app/recordings?team=south", nil)
	if !strings.Contains(page, "61 found") || strings.Contains(page, "Not applied") {
		t.Fatalf("team=south through the Backend's parser: %s", regexpFind(t, page, `id="count">([^<]*)<`))
	}
}
