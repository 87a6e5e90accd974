package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// fakeQueue takes files into its folder, as uploader.Queue would.
type fakeQueue struct {
	dir   string
	mu    sync.Mutex
	items []uploader.Manifest
}

func (q *fakeQueue) Enqueue(ctx context.Context, path string, m uploader.Manifest) (string, error) {
	if err := os.Rename(path, filepath.Join(q.dir, m.File)); err != nil {
		return "", err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, m)
	return fmt.Sprint(len(q.items)), nil
}

func (q *fakeQueue) all() []uploader.Manifest {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]uploader.Manifest(nil), q.items...)
}

// rig is a controller fed frames by hand, as the hub would send them.
type rig struct {
	t     *testing.T
	c     *control.Controller
	q     *fakeQueue
	spool string
	ctx   context.Context
	lines map[string][]session.MessageData
}

func newRig(t *testing.T, dev control.Devices, recipient string) *rig {
	t.Helper()
	q := &fakeQueue{dir: t.TempDir()}
	sp := t.TempDir()
	c, err := control.New(control.Config{SpoolDir: sp, Devices: dev, Queue: q, Recipient: recipient, Agent: "ada", FPS: 5,
		Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rig{t: t, c: c, q: q, spool: sp, ctx: context.Background(), lines: map[string][]session.MessageData{}}
}

func (r *rig) send(typ, chat string, data any) {
	r.t.Helper()
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		r.t.Fatal(err)
	}
	r.c.Observe(r.ctx, e)
}

func (r *rig) open(chat string) {
	r.send(session.TypeChat, chat, session.ChatData{ID: chat, Customer: "Bob", Queue: "general", State: session.Connected,
		CreatedAt: time.Now(), Transcript: []session.MessageData{}})
}

// say adds a transcript line; recorded says whether the hub recorded it.
func (r *rig) say(chat, text string, recorded bool) int64 {
	id := int64(len(r.lines[chat]) + 1)
	m := session.MessageData{ID: id, From: session.FromAgent, Name: "Ada", Text: text, At: time.Now().UTC()}
	if recorded {
		r.lines[chat] = append(r.lines[chat], m)
	} else {
		r.lines[chat] = append(r.lines[chat], session.MessageData{})
	}
	r.send(session.TypeMessage, chat, m)
	return id
}

func (r *rig) recorded(chat string) []int64 {
	var ids []int64
	for _, m := range r.lines[chat] {
		if m.ID != 0 {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func (r *rig) rec(chat string, state string, screen bool, name string) {
	ri := session.RecordingInfo{ID: "r1", Kind: "record", State: state, Screen: screen, By: "agent", Name: name}
	if state == session.RecFinal.String() {
		ri.Lines = r.recorded(chat)
	}
	r.send(session.TypeRecording, chat, session.RecordingData{Recording: state == "recording", Paused: state == "paused",
		Recordings: []session.RecordingInfo{ri}})
}

func (r *rig) state(chat string, s session.State) {
	r.send(session.TypeState, chat, session.StateData{State: s})
}

// waitStatus waits until chat's status satisfies ok.
func (r *rig) waitStatus(chat, what string, ok func(control.Status) bool) control.Status {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.c.Status(chat)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: status %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// media waits until the capture of chat has d more media time.
func (r *rig) media(chat string, d time.Duration) {
	r.t.Helper()
	from := r.c.Status(chat).Media
	r.waitStatus(chat, "media time", func(s control.Status) bool { return s.Media >= from+d })
}

type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
	Chapters []struct {
		Tags map[string]string `json:"tags"`
	} `json:"chapters"`
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (Debian ffmpeg; make deps)", name)
		}
		t.Skipf("%s not installed (Debian ffmpeg; make deps)", name)
	}
}

func ffprobe(t *testing.T, path string) (probe, string) {
	t.Helper()
	needTool(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", "-show_chapters", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	srt := ""
	for _, s := range p.Streams {
		if s.CodecType == "subtitle" {
			b, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:s:0", "-f", "srt", "-").Output()
			if err != nil {
				t.Fatalf("ffmpeg srt: %v", err)
			}
			srt = string(b)
		}
	}
	return p, srt
}

func codecs(p probe) string {
	var s []string
	for _, st := range p.Streams {
		s = append(s, st.CodecName)
	}
	return strings.Join(s, ",")
}

// decrypt writes the plaintext of the age file at path beside it.
func decrypt(t *testing.T, path string, id *age.X25519Identity) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := uploader.Decrypt(f, id.String())
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(path, ".age")
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

var _ = capture.TrackVideo
