package webm_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/asciicast"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
)

// termSpool is a spool of one second of video and a text desktop drawn
// twice.
func termSpool(t *testing.T) *spool.Recording {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.spool")
	w, err := spool.Create(path, spool.Header{VideoCodec: "V_VP8", Width: 64, Height: 48, FPS: 5,
		Started: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)}, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	term := func(pts time.Duration, kind byte, s string) {
		if err := w.WritePacket(capture.Packet{Track: capture.TrackTerminal, PTS: pts, Key: true, Data: append([]byte{kind}, s...)}); err != nil {
			t.Fatal(err)
		}
	}
	w.WriteMark(capture.Mark{Kind: capture.MarkStart})
	for i := range 5 {
		w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: time.Duration(i) * 200 * time.Millisecond, Key: i == 0, Data: []byte{1, 2}})
	}
	term(0, capture.TermResize, "12x2")
	term(0, capture.TermOutput, "\x1b[H\x1b[2J\x1b[1;1Hagentdesk\x1b[2;1H> hi")
	term(700*time.Millisecond, capture.TermOutput, "\x1b[2;1H\x1b[2K> hello")
	w.WriteMark(capture.Mark{Kind: capture.MarkStop, PTS: time.Second})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if r.Terminal != 3 || r.Duration != 800*time.Millisecond {
		t.Fatalf("spool: %d terminal packets, media to %v; want 3 and 800ms (the text does not lengthen the media)", r.Terminal, r.Duration)
	}
	return r
}

// Issue 17 point 4: the text desktop is stored with the recording, as an
// asciicast v2 attachment of the WebM (so the manifest's checksum and the
// encryption cover it): ffmpeg lists and extracts it, and the cast
// replays to the desktop's last screen, on the recording's times.
func TestCastAttachedToTheWebM(t *testing.T) {
	needTool(t, "ffmpeg")
	rec := termSpool(t)
	path := writeFile(t, rec, webm.Meta{Title: "chat i-42"})
	out := filepath.Join(t.TempDir(), "x.cast")
	cmd := exec.Command("ffmpeg", "-v", "error", "-dump_attachment:t:0", out, "-i", path)
	cmd.Dir = t.TempDir()
	_ = cmd.Run() // ffmpeg complains that no output is given after dumping
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("ffmpeg extracted no attachment: %v", err)
	}
	defer f.Close()
	h, evs, err := asciicast.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if h.Width != 12 || h.Height != 2 || h.Title != "chat i-42" || h.Timestamp != rec.Header.Started.Unix() {
		t.Errorf("header %+v", h)
	}
	if got := asciicast.Replay(h, evs); !slices.Equal(got, []string{"agentdesk", "> hello"}) {
		t.Errorf("replays to %q", got)
	}
	if evs[len(evs)-1].Time != 700*time.Millisecond {
		t.Errorf("last event at %v, want 700ms", evs[len(evs)-1].Time)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type:stream_tags=filename,mimetype", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(probe); !strings.Contains(s, "attachment") || !strings.Contains(s, webm.CastName) || !strings.Contains(s, asciicast.MimeType) {
		t.Errorf("ffprobe: %q", s)
	}
}

// A recording stored without its screen (R-V1) leaves the text desktop
// out too.
func TestNoCastWithoutTheScreen(t *testing.T) {
	rec := termSpool(t)
	path := writeFile(t, rec, webm.Meta{NoVideo: true, Subtitles: []webm.Subtitle{{At: 0, Text: "hi"}}})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), webm.CastName) {
		t.Error("the cast is attached to a recording without screen")
	}
}

// Issue 11 point 19 with issue 17's text desktop: in a file of parts the
// cast follows the parts like the media: its events move to the file's
// time (a frame at 700 ms after a cut of 300 ms is at 400 ms).
func TestCastFollowsTheParts(t *testing.T) {
	needTool(t, "ffmpeg")
	rec := termSpool(t)
	path := writeFile(t, rec, webm.Meta{Parts: []webm.Part{{From: 0, To: 300 * time.Millisecond}, {From: 600 * time.Millisecond, To: -1}}})
	out := filepath.Join(t.TempDir(), "x.cast")
	cmd := exec.Command("ffmpeg", "-v", "error", "-dump_attachment:t:0", out, "-i", path)
	cmd.Dir = t.TempDir()
	_ = cmd.Run()
	f, err := os.Open(out)
	if err != nil {
		t.Fatalf("ffmpeg extracted no attachment: %v", err)
	}
	defer f.Close()
	h, evs, err := asciicast.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := asciicast.Replay(h, evs); !slices.Equal(got, []string{"agentdesk", "> hello"}) {
		t.Errorf("replays to %q", got)
	}
	if last := evs[len(evs)-1].Time; last != 400*time.Millisecond {
		t.Errorf("last event at %v, want 400ms (700ms less the 300ms cut)", last)
	}
}
