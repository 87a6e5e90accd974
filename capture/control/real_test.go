package control_test

import (
	"image/color"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/session"
)

// TestRealDevices_R_V2: the controller on the real adapters, an Xvfb
// screen and PortAudio fed by PulseAudio's sine source: a chat recorded,
// paused, ended and done gives one file with VP8 video of the screen's
// size, Opus voice and the transcript (R-V1, R-V2, R-V4).
func TestRealDevices_R_V2(t *testing.T) {
	needTool(t, "ffprobe")
	d := xvfb.Start(t, 320, 240)
	if err := d.Fill(color.RGBA{20, 20, 220, 255}); err != nil {
		t.Fatal(err)
	}
	pulse.Start(t)
	r := newRig(t, devices.Real{Display: d.Name()}, "")
	r.open("c1")
	r.rec("c1", "recording", true, "")
	st := r.waitStatus("c1", "capturing", func(s control.Status) bool { return s.Active })
	if !st.Screen || !st.Voice || st.Note != "" {
		t.Fatalf("real devices: %+v", st)
	}
	r.say("c1", "real line", true)
	r.media("c1", 1500e6)
	r.rec("c1", "paused", true, "")
	r.media("c1", 500e6)
	r.rec("c1", "recording", true, "")
	r.media("c1", 500e6)
	r.state("c1", session.ACW)
	r.waitStatus("c1", "voice stopped", func(s control.Status) bool { return s.VoiceStopped })
	streams, srt, file := r.finish("c1", true)
	if streams != "vp8,opus,subrip" || !strings.Contains(srt, "Ada: real line") {
		t.Fatalf("streams %s, subtitles %q", streams, srt)
	}
	p, _ := ffprobe(t, filepath.Join(r.q.dir, file))
	if dur, err := strconv.ParseFloat(p.Format.Duration, 64); err != nil || dur < 2.4 {
		t.Fatalf("duration %s, want at least 2.5 s", p.Format.Duration)
	}
}
