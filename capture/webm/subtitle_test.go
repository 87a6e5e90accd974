package webm_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
)

// srt extracts the subtitle track of path as SRT text with ffmpeg.
func srt(t *testing.T, path string) string {
	t.Helper()
	needTool(t, "ffmpeg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:s:0", "-f", "srt", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg srt %s: %v", path, err)
	}
	return string(out)
}

type cue struct {
	from, to time.Duration
	text     string
}

// cues parses SRT text.
func cues(t *testing.T, s string) []cue {
	t.Helper()
	var out []cue
	for _, block := range strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r", "")), "\n\n") {
		lines := strings.Split(block, "\n")
		if len(lines) < 3 {
			t.Fatalf("srt block %q", block)
		}
		var h1, m1, s1, ms1, h2, m2, s2, ms2 int
		if _, err := fmt.Sscanf(lines[1], "%d:%d:%d,%d --> %d:%d:%d,%d", &h1, &m1, &s1, &ms1, &h2, &m2, &s2, &ms2); err != nil {
			t.Fatalf("srt time %q: %v", lines[1], err)
		}
		at := func(h, m, s, ms int) time.Duration {
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(ms)*time.Millisecond
		}
		out = append(out, cue{at(h1, m1, s1, ms1), at(h2, m2, s2, ms2), strings.Join(lines[2:], "\n")})
	}
	return out
}

func writeFile(t *testing.T, rec *spool.Recording, meta webm.Meta) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.webm")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := webm.Write(f, rec, meta); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// The recorded chat transcript is a subtitle track beside screen and
// voice, each line at its media time (issue 6 point 1, R-C5); without a
// screen flag (R-V1) the video track is left out.
func TestSubtitleTrack(t *testing.T) {
	subs := []webm.Subtitle{
		{At: 4500 * time.Millisecond, Text: "Bob: thanks"},
		{At: 500 * time.Millisecond, Text: "Ada: hello, how can I help?"},
		{At: 1200 * time.Millisecond, Duration: 2 * time.Second, Text: "Bob: my order is late"},
	}
	cases := []struct {
		name    string
		noVideo bool
		streams []string
	}{
		{"screen voice and transcript", false, []string{"vp8", "opus", "subrip"}},
		{"voice and transcript (R-V1 no screen)", true, []string{"opus", "subrip"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, fakeSpool(t, 6), webm.Meta{NoVideo: tc.noVideo, Subtitles: subs})
			p := ffprobe(t, path)
			var got []string
			for _, s := range p.Streams {
				got = append(got, s.CodecName)
			}
			if strings.Join(got, ",") != strings.Join(tc.streams, ",") {
				t.Fatalf("streams %v, want %v", got, tc.streams)
			}
			got2 := cues(t, srt(t, path))
			want := []cue{
				{500 * time.Millisecond, 1200 * time.Millisecond, "Ada: hello, how can I help?"},
				{1200 * time.Millisecond, 3200 * time.Millisecond, "Bob: my order is late"},
				{4500 * time.Millisecond, 9500 * time.Millisecond, "Bob: thanks"},
			}
			if len(got2) != len(want) {
				t.Fatalf("cues %+v, want %+v", got2, want)
			}
			// ffmpeg shifts the file's start by the Opus codec delay
			// (312 samples, 6.5 ms): allow 10 ms.
			near := func(a, b time.Duration) bool { return (a - b).Abs() <= 10*time.Millisecond }
			for i, w := range want {
				if g := got2[i]; g.text != w.text || !near(g.from, w.from) || !near(g.to, w.to) {
					t.Errorf("cue %d: %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// A recording without screen and voice still gets its file: the
// transcript track alone (issue 6 point 1).
func TestTranscriptOnly(t *testing.T) {
	dir := t.TempDir()
	w, err := spool.Create(filepath.Join(dir, "e.spool"), spool.Header{Started: time.Now()}, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	rec, err := spool.Recover(filepath.Join(dir, "e.spool"))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if err := webm.Write(&bytes.Buffer{}, rec, webm.Meta{}); err != webm.ErrEmpty {
		t.Fatalf("no media, no lines: err %v, want ErrEmpty", err)
	}
	path := writeFile(t, rec, webm.Meta{Subtitles: []webm.Subtitle{{At: time.Second, Text: "only words"}, {At: 3 * time.Second, Text: "more words"}}})
	p := ffprobe(t, path)
	if len(p.Streams) != 1 || p.Streams[0].CodecType != "subtitle" {
		t.Fatalf("streams %+v", p.Streams)
	}
	if text := srt(t, path); !strings.Contains(text, "only words") || !strings.Contains(text, "more words") {
		t.Fatalf("srt %q", text)
	}
}
