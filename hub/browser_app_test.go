package hub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/browsertest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// screenVoiceWebM makes a 20 s WebM with VP8 screen and Opus voice (ffmpeg;
// the hub's tests do not link the cgo encoders, see testWebM).
func screenVoiceWebM(t *testing.T) []byte {
	t.Helper()
	return ffmpegWebM(t, "-f", "lavfi", "-i", "testsrc=duration=20:size=640x360:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=20", "-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime",
		"-c:a", "libopus", "-b:a", "24k")
}

// appHub starts a hub with a store, the hub's age identity, the team
// tree north > north-east and south, and users who log in to the web app
// with password "password-<id>": sup (supervisor of north), far (supervisor of
// south). It holds one recording of ada's (north): 20 s, paused from 8 to
// 11 s, four lines, its file sealed with age.
func appHub(t *testing.T) (*Server, string) {
	s, base, _ := appHubMedia(t)
	return s, base
}

// appHubMedia is appHub that also returns the recording's plaintext;
// it has a compliance user "comp" too, who gives a reason code to play.
func appHubMedia(t *testing.T) (*Server, string, []byte) {
	t.Helper()
	ageID, keyPath := identityFile(t)
	var users []auth.User
	for _, u := range []auth.User{{ID: "sup", Name: "Sue", Role: api.RoleSupervisor, Team: "north"}, {ID: "far", Role: api.RoleSupervisor, Team: "south"},
		{ID: "comp", Role: api.RoleCompliance}} {
		h, err := auth.HashPassword("password-" + u.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.Password = h
		users = append(users, u)
	}
	s, base, dir := startStoreHub(t, func(c *Config) {
		c.Store.IdentityFile = keyPath
		c.Teams = []auth.Team{{Name: "north"}, {Name: "north-east", Parent: "north"}, {Name: "south"}}
		c.Users = users
		c.Agents[0].Team, c.Agents[2].Team = "north", "south" // ada, alan
		c.Access.ReasonRequired = []string{api.RoleCompliance}
	})
	t0 := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	chat, id := "w-1", "w-1-auto-1"
	b := &store.Batch{Chats: []store.Chat{{ID: chat, Seq: 1, Name: "Bea", Contact: "bea", Queue: "general", State: session.Done, Agent: "ada", Created: t0}}}
	for i, l := range []struct {
		from, name, text string
		at               time.Duration
	}{{"agent", "Ada", "Hello, how can I help?", 2 * time.Second}, {"customer", "Bea", "My parcel is late", 5 * time.Second},
		{"agent", "Ada", "Let me check the tracking number", 13 * time.Second}, {"customer", "Bea", "Thank you, that is all", 17 * time.Second}} {
		b.Lines = append(b.Lines, store.Line{Chat: chat, MessageData: session.MessageData{ID: int64(i + 1), From: l.from, Name: l.name, Text: l.text, At: t0.Add(l.at)}})
		b.Took = append(b.Took, store.Took{Chat: chat, Recording: id, Line: int64(i + 1)})
	}
	b.Recordings = []store.Recording{{ID: id, Interaction: chat, Queue: "general", Customer: "Bea", Agent: "ada", Kind: "auto", State: "final",
		Delivery: "store", Screen: true, Produced: true, FinishedAt: t0.Add(20 * time.Second),
		Parts: []session.Part{{Start: t0, End: t0.Add(20 * time.Second), Pauses: []session.Span{{From: t0.Add(8 * time.Second), To: t0.Add(11 * time.Second)}}}},
		Log:   []session.RecChange{{At: t0.Add(8 * time.Second), Op: "pause", From: "on", To: "paused", By: session.Actor{Role: "agent", ID: "ada"}}}}}
	ctx := context.Background()
	if err := s.Store().Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	plain := screenVoiceWebM(t)
	sealed := ageFile(t, ageID, plain)
	path := "web/" + chat + ".webm.age"
	if err := os.MkdirAll(filepath.Join(dir, "files", "web"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "files", filepath.FromSlash(path)), sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &store.File{Name: chat + ".webm.age", Path: path, SHA256: sha256Hex(sealed), Size: int64(len(sealed)), Interaction: chat,
		Recording: id, Agent: "ada", Kind: "auto", Encrypted: true}
	if err := s.Store().PutFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	return s, base, plain
}

// TestWebAppMediaRange_R_V8: the web app's media URL on a real hub, with
// the session cookie: a compliance officer (reason code required) gets
// 403 until they give one; then a range from the middle of the sealed
// recording comes back as exactly those bytes of the plaintext, and the
// play is in the store's access log with its reason. Without a session,
// the media is not served.
func TestWebAppMediaRange_R_V8(t *testing.T) {
	s, base, plain := appHubMedia(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	get := func(u string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+u, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
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
		return resp, b
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	media := "/app/recordings/w-1-auto-1/media"
	if resp, _ := get(media); resp.Request.URL.Path != "/app/login" {
		t.Fatalf("media without a session led to %s, want the log-in", resp.Request.URL)
	}
	_, page := get("/app/login")
	resp, err := c.PostForm(base+"/app/login", url.Values{"csrf": {token.FindStringSubmatch(string(page))[1]}, "user": {"comp"}, "password": {"password-comp"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, page = get("/app/recordings/w-1-auto-1")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`id="reason-form"`)) {
		t.Fatalf("compliance's page: %s, want the reason form", resp.Status)
	}
	if resp, _ := get(media); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("media before the reason: %s, want 403", resp.Status)
	}
	resp, err = c.PostForm(base+"/app/recordings/w-1-auto-1/reason", url.Values{"csrf": {token.FindStringSubmatch(string(page))[1]}, "reason": {"audit 2026-77"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	from, to := len(plain)/2, len(plain)/2+99_999
	resp, body := get(media, "Range", fmt.Sprintf("bytes=%d-%d", from, to))
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, plain[from:to+1]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", from, to, len(plain)) {
		t.Fatalf("range %d-%d: %s %q, %d bytes, equal %v", from, to, resp.Status, resp.Header.Get("Content-Range"), len(body), bytes.Equal(body, plain[from:to+1]))
	}
	acc, err := s.Store().Accesses(context.Background(), store.AccessFilter{User: "comp", Action: store.ActionPlay})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, a := range acc.Accesses {
		outcomes = append(outcomes, a.Outcome+":"+a.Reason)
	}
	slices.Sort(outcomes)
	if !slices.Equal(outcomes, []string{"denied:", "ok:audit 2026-77"}) {
		t.Fatalf("compliance's plays in the access log: %v", outcomes)
	}
}

// TestBrowserWebApp_R_V8 drives the web app on a real hub (issue 12
// points 2, 4, 5) in headless Chromium: the hub's security headers and
// CSP cover /app/ and its pages break none of it; a supervisor logs in,
// finds ada's recording by agent and by a word, opens it and plays the
// decrypted WebM, a click on a transcript line seeks there, the pause is
// drawn as a chapter; the supervisor of another team gets the clear 404 on
// the same deep link (R-V8); a form post without the token is refused;
// log out.
func TestBrowserWebApp_R_V8(t *testing.T) {
	path := chromium(t)
	s, base := appHub(t)
	for _, p := range []string{"/app/login", "/app/static/player.js", "/app/"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: the hub's security headers are missing: %v", p, resp.Header)
		}
	}
	ctx := browser(t, path)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 860)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		browsertest.RecordCSP(),
		chromedp.Navigate(base+"/app/"),
		appLogin("sup"),
		chromedp.WaitVisible(chromedp.CSS("#search-form")),
		chromedp.SendKeys(chromedp.CSS("#f-agent"), "ada"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(`//table[@id="results"]//td[normalize-space()="Bea"]`),
		chromedp.Clear(chromedp.CSS("#f-agent")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "tracking"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(`//input[@id="f-q" and @value="tracking"]`),
		chromedp.WaitVisible(`//table[@id="results"]//a[@href="/app/recordings/w-1-auto-1"]`),
		chromedp.Click(chromedp.CSS("a.open")),
		chromedp.WaitVisible(chromedp.CSS("#video")),
	); err != nil {
		t.Fatalf("log in, search, open: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const v = document.querySelector('#video'); v.muted = true; v.play(); return true; })()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#video').currentTime > 1`, chromedp.WithPollingTimeout(20*time.Second)),
	); err != nil {
		e, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('#video').error ? document.querySelector('#video').error.code : 0`))
		t.Fatalf("the decrypted recording did not play (media error %d): %v", e, err)
	}
	browsertest.Screenshot(t, ctx, "hub-recording")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#transcript .line[data-t="13"]`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#video').seeking && Math.abs(document.querySelector('#video').currentTime - 13) < 0.5`,
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("a click on the line at 13 s did not seek there: %v", err)
	}
	cur, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#video').currentTime`))
	if err != nil || math.Abs(cur-13) >= 0.5 {
		t.Fatalf("currentTime %v after the click on the line at 13 s: %v", cur, err)
	}
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#timeline rect.chapter.pause').getBoundingClientRect().width`)); err != nil || w < 10 {
		t.Fatalf("the pause is not drawn on the timeline: %v %v", w, err)
	}
	// A bookmark and a saved search land in the store; the dashboard draws.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#video').pause()`),
		chromedp.SendKeys(chromedp.CSS("#bookmark-comment"), "checks the tracking number"),
		chromedp.Click(chromedp.CSS("#bookmark-add")),
		chromedp.WaitVisible(`//ul[@class="bookmarks"]/li[contains(., "checks the tracking number")]`),
		chromedp.Navigate(base+"/app/recordings?agent=ada"),
		chromedp.SendKeys(chromedp.CSS("#save-name"), "ada's"),
		chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(`//ul[@id="saved"]//a[normalize-space()="ada's"]`),
	); err != nil {
		t.Fatalf("bookmark, saved search: %v", err)
	}
	browsertest.Screenshot(t, ctx, "hub-search")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/dashboard"), chromedp.WaitVisible(chromedp.CSS("#chart-coverage"))); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	browsertest.Screenshot(t, ctx, "hub-dashboard")
	ctxb := context.Background()
	if bs, err := s.Store().Bookmarks(ctxb, "w-1-auto-1"); err != nil || len(bs) != 1 || bs[0].User != "sup" || (bs[0].Offset-13*time.Second).Abs() > time.Second {
		t.Fatalf("the bookmark in the store: %+v %v", bs, err)
	}
	if ss, err := s.Store().SavedSearches(ctxb, "sup"); err != nil || len(ss) != 1 || ss[0].Query != "agent=ada" {
		t.Fatalf("the saved search in the store: %+v %v", ss, err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/app/searches', {method: 'POST', body: new URLSearchParams({name: 'x'})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusForbidden {
		t.Fatalf("a post without the token: %d %v, want 403", status, err)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`)); err != nil || len(v) != 0 {
		t.Fatalf("CSP violations on the web app: %v %v", v, err)
	}
	// Another team's supervisor: the same link is the clear 404 (R-V8).
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.Navigate(base+"/app/recordings/w-1-auto-1#t=13"), appLogin("far"), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatalf("forbidden deep link: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message"))); err != nil || msg != "No such recording, or not yours to see." {
		t.Fatalf("forbidden deep link: %q %v", msg, err)
	}
	// Every access is in the store's log (point 8, R-V9).
	page, err := s.Store().Accesses(ctxb, store.AccessFilter{Recording: "w-1-auto-1"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range page.Accesses {
		got[a.User+" "+a.Action+" "+a.Outcome] = true
	}
	for _, want := range []string{"sup view ok", "sup play ok", "far view not_found"} {
		if !got[want] {
			t.Errorf("the access log lacks %q: %v", want, got)
		}
	}
	resp, err := http.Get(base + "/app/recordings/w-1-auto-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/app/login" {
		t.Fatalf("not logged in, the recording page led to %s, want the log-in page", resp.Request.URL)
	}
}

// appLogin logs user in on the web app's log-in form (the tests' users have
// the password "password-" + their id).
func appLogin(user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#user"), user), chromedp.SendKeys(chromedp.CSS("#password"), "password-"+user),
		chromedp.Click(chromedp.CSS("#login")))
}
