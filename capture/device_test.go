package capture_test

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/tone"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/webm"
	"github.com/agentdesk/agentdesk/capture/x11"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (make deps)", name)
		}
		t.Skipf("%s not installed (make deps)", name)
	}
}

// devRig is a wall-clock recording of real devices into a real spool.
type devRig struct {
	t     *testing.T
	path  string
	sp    *spool.Writer
	rec   *capture.Recording
	ticks chan time.Duration
	w, h  int
}

func startDevRig(t *testing.T, scr capture.Screen, mic capture.Mic, aenc capture.AudioEncoder, preSkip int, fps int) *devRig {
	t.Helper()
	return startDevRigClock(t, scr, mic, aenc, preSkip, fps, nil)
}

// startDevRigClock is startDevRig on a given media clock (nil: its own).
func startDevRigClock(t *testing.T, scr capture.Screen, mic capture.Mic, aenc capture.AudioEncoder, preSkip int, fps int, clock capture.Clock) *devRig {
	t.Helper()
	g := &devRig{t: t, path: filepath.Join(t.TempDir(), "rec.spool"), ticks: make(chan time.Duration, 100000)}
	g.w, g.h = scr.Size()
	venc, err := vpx.NewEncoder(vpx.Options{Width: g.w, Height: g.h, FPS: fps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { venc.Close() })
	h := spool.Header{VideoCodec: "V_VP8", Width: g.w, Height: g.h, FPS: fps, Started: time.Now().UTC()}
	enc := capture.Encoders{Video: venc}
	src := capture.Sources{Screen: scr}
	if mic != nil {
		h.AudioCodec, h.SampleRate, h.Channels, h.PreSkip = "A_OPUS", mic.SampleRate(), 1, preSkip
		enc.Audio, src.Mic = aenc, mic
	}
	if g.sp, err = spool.Create(g.path, h, spool.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg := capture.Config{FPS: fps, Clock: clock, CalibrateMic: true, OnFrame: func(pts time.Duration) { g.ticks <- pts }}
	if g.rec, err = capture.Start(t.Context(), cfg, src, enc, g.sp); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.rec.Stop(); g.sp.Close() })
	return g
}

// waitTick waits until the recorder has handled the tick at pts.
func (g *devRig) waitTick(pts time.Duration) {
	g.t.Helper()
	timeout := time.After(pts + 30*time.Second)
	for {
		select {
		case got := <-g.ticks:
			if got >= pts {
				return
			}
		case <-timeout:
			g.t.Fatalf("tick %v never came", pts)
		}
	}
}

