package webapp

import (
	"context"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/agentdesk/agentdesk/hub/browsertest"
)

// screenAndVoice makes a WebM of secs seconds with VP8 video (ffmpeg's
// test pattern) and Opus voice (a sine), with Cues: the kind of file
// capture/webm writes, made with ffmpeg because this package's tests do
// not link the cgo encoders (as hub/browser_files_test.go does).
func screenAndVoice(t *testing.T, secs int) []byte {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is missing: run .ci/deps.sh")
		}
		t.Skip("ffmpeg is missing; install it to run this test")
	}
	out := filepath.Join(t.TempDir(), "rec.webm")
	d := (time.Duration(secs) * time.Second).String()
	cmd := exec.Command(ff, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration="+d+":size=640x360:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440:duration="+d, "-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime",
		"-c:a", "libopus", "-b:a", "24k", "-f", "webm", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hubCSP is the hub's policy (hub.ContentSecurityPolicy, hub/guard.go),
// set here so the pages are proven under it without the hub; the real
// hub's test (hub/browser_app_test.go) checks the real header.
const hubCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; media-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func withCSP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", hubCSP)
		h.ServeHTTP(w, r)
	})
}

// TestBrowserApp drives the app in headless Chromium (issue 12's proof):
// log in, search by agent and by a word, open a recording, the video
// plays, a click on a transcript line seeks there, a chapter is drawn, a
// bookmark is added in place, a forbidden deep link says so, a form post
// without the token is refused, log out; no CSP violation on the way.
func TestBrowserApp(t *testing.T) {
	path := browsertest.Path(t)
	e := newEnv(t, screenAndVoice(t, 20), withCSP)
	day := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	e.f.stats = demoStats(day, e.clock.now())
	ctx := browsertest.New(t, path)
	base := e.srv.URL
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 860),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browsertest.CSPRecorder})
			return err
		}),
		chromedp.Navigate(base+"/app/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	)
	if err != nil {
		t.Fatalf("log-in page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "1-login")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#user"), "sue"),
		chromedp.SendKeys(chromedp.CSS("#password"), "pw-sue"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#search-form")),
		chromedp.SendKeys(chromedp.CSS("#f-agent"), "ada"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(`//p[@id="count" and normalize-space()!=""]`),
	); err != nil {
		t.Fatalf("log in and search by agent: %v", err)
	}
	count, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#count")))
	if err != nil || count != "2 found" {
		t.Fatalf("search by agent: %q %v", count, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Clear(chromedp.CSS("#f-agent")),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "parcel"),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(`//p[@id="count" and normalize-space()="1 found"]`),
	); err != nil {
		t.Fatalf("search by a word: %v", err)
	}
	if cust, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results tbody tr td:nth-child(3)"))); err != nil || cust != "Bea" {
		t.Fatalf("search by a word: %q %v", cust, err)
	}

	// The recording: the video plays, a line click seeks, chapters drawn.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/app/recordings?q=parcel"),
		chromedp.Click(chromedp.CSS("a.open")),
		chromedp.WaitVisible(chromedp.CSS("#video")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#video').readyState >= 1`, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate[chromedp.Void](`(() => { const v = document.querySelector('#video'); v.muted = true; v.play(); return true; })()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#video').currentTime > 1`, chromedp.WithPollingTimeout(15*time.Second)),
	); err != nil {
		t.Fatalf("the video did not play: %v", err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#timeline rect.chapter.pause').getBoundingClientRect().width`))
	if err != nil || width < 10 {
		t.Fatalf("the pause chapter is not drawn: width %v %v", width, err)
	}
	for _, want := range []float64{13, 5} {
		sel := `#transcript .line[data-t="` + formatT(want) + `"]`
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)),
			chromedp.Poll[chromedp.Void](`Math.abs(document.querySelector('#video').currentTime - `+formatT(want)+`) < 0.5 && !document.querySelector('#video').seeking`,
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			cur, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#video').currentTime`))
			t.Fatalf("click on the line at %v s: currentTime %v: %v", want, cur, err)
		}
		cur, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#video').currentTime`))
		if math.Abs(cur-want) >= 0.5 {
			t.Fatalf("after the click on the line at %v s: currentTime %v", want, cur)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`document.querySelector('#transcript .line.current') !== null`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.SendKeys(chromedp.CSS("#bookmark-comment"), "customer asks about the parcel"),
		chromedp.Click(chromedp.CSS("#bookmark-add")),
		chromedp.WaitVisible(`//ul[@class="bookmarks"]/li[contains(., "customer asks about the parcel")]`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#video').pause()`),
	); err != nil {
		t.Fatalf("bookmark: %v", err)
	}
	if playing, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('#video').ended`)); err != nil || !playing {
		t.Errorf("the video stopped: %v", err)
	}
	browsertest.Screenshot(t, ctx, "3-recording")

	// Keyboard: → is 5 s on, ] faster, ? the help; skipping pauses.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); document.querySelector('#video').currentTime = 2`),
		chromedp.Poll[chromedp.Void](`!document.querySelector('#video').seeking`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent("]"), chromedp.KeyEvent("?"),
		chromedp.Poll[chromedp.Void](`Math.abs(document.querySelector('#video').currentTime - 7) < 0.3 && document.querySelector('#video').playbackRate === 1.25 && !document.querySelector('#help').hidden`,
			chromedp.WithPollingTimeout(5*time.Second)),
	); err != nil {
		st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify([document.querySelector('#video').currentTime, document.querySelector('#video').playbackRate, document.querySelector('#help').hidden])`))
		t.Fatalf("shortcuts: %s: %v", st, err)
	}
	browsertest.Screenshot(t, ctx, "3b-help")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#skip")),
		chromedp.Evaluate[chromedp.Void](`(() => { const v = document.querySelector('#video'); window.__seen = [];
			v.addEventListener('timeupdate', () => window.__seen.push(v.currentTime)); v.currentTime = 7.5; v.play(); return true; })()`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#video').currentTime > 11.5`, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#video').pause()`),
	); err != nil {
		t.Fatalf("skip paused stretches: %v", err)
	}
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`window.__seen`))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range seen {
		if x > 8.6 && x < 10.9 {
			t.Fatalf("played at %.2f s, inside the pause 8–11 s, with skipping on (seen %v)", x, seen)
		}
	}

	// A deep link to a moment.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/app/recordings/r-ada#t=15"),
		chromedp.Poll[chromedp.Void](`Math.abs(document.querySelector('#video').currentTime - 15) < 0.5`, chromedp.WithPollingTimeout(10*time.Second)),
	); err != nil {
		t.Fatalf("#t=15 did not seek: %v", err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/dashboard"), chromedp.WaitVisible(chromedp.CSS("#chart-coverage"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "4-dashboard")

	// Forbidden: the same clear message as unknown (R-V8).
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/recordings/r-bob-3#t=5"), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatal(err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message"))); err != nil || msg != "No such recording, or not yours to see." {
		t.Fatalf("forbidden deep link: %q %v", msg, err)
	}
	browsertest.Screenshot(t, ctx, "5-forbidden")

	// A post without the token, from the page itself, is refused.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/app/searches', {method: 'POST', body: new URLSearchParams({name: 'x', query: 'agent=ada'})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusForbidden {
		t.Fatalf("a post without the token: %d %v", status, err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
	if err != nil || len(violations) != 0 {
		t.Fatalf("CSP violations: %v %v", violations, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/"), chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form"))); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/dashboard"), chromedp.WaitVisible(chromedp.CSS("#login-form"))); err != nil {
		t.Fatalf("after log-out the dashboard is still open: %v", err)
	}
	// The admin's users page, for the eye.
	if os.Getenv("WEBAPP_SCREENSHOTS") != "" {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#user"), "root"), chromedp.SendKeys(chromedp.CSS("#password"), "pw-root"),
			chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#chart-coverage")),
			chromedp.Navigate(base+"/app/admin/users"), chromedp.WaitVisible(chromedp.CSS("#tree"))); err != nil {
			t.Fatal(err)
		}
		browsertest.Screenshot(t, ctx, "6-users")
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/recordings?queue=billing"), chromedp.WaitVisible(chromedp.CSS("#results"))); err != nil {
			t.Fatal(err)
		}
		browsertest.Screenshot(t, ctx, "2-search")
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/"), chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")),
			chromedp.SendKeys(chromedp.CSS("#user"), "quinn"), chromedp.SendKeys(chromedp.CSS("#password"), "pw-quinn"),
			chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#search-form")),
			chromedp.Navigate(base+"/app/recordings/r-ada"), chromedp.WaitVisible(chromedp.CSS("#reason-form"))); err != nil {
			t.Fatal(err)
		}
		browsertest.Screenshot(t, ctx, "7-reason")
	}
}

