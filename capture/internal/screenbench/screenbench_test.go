package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	cases := []struct {
		name string
		line string
		want time.Duration
		err  error
	}{
		{"plain", "42 (Xvfb) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0", 3 * time.Second, nil},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, nil},
		{"short", "7 (x) R 1 2", 0, errStat},
		{"no name", "garbage", 0, errStat},
		{"not numbers", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a b 0 0", 0, errStat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStat(c.line)
			if !errors.Is(err, c.err) || got != c.want {
				t.Errorf("parseStat = %v, %v; want %v, %v", got, err, c.want, c.err)
			}
		})
	}
}

// TestPeersRecordTheMic: issue 5 asks each recorder with the microphone,
// so every ffmpeg peer reads PulseAudio and encodes Opus beside its video.
func TestPeersRecordTheMic(t *testing.T) {
	for _, name := range strings.Split(defaultCases, ",")[1:] {
		peer, ext, ok := peerArgs(name)
		if !ok {
			t.Fatalf("%s: no peer", name)
		}
		args := strings.Join(ffmpegArgs(peer, ":9", 1280, 720, 5, 60, "/tmp/out"+ext), " ")
		for _, want := range []string{"-f x11grab", "-f pulse -i default", "-c:a libopus", "-framerate 5", "-video_size 1280x720", "-t 60.000", "/tmp/out" + ext} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: %q lacks %q", name, args, want)
			}
		}
		if strings.Contains(name, "x264") && !strings.Contains(args, "-tune stillimage") {
			t.Errorf("%s: not -tune stillimage", name)
		}
	}
	if _, _, ok := peerArgs("ffmpeg-nothing"); ok {
		t.Error("an unknown peer is known")
	}
}

func TestAgentRecordsTheMic(t *testing.T) {
	rec, comb, spool, webm := agentArgs("/d", ":9", 5, 60)
	if !slices.Contains(rec, "--mic") || slices.Contains(rec, "--no-mic") || slices.Contains(rec, "--synthetic") {
		t.Errorf("record %q does not record the real mic", rec)
	}
	if rec[0] != "record" || comb[0] != "recover" || !slices.Contains(comb, spool) || !slices.Contains(comb, webm) {
		t.Errorf("record %q, combine %q", rec, comb)
	}
}

func TestLumaPSNR(t *testing.T) {
	a := []byte{10, 20, 30, 40}
	if p := lumaPSNR(a, a); p != 99 {
		t.Errorf("identical: %.1f dB, want 99", p)
	}
	b := []byte{11, 20, 30, 40} // MSE 1/4: 10*log10(255*255*4) = 54.2 dB
	if p := lumaPSNR(a, b); p < 54.1 || p > 54.2 {
		t.Errorf("one step off: %.2f dB, want 54.15", p)
	}
	if p := lumaPSNR(a, a[:2]); p != 0 {
		t.Errorf("different lengths: %.1f dB, want 0", p)
	}
}

func TestPerMin(t *testing.T) {
	if got := perMin(3*time.Second, 30*time.Second); got != 6 {
		t.Errorf("3 s over 30 s: %v per minute, want 6", got)
	}
}