// finish stops the recording and writes the WebM; it returns its path
// and the marks.
func (g *devRig) finish() (string, []capture.Mark) {
	g.t.Helper()
	if err := g.rec.Stop(); err != nil {
		g.t.Fatal(err)
	}
	if err := g.sp.Close(); err != nil {
		g.t.Fatal(err)
	}
	r, err := spool.Recover(g.path)
	if err != nil {
		g.t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(g.t.TempDir(), "rec.webm")
	f, err := os.Create(out)
	if err != nil {
		g.t.Fatal(err)
	}
	if err := webm.Write(f, r, webm.Meta{}); err != nil {
		g.t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		g.t.Fatal(err)
	}
	return out, r.Marks
}

// decodeVideo decodes the WebM's video at a constant rate (held frames
// repeated) into RGB frames: frame i shows media time i/fps.
func decodeVideo(t *testing.T, path string, w, h, fps int) [][]byte {
	t.Helper()
	needTool(t, "ffmpeg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v", "-vf", "fps="+itoa(fps)+":start_time=0",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg video decode: %v", err)
	}
	n := w * h * 3
	var frames [][]byte
	for len(out) >= n {
		frames = append(frames, out[:n])
		out = out[n:]
	}
	return frames
}

// decodeAudio decodes the WebM's audio to 48 kHz mono samples on the
// same timeline as decodeVideo: sample i is at i/48000 s.
func decodeAudio(t *testing.T, path string) []int16 {
	t.Helper()
	needTool(t, "ffmpeg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:a", "-af", "aresample=first_pts=0", "-f", "s16le", "-ac", "1", "-ar", "48000", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg audio decode: %v", err)
	}
	s := make([]int16, len(out)/2)
	binary.Read(bytes.NewReader(out), binary.LittleEndian, s)
	return s
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

// rgbAt is the pixel (x, y) of an RGB frame w wide.
func rgbAt(f []byte, w, x, y int) [3]int {
	i := (y*w + x) * 3
	return [3]int{int(f[i]), int(f[i+1]), int(f[i+2])}
}

func near(got [3]int, r, g, b uint8, tol int) bool {
	d := func(a int, b uint8) int { return max(a-int(b), int(b)-a) }
	return d(got[0], r) <= tol && d(got[1], g) <= tol && d(got[2], b) <= tol
}

// Issue 5 "Proof in CI": a recording of a changing Xvfb screen with a
// voice; the decoded frames show the screen's colours at known places, the
// pause is slated and silent, within one frame interval, with the right
// length (R-G4, R-G5, R-V2).
func TestRealScreenRecording(t *testing.T) {
	needTool(t, "ffprobe")
	d := xvfb.Start(t, 320, 240)
	fill := func(c color.RGBA) {
		t.Helper()
		if err := d.Fill(c); err != nil {
			t.Fatal(err)
		}
		if err := d.FillRect(0, 0, 80, 60, color.RGBA{0, 255, 0, 255}); err != nil { // a green corner
			t.Fatal(err)
		}
	}
	red, blue := color.RGBA{220, 20, 20, 255}, color.RGBA{20, 20, 220, 255}
	fill(red)
	scr, err := x11.Open(d.Name(), x11.Options{FPS: 5})
	if err != nil {
		t.Fatal(err)
	}
	mic, aenc, preSkip := openVoice(t)
	g := startDevRig(t, scr, mic, aenc, preSkip, 5)
	g.waitTick(time.Second)
	fill(blue)
	g.waitTick(2 * time.Second)
	if err := g.rec.Pause(); err != nil {
		t.Fatal(err)
	}
	g.waitTick(3 * time.Second)
	if err := g.rec.Resume(); err != nil {
		t.Fatal(err)
	}
	g.waitTick(4 * time.Second)
	path, marks := g.finish()
	var pause, resume time.Duration
	for _, m := range marks {
		switch m.Kind {
		case capture.MarkPause:
			pause = m.PTS
		case capture.MarkResume:
			resume = m.PTS
		}
	}
	if pause < 2*time.Second || resume-pause < 800*time.Millisecond {
		t.Fatalf("marks %+v", marks)
	}

	const fps = 20
	frames := decodeVideo(t, path, 320, 240, fps)
	if len(frames) < 3*fps {
		t.Fatalf("%d frames decoded", len(frames))
	}
	at := func(sec float64) []byte { return frames[int(sec*fps)] }
	for _, c := range []struct {
		sec     float64
		r, g, b uint8
		what    string
	}{
		{0.5, 220, 20, 20, "red screen"},
		{1.6, 20, 20, 220, "blue screen"},
		{3.6, 20, 20, 220, "blue screen after resume"},
	} {
		if got := rgbAt(at(c.sec), 320, 200, 150); !near(got, c.r, c.g, c.b, 40) {
			t.Errorf("%.1f s: centre %v, want the %s", c.sec, got, c.what)
		}
		if got := rgbAt(at(c.sec), 320, 20, 20); !near(got, 0, 255, 0, 40) {
			t.Errorf("%.1f s: corner %v, want green", c.sec, got)
		}
	}
	// The slate: first and last frame showing it.
	band := capture.SlateBand()
	first, last := -1, -1
	for i, f := range frames {
		if near(rgbAt(f, 320, 160, 120), band[0], band[1], band[2], 40) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	iv := 200 * time.Millisecond
	slateFrom, slateTo := time.Duration(first)*time.Second/fps, time.Duration(last+1)*time.Second/fps
	t.Logf("pause %v..%v; slate %v..%v", pause, resume, slateFrom, slateTo)
	if first < 0 || slateFrom < pause || slateFrom-pause > iv+time.Second/fps {
		t.Fatalf("slate from %v, pause at %v: not within one frame interval", slateFrom, pause)
	}
	if l := slateTo - slateFrom; l < resume-pause-iv || l > resume-pause+iv {
		t.Fatalf("slate lasts %v, the pause %v", l, resume-pause)
	}
	if mic != nil {
		checkPausedVoice(t, decodeAudio(t, path), pause, resume)
	}
}

// checkPausedVoice: the tone before and after, silence for the pause's
// length from its start (within one frame interval).
func checkPausedVoice(t *testing.T, s []int16, pause, resume time.Duration) {
	t.Helper()
	idx := func(d time.Duration) int { return int(d * 48000 / time.Second) }
	before := s[idx(500*time.Millisecond):idx(1500*time.Millisecond)]
	if f, _ := tone.Peak(before, 48000, 100, 4000); f < 430 || f > 450 {
		t.Fatalf("voice before the pause peaks at %.1f Hz, want 440", f)
	}
	// The silent run around the pause.
	const win = 480 // 10 ms
	from, to := -1, -1
	for i := idx(pause - 500*time.Millisecond); i+win <= idx(resume+500*time.Millisecond) && i+win <= len(s); i += win {
		quiet := tone.Total(s[i:i+win]) < 1e-4
		if quiet && from < 0 {
			from = i
		}
		if quiet {
			to = i + win
		}
	}
	silentFrom, silentTo := time.Duration(from)*time.Second/48000, time.Duration(to)*time.Second/48000
	t.Logf("silence %v..%v", silentFrom, silentTo)
	if from < 0 || (silentFrom-pause).Abs() > 200*time.Millisecond || ((silentTo-silentFrom)-(resume-pause)).Abs() > 200*time.Millisecond {
		t.Fatalf("silence %v..%v for a pause %v..%v", silentFrom, silentTo, pause, resume)
	}
	after := s[idx(resume+200*time.Millisecond):idx(resume+700*time.Millisecond)]
	if f, _ := tone.Peak(after, 48000, 100, 4000); f < 430 || f > 450 {
		t.Fatalf("voice after the pause peaks at %.1f Hz", f)
	}
}