func formatT(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// demoStats are two weeks of figures for the dashboard.
func demoStats(from, now time.Time) Stats {
	var st Stats
	var stored int64 = 2 << 30
	for i := range 14 {
		d := from.AddDate(0, 0, i)
		n := 20 + (i*7)%13
		stored += int64(n) * 9 << 20
		ds := DayStats{Day: d, ByKind: map[string]int{"auto": n, "record": i % 4, "snip": (i + 1) % 3, "selective": i % 2},
			ByQueue: map[string]int{"general": n / 2, "billing": n / 3, "returns": n - n/2 - n/3}, Stored: stored, MustRecord: n, Recorded: n}
		if i == 9 {
			ds.Recorded = n - 2
			st.Gaps = append(st.Gaps, Gap{Day: d, Interaction: "c-4411", Agent: "bob", Cause: "declined consent"},
				Gap{Day: d, Interaction: "c-4420", Agent: "ada", Cause: "the desktop never uploaded"})
		}
		st.Days = append(st.Days, ds)
	}
	st.Backlog = []Backlog{{Desktop: "bob", Uploads: 3, Bytes: 48 << 20, Oldest: now.Add(-26 * time.Hour)},
		{Desktop: "ada", Uploads: 1, Bytes: 12 << 20, Oldest: now.Add(-40 * time.Minute)}}
	return st
}
