package capture_test

import (
	"image/color"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/capture/tone"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// EBU R37: audio may lead the picture by 40 ms at most and lag it by 60.
const (
	maxAudioLead = 40 * time.Millisecond
	maxAudioLag  = 60 * time.Millisecond
)

// decodeLuma decodes the WebM's video at 1000 fps (held frames repeated)
// scaled to 8x6 grey: frame i shows media time i ms.
func decodeLuma(t *testing.T, path string) [][]byte {
	t.Helper()
	needTool(t, "ffmpeg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v",
		"-vf", "scale=8:6,fps=1000:start_time=0", "-f", "rawvideo", "-pix_fmt", "gray", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	var frames [][]byte
	for len(out) >= 48 {
		frames = append(frames, out[:48])
		out = out[48:]
	}
	return frames
}

// Issue 5 "Proof in CI", SYNC: over 60 s the screen flips colour and a
// short tone burst goes into the microphone (a PulseAudio pipe source read
// through PortAudio) at the same instants; in the WebM the offset between
// each flip and its burst is within EBU R37 and does not drift (R-V2).
// The flips come 15 ms before a video tick so the 5 fps picture shows them
// at that tick: the ideal offset is audio leading by 15 ms.
func TestSync60s(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("60 s of wall time; run without -short (CI always runs it)")
	}
	needTool(t, "ffprobe")
	d := xvfb.Start(t, 320, 240)
	black, white := color.RGBA{0, 0, 0, 255}, color.RGBA{255, 255, 255, 255}
	if err := d.Fill(black); err != nil {
		t.Fatal(err)
	}
	srv := pulse.Start(t)
	pipe, err := srv.PipeSource(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mic, aenc, preSkip := openMic(t) // the pipe is the default source now
	scr, err := x11.Open(d.Name(), x11.Options{FPS: 5})
	if err != nil {
		t.Fatal(err)
	}
	clock := capture.NewWallClock()
	origin := time.Now().Add(-clock.Now())
	g := startDevRigClock(t, scr, mic, aenc, preSkip, 5, clock)

	const lead = 15 * time.Millisecond
	var events []time.Duration // media time of each flip and burst
	for k := range 8 {
		tick := time.Duration(4+7*k) * time.Second // on the 200 ms grid
		at := origin.Add(tick - lead)
		time.Sleep(time.Until(at.Add(-300 * time.Millisecond)))
		next, err := pipe.Play(nil) // when the next queued sample goes in
		if err != nil {
			t.Fatal(err)
		}
		pad := int(at.Sub(next).Seconds() * pulse.PipeRate)
		if pad < 0 {
			t.Fatalf("flip %d: the pipe is %v past the instant", k, -at.Sub(next))
		}
		if _, err := pipe.Play(make([]int16, pad)); err != nil {
			t.Fatal(err)
		}
		burstAt, err := pipe.Burst(1000, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(burstAt))
		c := white
		if k%2 == 1 {
			c = black
		}
		if err := d.Fill(c); err != nil {
			t.Fatal(err)
		}
		events = append(events, burstAt.Sub(origin))
	}
	g.waitTick(60 * time.Second)
	path, _ := g.finish()
	if d, ok := mic.(interface{ Dropped() int64 }); ok && d.Dropped() > 0 {
		t.Logf("the microphone dropped %d blocks (its reader fell behind)", d.Dropped())
	}

	frames := decodeLuma(t, path)
	audio := decodeAudio(t, path)
	onsets := tone.Onsets(audio, 48000, 1000, 0.1)
	if len(onsets) != len(events) {
		t.Fatalf("%d bursts found in the audio, %d made (%v)", len(onsets), len(events), onsets)
	}
	var offsets []time.Duration
	for k, ev := range events {
		// The flip in the picture: the first frame after the event whose
		// centre shows the new colour.
		wantBright := k%2 == 0
		flip := time.Duration(-1)
		for i := int(ev / time.Millisecond); i < len(frames) && i < int((ev+time.Second)/time.Millisecond); i++ {
			if (frames[i][27] > 128) == wantBright {
				flip = time.Duration(i) * time.Millisecond
				break
			}
		}
		if flip < 0 {
			t.Fatalf("flip %d at %v not seen in the video", k, ev)
		}
		off := flip - onsets[k] // positive: audio leads
		offsets = append(offsets, off)
		t.Logf("event %d at %v: video flip %v, audio burst %v (event error %v), audio leads by %v",
			k, ev.Round(time.Millisecond), flip, onsets[k].Round(time.Millisecond), (onsets[k] - ev).Round(time.Millisecond), off.Round(time.Millisecond))
		if off > maxAudioLead || off < -maxAudioLag {
			t.Errorf("event %d: audio leads by %v: outside EBU R37 (+40/-60 ms)", k, off)
		}
	}
	lo, hi := offsets[0], offsets[0]
	for _, o := range offsets {
		lo, hi = min(lo, o), max(hi, o)
	}
	if hi-lo > 30*time.Millisecond {
		t.Errorf("offsets spread %v over the minute (drift or jitter): %v", hi-lo, offsets)
	}
	if drift := offsets[len(offsets)-1] - offsets[0]; drift.Abs() > 20*time.Millisecond {
		t.Errorf("offset drifts by %v from the first event to the last", drift)
	}
}
