package hub

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/browsertest"
)

// testWebM makes a 4 s VP8 WebM with ffmpeg (testsrc pattern). capture/webm
// needs encoded packets from the cgo VP8 encoder, which the hub's tests do
// not link; ffmpeg makes the same kind of file.
func testWebM(t *testing.T) []byte {
	t.Helper()
	return ffmpegWebM(t, "-f", "lavfi", "-i", "testsrc=duration=4:size=320x240:rate=15",
		"-c:v", "libvpx", "-b:v", "300k", "-deadline", "realtime")
}

// ffmpegWebM runs ffmpeg with the inputs and codecs of args and returns
// the WebM it wrote. Without ffmpeg the test fails under CI and skips
// elsewhere.
func ffmpegWebM(t *testing.T, args ...string) []byte {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is missing: run .ci/deps.sh")
		}
		t.Skip("ffmpeg is missing; install it to run this test")
	}
	out := filepath.Join(t.TempDir(), "rec.webm")
	cmd := exec.Command(ff, append(append([]string{"-loglevel", "error"}, args...), "-f", "webm", out)...) // #nosec G204 -- the test's own arguments
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
	fid := uploadFile(t, ctx, base, "t-ada", "2026-11-21_090507_general_ada_c-1_record_r1.webm.age", ageFile(t, id, webm))

	bctx := browser(t, path)
	page := base + "/healthz"
	src := base + "/v1/files/" + fid + "?decrypt=1&access_token=t-sue"
	p, err := browsertest.PlayVideo(bctx, page, src, 1.0, 30*time.Second)
	if err != nil || p.CurrentTime <= 1.0 || p.VideoWidth != 320 || p.ErrorCode != 0 {
		t.Fatalf("playback %+v, %v: the decrypted recording did not play", p, err)
	}
	t.Logf("decrypted WebM (%d bytes) played to %.2f s", len(webm), p.CurrentTime)

	// The sealed bytes are no WebM: the element reports an error.
	sealed := base + "/v1/files/" + fid + "?access_token=t-sue"
	p, err = browsertest.PlayVideo(bctx, page, sealed, 1.0, 30*time.Second)
	if err != nil || p.ErrorCode != 4 { // MEDIA_ERR_SRC_NOT_SUPPORTED
		t.Fatalf("sealed file: %+v %v, want media error 4", p, err)
	}
}
