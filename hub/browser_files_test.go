package hub

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// testWebM makes a 4 s VP8 WebM with ffmpeg (testsrc pattern). capture/webm
// needs encoded packets from the cgo VP8 encoder, which the hub's tests do
// not link; ffmpeg makes the same kind of file. Without ffmpeg the test
// fails under CI and skips elsewhere.
func testWebM(t *testing.T) []byte {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is missing: run .ci/deps.sh")
		}
		t.Skip("ffmpeg is missing; install it to run this test")
	}
	out := filepath.Join(t.TempDir(), "rec.webm")
	cmd := exec.Command(ff, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=4:size=320x240:rate=15",
		"-c:v", "libvpx", "-b:v", "300k", "-deadline", "realtime", "-f", "webm", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrowserPlaysStoredRecording_R_V5: a WebM encrypted with age on the
// "desktop", uploaded with tus and stored, is served by the hub with
// ?decrypt=1 and plays in headless Chromium's <video>: currentTime
// advances. The sealed bytes (no decrypt=1) do not play.
func TestBrowserPlaysStoredRecording_R_V5(t *testing.T) {
	path := chromium(t)
	webm := testWebM(t)
	id, keyPath := identityFile(t)
	_, base, _ := startStoreHub(t, func(c *Config) { c.Store.IdentityFile = keyPath })
	ctx := testCtx(t, wait)
	fid := upload(t, ctx, base, "t-ada", "2026-11-21_090507_general_ada_c-1_record_r1.webm.age", ageFile(t, id, webm))

	bctx := browser(t, path)
	// The player sits on a page of the hub's own origin: from about:blank
	// Chromium's private network access rules refuse loopback requests.
	play := func(src string) string {
		return `(() => { const v = document.createElement('video'); v.muted = true; v.src = ` + "`" + src + "`" + `;
			document.body.appendChild(v); v.play().catch(e => { window.playErr = String(e); }); return true; })()`
	}
	src := base + "/v1/files/" + fid + "?decrypt=1&access_token=t-sue"
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/healthz"), chromedp.Evaluate[chromedp.Void](play(src)),
		chromedp.Poll[chromedp.Void](`document.querySelector('video').currentTime > 1.0 || document.querySelector('video').error !== null`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("playback: %v", err)
	}
	at, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector('video').currentTime`))
	if err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelector('video').videoWidth`))
	if err != nil {
		t.Fatal(err)
	}
	playErr, _ := chromedp.Run(bctx, chromedp.Evaluate[string](
		`String(window.playErr || (document.querySelector('video').error && document.querySelector('video').error.message) || '')`))
	if at <= 1.0 || width != 320 {
		t.Fatalf("currentTime %.2f, videoWidth %d, error %q: the decrypted recording did not play", at, width, playErr)
	}
	t.Logf("decrypted WebM (%d bytes) played to %.2f s", len(webm), at)

	// The sealed bytes are no WebM: the element reports an error.
	sealed := base + "/v1/files/" + fid + "?access_token=t-sue"
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/healthz"), chromedp.Evaluate[chromedp.Void](play(sealed)),
		chromedp.Poll[chromedp.Void](`document.querySelector('video').error !== null`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("sealed: %v", err)
	}
	code, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelector('video').error.code`))
	if err != nil || code != 4 { // MEDIA_ERR_SRC_NOT_SUPPORTED
		t.Fatalf("sealed file: media error %d %v, want 4", code, err)
	}
}
