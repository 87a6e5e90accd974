package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui/script"
	"github.com/agentdesk/agentdesk/ui/script/simcustomers"
	"github.com/agentdesk/agentdesk/uploader"
)

// runRecorded runs a script (its path) on a demo of the suite's hub config
// (screen: Ada's recordings capture the screen too, R-V1), with the
// desktop's recorder as `agentdesk demo --script` wires it (capture mode
// given), and returns the demo and the recorder after the script passed and
// the recorder was closed, and the wall time the script ran.
func runRecorded(t *testing.T, path, mode string, screen bool) (*demo, *recorder, time.Duration) {
	t.Helper()
	return runRecordedInto(t, path, mode, screen, "")
}

// runRecordedInto is runRecorded with the My Recordings panel on the demo
// hub, downloading into recDir ("" : no panel).
func runRecordedInto(t *testing.T, path, mode string, screen bool, recDir string) (*demo, *recorder, time.Duration) {
	t.Helper()
	raw, err := os.ReadFile(suiteConfig)
	if err != nil {
		t.Fatal(err)
	}
	percent := 0
	if screen {
		percent = 100
	}
	cfg := strings.Replace(string(raw), "      permits: true\n  - id: grace", fmt.Sprintf("      permits: true\n      screen_percent: %d\n  - id: grace", percent), 1)
	if cfg == string(raw) {
		t.Fatal("the suite config changed: cannot set ada's screen_percent")
	}
	s, err := script.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := startDemo(t.Context(), demoOptions{Config: []byte(cfg), Customers: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.Recipient == "" || d.Identity == "" {
		t.Fatal("the demo made no age key pair")
	}
	cf := &captureFlags{mode: mode, spoolDir: t.TempDir(), fps: 5, recipient: d.Recipient}
	rec, closeRec, err := cf.openRecorder(t.Context(), true, true, d.URL, d.Agent.Token, slog.New(slog.NewTextHandler(tWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	events, err := script.CreateEventLog(filepath.Join(t.TempDir(), "events.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	c := simcustomers.New(d.URL)
	defer c.Close()
	setup := &scriptSetup{script: s, events: events, cols: script.DefaultCols, rows: script.DefaultRows, flags: &scriptFlags{}}
	var out, errb bytes.Buffer
	began := time.Now()
	peers := scriptPeers{customers: c, hub: d.Net, api: d.recordingAPI(), rec: rec}
	if recDir != "" {
		peers.myrec = myRecOptions(d.Net.URL(), d.Agent.Token, nil, recDir, func(string) string { return "" }) // as the demo's script runs: through the cut
	}
	err = setup.run(t.Context(), d.Client, peers, &out, &errb)
	wall := time.Since(began)
	closeRec()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", path, err, out.String(), errb.String())
	}
	return d, rec, wall
}

// tWriter logs through t.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fetchFile reads GET /v1/files/{id} as the config's supervisor.
func fetchFile(t *testing.T, d *demo, id string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, d.URL+"/v1/files/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.APIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/files/%s: %s %v", id, resp.Status, err)
	}
	return b
}

// probeFile is what ffprobe says of a file, and its subtitles as SRT.
type probeFile struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Chapters []struct {
		Tags map[string]string `json:"tags"`
	} `json:"chapters"`
	srt string
}

func probeWebM(t *testing.T, path string) probeFile {
	t.Helper()
	for _, tool := range []string{"ffprobe", "ffmpeg"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not installed (Debian ffmpeg; make deps)", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", "-show_chapters", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p probeFile
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	srt, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:s:0", "-f", "srt", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg subtitles: %v", err)
	}
	p.srt = string(srt)
	return p
}

// TestRecordingIsUploadedAndStored: uploads.script records a chat (r),
// talks, pauses, ends and marks it done, and waits for "done" in the
// Uploads panel. Every file the desktop made is stored on the hub
// byte-identical (SHA-256); decrypted with the demo's identity, ffprobe
// reads VP8 video, Opus voice and the transcript as subtitles holding the
// recorded lines and not the others (R-V2, R-V4, R-C5, R-C6, issue 6).
func TestRecordingIsUploadedAndStored(t *testing.T) {
	d, rec, _ := runRecorded(t, filepath.Join(suiteDir, "uploads.script"), captureSynthetic, true)
	made := rec.Made()
	stored := 0
	for _, m := range made {
		f, err := d.Hub.Store().FileBySHA(t.Context(), m.SHA256, "")
		if err != nil {
			t.Errorf("%s (sha256 %s) is not stored: %v", m.File, m.SHA256, err)
			continue
		}
		b := fetchFile(t, d, f.ID)
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != m.SHA256 || int64(len(b)) != m.Size || !f.Encrypted || f.Interaction != m.Interaction {
			t.Errorf("stored %+v (%d bytes) differs from the desktop's %+v", f, len(b), m)
			continue
		}
		stored++
		plain, err := uploader.Decrypt(bytes.NewReader(b), d.Identity)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "r.webm")
		pb, err := io.ReadAll(plain)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pb, 0o600); err != nil {
			t.Fatal(err)
		}
		p := probeWebM(t, path)
		var codecs []string
		for _, s := range p.Streams {
			codecs = append(codecs, s.CodecName)
		}
		// The fourth stream is the text desktop's cast, an attachment (issue 17).
		if strings.Join(codecs, ",") != "vp8,opus,subrip," || p.Format.Duration == "" || strings.HasPrefix(p.Format.Duration, "0.0") {
			t.Errorf("streams %v, duration %s; want vp8, opus, subrip, the cast and a length", codecs, p.Format.Duration)
		}
		for _, want := range []string{"rita: recorded one", "rita: recorded two", "Recording paused (Record)"} {
			if !strings.Contains(p.srt, want) {
				t.Errorf("subtitles lack %q:\n%s", want, p.srt)
			}
		}
		for _, not := range []string{"before recording", "said while paused"} {
			if strings.Contains(p.srt, not) {
				t.Errorf("subtitles hold %q, said while not recording (R-C5):\n%s", not, p.srt)
			}
		}
		chapters := ""
		for _, c := range p.Chapters {
			chapters += c.Tags["title"] + "|"
		}
		if !strings.Contains(chapters, "recording paused") || !strings.Contains(chapters, "voice stopped") {
			t.Errorf("chapters %s", chapters)
		}
	}
	t.Logf("recordings made %d, stored %d", len(made), stored)
	if len(made) != 1 || stored != len(made) {
		t.Fatalf("recordings made %d, stored %d; want 1 and 1", len(made), stored)
	}
	if k := made[0].Kind; k != session.KindRecord.String() {
		t.Errorf("kind %q", k)
	}
	// The hub's list names the stored file of the recording (issue 9).
	var listed []store.FileRef
	for _, r := range recordings(t, d).Recordings {
		if r.ID == made[0].Recording {
			listed = r.Files
		}
	}
	if len(listed) != 1 || listed[0].SHA256 != made[0].SHA256 || listed[0].Size != made[0].Size || listed[0].ID == "" || listed[0].Name == "" {
		t.Errorf("GET /v1/recordings lists the recording's files as %+v, want the one stored (sha256 %s, %d bytes)", listed, made[0].SHA256, made[0].Size)
	}
}
