package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/browsertest"
	"github.com/agentdesk/agentdesk/uploader"
)

// mediaHold is how long the media scripts keep a recording on in real
// time: long enough for a <video> to play past 1 s.
const mediaHold = 4 * time.Second

// mediaScript writes a script that records a chat for hold of real time
// (a line said first, one more at the end), ends it, marks it done and
// waits in the Uploads panel until the hub confirmed the file. voice says
// whether the capture has a microphone (the MIC marker shows).
func mediaScript(t *testing.T, hold time.Duration, voice bool) string {
	t.Helper()
	mic := ""
	if voice {
		mic = "wait \"MIC\"\n"
	}
	src := fmt.Sprintf(`resize 140 30
wait "● Connected"
key y
wait "Ada Lovelace  Ready"
customer rita open
wait "rita · Alerting"
key a
wait "rita · Connected"
customer rita says "before recording"
wait "rita: before recording"
key r
wait "● REC"
%scustomer rita says "recorded first"
wait "rita: recorded first"
sleep %s
customer rita says "recorded last"
wait "rita: recorded last"
key e
wait "rita · Wrap-up"
key d
wait-gone "rita · Wrap-up"
key U
wait "Uploads"
wait "done — stored as" timeout 20s
expect-not "failed"
`, mic, hold)
	path := filepath.Join(t.TempDir(), "media.script")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mediaProbe is what ffprobe says of a file's streams, format and packets.
type mediaProbe struct {
	Streams []struct {
		Index     int    `json:"index"`
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Packets []struct {
		Stream   int    `json:"stream_index"`
		PTS      string `json:"pts_time"`
		Duration string `json:"duration_time"`
	} `json:"packets"`
}

// probeMedia runs ffprobe on path (streams, format, every packet).
func probeMedia(t *testing.T, path string) mediaProbe {
	t.Helper()
	probeWebM(t, path) // fails under CI, skips elsewhere, without the tools
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
		"-show_entries", "packet=stream_index,pts_time,duration_time", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p mediaProbe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func seconds(t *testing.T, s string) time.Duration {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		t.Fatalf("ffprobe time %q: %v", s, err)
	}
	return time.Duration(f * float64(time.Second))
}

// codecs lists the file's streams' codecs; an attachment (the text
// desktop's cast, issue 17) is "cast".
func (p mediaProbe) codecs() string {
	var c []string
	for _, s := range p.Streams {
		if s.CodecType == "attachment" {
			c = append(c, "cast")
			continue
		}
		c = append(c, s.CodecName)
	}
	return strings.Join(c, ",")
}

// types lists the file's streams' types (video, audio, subtitle).
func (p mediaProbe) types() string {
	var c []string
	for _, s := range p.Streams {
		if s.CodecType != "attachment" { // a file in the container, not a track
			c = append(c, s.CodecType)
		}
	}
	return strings.Join(c, ",")
}

// manifestTypes lists the types of the manifest's tracks.
func manifestTypes(m uploader.Manifest) string {
	var c []string
	for _, tr := range m.Tracks {
		c = append(c, tr.Type)
	}
	return strings.Join(c, ",")
}

// ends is where each type of stream ends: its last packet's pts +
// duration.
func (p mediaProbe) ends(t *testing.T) map[string]time.Duration {
	t.Helper()
	ends := map[string]time.Duration{}
	for _, pk := range p.Packets {
		if pk.PTS == "" {
			continue
		}
		end := seconds(t, pk.PTS)
		if pk.Duration != "" {
			end += seconds(t, pk.Duration)
		}
		typ := p.Streams[pk.Stream].CodecType
		ends[typ] = max(ends[typ], end)
	}
	return ends
}

// storedPlain checks that the one file the desktop made is stored on the
// hub byte-identical and returns its stored id, its manifest and its
// plaintext (decrypted with the demo's identity) in a file.
func storedPlain(t *testing.T, d *demo, rec *recorder) (string, uploader.Manifest, string) {
	t.Helper()
	made := rec.Made()
	if len(made) != 1 {
		t.Fatalf("recordings made %d, want 1: %+v", len(made), made)
	}
	m := made[0]
	f, err := d.Hub.Store().FileBySHA(t.Context(), m.SHA256, "")
	if err != nil {
		t.Fatalf("recordings made 1, stored 0: %s (sha256 %s): %v", m.File, m.SHA256, err)
	}
	b := fetchFile(t, d, f.ID)
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(b)) != m.Size || !f.Encrypted {
		t.Fatalf("recordings made 1, stored 0: stored %+v (%d bytes) differs from the desktop's %+v", f, len(b), m)
	}
	t.Logf("recordings made 1, stored 1 (%s, %d bytes)", m.File, m.Size)
	plain, err := uploader.Decrypt(bytes.NewReader(b), d.Identity)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := io.ReadAll(plain)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.webm")
	if err := os.WriteFile(path, pb, 0o600); err != nil {
		t.Fatal(err)
	}
	return f.ID, m, path
}

// TestRecordedMediaProbedAndPlayed_R_V4: a chat recorded by the desktop for
// a few seconds of real time (capture/control on synthetic devices, as
// `agentdesk demo --script` runs it), combined, age-encrypted, uploaded by
// the queue to the demo hub and stored byte-identical. ffprobe reads the
// decrypted file's tracks, its length (the manifest's media time, ± one
// frame, and each track as long as it was captured) and its subtitles;
// headless Chromium plays it from the hub (?decrypt=1) in a <video>
// element past 1 s with no media error (issue 6, R-V1, R-V4, R-C5, R-C6).
func TestRecordedMediaProbedAndPlayed_R_V4(t *testing.T) {
	cases := []struct {
		name    string
		mode    string
		screen  bool
		streams string
		width   int
	}{
		{"screen and voice, the text desktop as a cast", captureSynthetic, true, "vp8,opus,subrip,cast", 640},
		{"voice, no screen (R-V1)", captureSynthetic, false, "opus,subrip", 0},
		{"transcript only", captureOff, true, "subrip", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			media := tc.mode != captureOff
			d, rec, wall := runRecorded(t, mediaScript(t, mediaHold, media), tc.mode, tc.screen)
			id, m, path := storedPlain(t, d, rec)
			p := probeMedia(t, path)
			if got := p.codecs(); got != tc.streams {
				t.Fatalf("streams %s, want %s", got, tc.streams)
			}
			if tc.width > 0 && p.Streams[0].Width != tc.width {
				t.Errorf("the video is %d wide, want %d", p.Streams[0].Width, tc.width)
			}
			if got, want := p.types(), manifestTypes(m); got != want {
				t.Errorf("ffprobe reads %s tracks, the manifest says %s", got, want)
			}
			checkDuration(t, p, m, media, wall)
			srt := probeWebM(t, path).srt
			for _, want := range []string{"rita: recorded first", "rita: recorded last"} {
				if !strings.Contains(srt, want) {
					t.Errorf("subtitles lack %q:\n%s", want, srt)
				}
			}
			if strings.Contains(srt, "before recording") {
				t.Errorf("subtitles hold a line said before recording (R-C5):\n%s", srt)
			}
			if media {
				play(t, d, id, tc.width)
			}
		})
	}
}

