package webapp

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// t0 is when the seeded recordings began.
var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// seed fills f: r-ada (automatic, ada, screen, one part of 20 s with a
// pause from 8 to 11 s, four lines, a stored file), r-adhoc (ada's ad hoc
// one), r-snip (bob's snippet) and 60 automatic ones of bob's.
func seed(f *fakeBackend, media []byte) {
	line := func(id int64, from, name, text string, at time.Duration) session.MessageData {
		return session.MessageData{ID: id, From: from, Name: name, Text: text, At: t0.Add(at)}
	}
	f.recs = append(f.recs, store.Recording{
		ID: "r-ada", Name: "2026-11-20_093000_general_ada_c-1_auto_r1", Interaction: "c-1", Queue: "general", Customer: "Bea",
		Agent: "ada", Kind: "auto", State: "final", Delivery: "store", Screen: true, Produced: true, FinishedAt: t0.Add(20 * time.Second),
		Parts: []session.Part{{Start: t0, End: t0.Add(20 * time.Second), Pauses: []session.Span{{From: t0.Add(8 * time.Second), To: t0.Add(11 * time.Second)}}}},
		Lines: []session.MessageData{
			line(1, "agent", "Ada", "Hello, how can I help?", 2*time.Second),
			line(2, "customer", "Bea", "My parcel is late", 5*time.Second),
			line(3, "agent", "Ada", "Let me check the tracking number", 13*time.Second),
			line(4, "customer", "Bea", "Thank you, that is all", 17*time.Second),
		},
		Log:   []session.RecChange{{At: t0.Add(8 * time.Second), Op: "pause", From: "on", To: "paused", By: session.Actor{Role: "agent", ID: "ada", Reason: "card number"}}},
		Files: []store.FileRef{{ID: "f-ada", Name: "2026-11-20_093000_general_ada_c-1_auto_r1.webm", SHA256: strings.Repeat("ab", 32), Size: int64(len(media))}},
	}, store.Recording{
		ID: "r-adhoc", Interaction: "c-2", Queue: "general", Customer: "Cy", Agent: "ada", Kind: "record", Produced: true,
		FinishedAt: t0.Add(time.Hour), Parts: []session.Part{{Start: t0.Add(50 * time.Minute), End: t0.Add(time.Hour)}},
	}, store.Recording{
		ID: "r-snip", Interaction: "c-3", Queue: "billing", Customer: "Di", Agent: "bob", Kind: "snip", Produced: true,
		FinishedAt: t0.Add(2 * time.Hour), Parts: []session.Part{{Start: t0.Add(119 * time.Minute), End: t0.Add(2 * time.Hour)}},
	})
	for i := range 60 {
		at := t0.Add(time.Duration(i+3) * time.Hour)
		f.recs = append(f.recs, store.Recording{ID: "r-bob-" + strconv.Itoa(i), Interaction: "c-b" + strconv.Itoa(i), Queue: "billing",
			Customer: "Cust" + strconv.Itoa(i), Agent: "bob", Kind: "auto", Produced: true, FinishedAt: at,
			Parts: []session.Part{{Start: at.Add(-time.Minute), End: at}}})
	}
	f.media["f-ada"] = media
}

// testClock is a clock the tests move.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	f     *fakeBackend
	srv   *httptest.Server
	clock *testClock
	app   *App
}

// newEnv serves the app on a fake backend seeded with media.
func newEnv(t *testing.T, media []byte, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	f := newFake()
	seed(f, media)
	c := &testClock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	a, err := New(f, Options{Now: c.now, Tags: []string{"region", "product"}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = a
	if wrap != nil {
		h = wrap(a)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{f: f, srv: srv, clock: c, app: a}
}

// client is a browser-like client: cookies kept, redirects not followed.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf is the form token in a page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return m[1]
}

// login logs user in (password pw-user) and returns the CSRF token of
// the session.
func (e *env) login(t *testing.T, c *http.Client, user string) string {
	t.Helper()
	_, page := do(t, c, "GET", e.srv.URL+"/app/login", nil)
	resp, _ := do(t, c, "POST", e.srv.URL+"/app/login", url.Values{"csrf": {csrfOf(t, page)}, "user": {user}, "password": {"pw-" + user}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-in as %s: %s", user, resp.Status)
	}
	_, page = do(t, c, "GET", e.srv.URL+"/app/", nil)
	return csrfOf(t, page)
}
