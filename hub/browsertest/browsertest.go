// Package browsertest runs headless Chromium (through chromedp) for tests:
// the hub's pages and its recordings played in a <video> element. It is
// shared by the hub's tests and the desktop's end-to-end tests.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ErrNoPlayback is returned by PlayVideo when the video did not reach the
// time asked for before the timeout.
var ErrNoPlayback = errors.New("browsertest: the video did not play")

// Path finds the Chromium binary. Without one the test fails when the
// environment variable CI is set (make test installs it) and skips, with
// the reason, elsewhere.
func Path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is missing: run .ci/deps.sh (apt-get install chromium)")
	}
	t.Skip("chromium is missing; install it (apt-get install chromium) to run the browser test")
	return ""
}

// New starts headless Chromium at path for one test and returns its
// context (bounded to a minute); the browser ends with the test.
func New(t testing.TB, path string) context.Context {
	t.Helper()
	return start(t, path)
}

// NewTrusting is New with a browser that trusts the certificate authority
// in caFile (PEM) for TLS, as a company's own CA is trusted: it is added to
// an NSS database (Debian libnss3-tools' certutil) in a home folder of the
// browser's own. Without certutil the test fails when CI is set and skips
// elsewhere.
func NewTrusting(t testing.TB, path, caFile string) context.Context {
	t.Helper()
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("certutil is missing: run .ci/deps.sh (apt-get install libnss3-tools)")
		}
		t.Skip("certutil is missing; install libnss3-tools to run the TLS browser test")
	}
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-d", "sql:" + db, "-N", "--empty-password"},
		{"-d", "sql:" + db, "-A", "-t", "C,,", "-n", "agentdesk test CA", "-i", caFile},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return start(t, path, chromedp.Env("HOME="+home))
}

func start(t testing.TB, path string, extra ...chromedp.ExecAllocatorOption) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	opts = append(opts, extra...)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Playback is what a <video> element reported.
type Playback struct {
	CurrentTime float64 // seconds played
	Duration    float64 // the length the element knows, -1 while unknown
	VideoWidth  int     // 0 for audio alone
	VideoHeight int
	ErrorCode   int    // MediaError.code, 0 for none (4: source not supported)
	Error       string // the element's or play()'s error in words, "" for none
}

// PlayVideo opens page (a page of the media's origin: from about:blank
// Chromium's private network access rules refuse loopback requests),
// plays src muted in a new <video> element and waits until currentTime
// passes past seconds or the element reports an error. It returns what the
// element reported; ErrNoPlayback when neither happened within timeout.
func PlayVideo(ctx context.Context, page, src string, past float64, timeout time.Duration) (Playback, error) {
	start := `(() => { const v = document.createElement('video'); v.muted = true; v.src = ` + strconv.Quote(src) + `;
		document.body.appendChild(v); v.play().catch(e => { window.playErr = String(e); }); return true; })()`
	cond := `document.querySelector('video').currentTime > ` + strconv.FormatFloat(past, 'f', -1, 64) +
		` || document.querySelector('video').error !== null`
	err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.Evaluate[chromedp.Void](start),
		chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(timeout)))
	if err != nil && !errors.Is(err, chromedp.ErrPollingTimeout) {
		return Playback{}, fmt.Errorf("browsertest: play %s: %w", src, err)
	}
	read := `(() => { const v = document.querySelector('video');
		return {CurrentTime: v.currentTime, Duration: isFinite(v.duration) ? v.duration : -1,
			VideoWidth: v.videoWidth, VideoHeight: v.videoHeight,
			ErrorCode: v.error ? v.error.code : 0,
			Error: String(window.playErr || (v.error && v.error.message) || '')}; })()`
	p, rerr := chromedp.Run(ctx, chromedp.Evaluate[Playback](read))
	if rerr != nil {
		return Playback{}, fmt.Errorf("browsertest: read the video element: %w", rerr)
	}
	if err != nil {
		return p, fmt.Errorf("%w: currentTime %.2f after %s (%s)", ErrNoPlayback, p.CurrentTime, timeout, p.Error)
	}
	return p, nil
}

// CSPRecorder is a script that collects the page's Content-Security-Policy
// violations in window.__csp; install it before any of the page's scripts
// runs (page.AddScriptToEvaluateOnNewDocument).
const CSPRecorder = `window.__csp = []; document.addEventListener('securitypolicyviolation',
	e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

// RecordCSP installs CSPRecorder in the tab, before any page's scripts.
func RecordCSP() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: CSPRecorder})
		return err
	})
}

// Screenshot saves the whole page as name.png in $WEBAPP_SCREENSHOTS, when
// that is set: to look at what the tests drew.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("WEBAPP_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