// oneFrame is one screen frame at the desktop's default 5 fps: the tolerance
// of a duration.
const oneFrame = 200 * time.Millisecond

// checkDuration: the file's length is the manifest's (the controller's
// media time) within a frame; with media it is at least the time the
// script held the recording and at most the script's wall time, and each
// media track runs at least the hold and at most to the file's end (all
// within a frame).
func checkDuration(t *testing.T, p mediaProbe, m uploader.Manifest, media bool, wall time.Duration) {
	t.Helper()
	got, want := seconds(t, p.Format.Duration), time.Duration(m.DurationMS)*time.Millisecond
	ends := p.ends(t)
	t.Logf("duration %s, manifest %s, script %s, track ends %v", got, want, wall.Round(time.Millisecond), ends)
	if (got - want).Abs() > oneFrame {
		t.Errorf("ffprobe duration %s, manifest %s: more than a frame apart", got, want)
	}
	if !media {
		return
	}
	if got < mediaHold-oneFrame || got > wall+oneFrame {
		t.Errorf("duration %s: want at least the %s held and at most the script's %s", got, mediaHold, wall)
	}
	for _, typ := range []string{"video", "audio"} {
		e, ok := ends[typ]
		if !ok && (typ == "audio" || p.codecs() == "vp8,opus,subrip") {
			t.Errorf("no %s packets", typ)
		}
		if ok && (e < mediaHold-oneFrame || e > got+oneFrame) {
			t.Errorf("the %s track ends at %s: want between the %s held and the file's %s", typ, e, mediaHold, got)
		}
	}
}

// play has headless Chromium play stored file id from the demo hub
// (?decrypt=1, the supervisor's access_token) past 1 s.
func play(t *testing.T, d *demo, id string, width int) {
	t.Helper()
	ctx := browsertest.New(t, browsertest.Path(t))
	src := d.URL + "/v1/files/" + id + "?decrypt=1&access_token=" + d.APIToken
	p, err := browsertest.PlayVideo(ctx, d.URL+"/healthz", src, 1.0, 30*time.Second)
	if err != nil || p.CurrentTime <= 1.0 || p.ErrorCode != 0 || p.Error != "" || p.VideoWidth != width {
		t.Fatalf("Chromium: %+v, %v; want currentTime past 1 s, videoWidth %d, no error", p, err, width)
	}
	t.Logf("Chromium played the decrypted recording to %.2f s of %.2f s (videoWidth %d)", p.CurrentTime, p.Duration, p.VideoWidth)
}
