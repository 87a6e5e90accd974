package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/session"
)

// brokenScreen is the synthetic devices with a screen that cannot open.
type brokenScreen struct{ devices.Synthetic }

func (brokenScreen) Screen(int) (capture.Screen, error) {
	return nil, errors.New("cannot open display :0")
}

// brokenAll fails both devices.
type brokenAll struct{ brokenScreen }

func (brokenAll) Mic(capture.Clock) (capture.Mic, error) {
	return nil, errors.New("no input device")
}

// finish ends chat and returns its one queued file's streams and subtitles.
func (r *rig) finish(chat string, screen bool) (string, string, string) {
	r.t.Helper()
	r.state(chat, session.ACW)
	r.rec(chat, "final", screen, "general_ada_record_"+chat)
	r.state(chat, session.Done)
	if err := r.c.Wait(); err != nil {
		r.t.Fatal(err)
	}
	for _, m := range r.q.all() {
		if m.Interaction == chat {
			p, srt := ffprobe(r.t, filepath.Join(r.q.dir, m.File))
			return codecs(p), srt, m.File
		}
	}
	r.t.Fatalf("nothing queued for %s: %+v", chat, r.q.all())
	return "", "", ""
}

// The screen only when the recording says so (R-V1), the voice always;
// a device that fails is said in words and the rest is recorded.
func TestDevicesAndScreenFlag_R_V1(t *testing.T) {
	cases := []struct {
		name    string
		dev     control.Devices
		screen  bool
		note    string
		streams string
	}{
		{"screen and voice", devices.Synthetic{Width: 64, Height: 48}, true, "", "vp8,opus,subrip"},
		{"voice only when the recording has no screen", devices.Synthetic{Width: 64, Height: 48}, false, "", "opus,subrip"},
		{"screen fails: voice and transcript", brokenScreen{}, true,
			"screen capture failed: cannot open display :0 — recording voice and transcript", "opus,subrip"},
		{"both fail: transcript only", brokenAll{}, true,
			"screen capture failed: cannot open display :0 — recording the transcript only; microphone capture failed: no input device — recording the transcript only", "subrip"},
		{"capture off: transcript only", nil, true, "capture is off: recording the transcript only", "subrip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.dev, "")
			r.open("c1")
			r.rec("c1", "recording", tc.screen, "")
			st := r.waitStatus("c1", "started", func(s control.Status) bool { return s.Active })
			if st.Note != tc.note {
				t.Fatalf("note %q, want %q", st.Note, tc.note)
			}
			if st.Voice {
				r.media("c1", 300e6)
			}
			r.say("c1", "hello there", true)
			streams, srt, _ := r.finish("c1", tc.screen)
			if streams != tc.streams || !strings.Contains(srt, "Ada: hello there") {
				t.Fatalf("streams %s, srt %q", streams, srt)
			}
		})
	}
}

// Two chats recorded at once: the first holds screen and mic, the second
// records its transcript and says why.
func TestSecondChatWhileDevicesBusy(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	r.open("c1")
	r.rec("c1", "recording", true, "")
	r.waitStatus("c1", "c1 captures", func(s control.Status) bool { return s.Screen && s.Voice })
	r.open("c2")
	r.rec("c2", "recording", true, "")
	st := r.c.Status("c2")
	if !st.Active || st.Screen || st.Voice || st.Note != "screen and microphone are busy with chat c1: recording the transcript only" {
		t.Fatalf("c2 %+v", st)
	}
	r.say("c2", "second chat line", true)
	if streams, srt, _ := r.finish("c2", true); streams != "subrip" || !strings.Contains(srt, "second chat line") {
		t.Fatalf("c2: %s %q", streams, srt)
	}
	r.media("c1", 300e6)
	if streams, _, _ := r.finish("c1", true); streams != "vp8,opus" {
		t.Fatalf("c1 without lines: %s", streams)
	}
}

// goAway records chat for d of media, then the desktop goes (Close, as q
// or a crash does) and a new controller starts on the same folder, with
// dev, and recovers: the rig follows the new one. It returns what
// recovery queued at start.
func (r *rig) goAway(chat string, d time.Duration, dev control.Devices) int {
	r.t.Helper()
	r.open(chat)
	r.rec(chat, "recording", true, "")
	r.waitStatus(chat, "capturing", func(s control.Status) bool { return s.Screen })
	r.say(chat, "before going", true)
	r.media(chat, d)
	if err := r.c.Close(); err != nil {
		r.t.Fatal(err)
	}
	if len(r.q.all()) != 0 {
		r.t.Fatal("queued before recovery")
	}
	c2, err := control.New(control.Config{SpoolDir: r.spool, Devices: dev, Queue: r.q, Agent: "ada", Logf: r.t.Logf, AwaitWelcome: true})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c2.Close() })
	n, err := c2.Recover(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	r.c = c2
	return n
}

// A desktop that stopped mid-recording (Close, as at a crash) leaves its
// spool; the next controller on the folder keeps it for the hub's welcome
// and, the chat being gone (it ended meanwhile), combines and queues it
// then (R-V10; issue 11 point 7).
func TestRecoverLeftoverSpool_R_V10(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	if n := r.goAway("c9", 400e6, nil); n != 0 || len(r.q.all()) != 0 {
		t.Fatalf("recovered %d: a live chat's spool is combined before the hub said it ended", n)
	}
	c2 := r.c
	welcome(t, c2) // the hub no longer has c9
	if err := c2.Wait(); err != nil {
		t.Fatal(err)
	}
	items := r.q.all()
	if len(items) != 1 || items[0].File != "c9_r1_recovered.webm" {
		t.Fatalf("queued %+v", items)
	}
	p, _ := ffprobe(t, filepath.Join(r.q.dir, items[0].File))
	if codecs(p) != "vp8,opus" {
		t.Fatalf("streams %s", codecs(p))
	}
	if n, err := c2.Recover(context.Background()); n != 0 || err != nil {
		t.Fatalf("second recovery: %d %v", n, err)
	}
}

// welcome gives c the hub's welcome with the chats given.
func welcome(t *testing.T, c *control.Controller, chats ...session.ChatData) {
	t.Helper()
	e, err := session.NewEnvelope(session.TypeWelcome, "", session.WelcomeData{Agent: session.AgentInfo{ID: "ada", Name: "Ada"}, Chats: chats})
	if err != nil {
		t.Fatal(err)
	}
	c.Observe(context.Background(), e)
}

// Issue 11 point 7: the desktop quits while a chat is recorded and comes
// back within the agent grace: the recording goes on in the same spool,
// and when the chat is done there is one file, under the hub's name (not
// a "_recovered" one beside it), holding both parts without the time
// away.
func TestQuitAndComeBack(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	if n := r.goAway("c7", 600e6, devices.Synthetic{Width: 64, Height: 48}); n != 0 {
		t.Fatalf("recover at start: %d", n)
	}
	c2 := r.c
	time.Sleep(time.Second) // the scenario: the desktop is away for a second before the hub welcomes it
	live := session.ChatData{ID: "c7", Customer: "Bob", Queue: "general", State: session.Connected, CreatedAt: time.Now(),
		Transcript: []session.MessageData{r.lines["c7"][0]}} // the welcome brings the chat's transcript
	welcome(t, c2, live)
	r.rec("c7", "recording", true, "")
	r.waitStatus("c7", "capturing again", func(s control.Status) bool { return s.Screen })
	r.say("c7", "after coming back", true)
	r.media("c7", 600e6)
	_, srt, file := r.finish("c7", true)
	if items := r.q.all(); len(items) != 1 || file != "general_ada_record_c7.webm" {
		t.Fatalf("queued %+v, want one file under the hub's name", items)
	}
	p, _ := ffprobe(t, filepath.Join(r.q.dir, file))
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil || d < 1.0 || d > 1.9 {
		t.Fatalf("duration %s s, want the two parts (about 1.2 s) without the second away", p.Format.Duration)
	}
	for _, want := range []string{"before going", "after coming back"} {
		if !strings.Contains(srt, want) {
			t.Errorf("subtitles lack %q:\n%s", want, srt)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(r.spool, "*.spool")); len(left) != 0 {
		t.Errorf("spools left: %v", left)
	}
}

// Issue 11 point 7: back in time, but the chat is done before anything
// records again: the spool left before still becomes the file under the
// hub's name.
func TestComeBackThenDone(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	if n := r.goAway("c6", 400e6, nil); n != 0 {
		t.Fatalf("recover at start: %d", n)
	}
	c2 := r.c
	welcome(t, c2, session.ChatData{ID: "c6", Customer: "Bob", Queue: "general", State: session.ACW, Transcript: []session.MessageData{}})
	r.rec("c6", "final", true, "general_ada_record_c6")
	r.state("c6", session.Done)
	if err := c2.Wait(); err != nil {
		t.Fatal(err)
	}
	if items := r.q.all(); len(items) != 1 || items[0].File != "general_ada_record_c6.webm" {
		t.Fatalf("queued %+v, want the hub's name", items)
	}
}

// A crash in the middle of a chat's combine: the recordings already
// queued (the sidecar says which) are not made again; the others are.
func TestRecoverSkipsQueued_R_V10(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	r.open("c7")
	r.rec("c7", "recording", false, "")
	r.waitStatus("c7", "capturing", func(s control.Status) bool { return s.Voice })
	r.media("c7", 200e6)
	if err := r.c.Close(); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(r.spool, "c7.json")
	b, err := os.ReadFile(side)
	if err != nil {
		t.Fatal(err)
	}
	var sc map[string]any
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	rd := sc["chat"].(map[string]any)["recording"].(map[string]any)
	r1 := rd["recordings"].([]any)[0].(map[string]any)
	r1["name"], r1["state"] = "first", "final"
	rd["recordings"] = []any{r1, map[string]any{"id": "r2", "kind": "auto", "state": "final", "name": "second"}}
	sc["queued"] = []string{"r1"}
	if b, err = json.Marshal(sc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(side, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c2, err := control.New(control.Config{SpoolDir: r.spool, Queue: r.q, Agent: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c2.Recover(context.Background()); n != 1 || err != nil {
		t.Fatalf("recovered %d, %v", n, err)
	}
	if items := r.q.all(); len(items) != 1 || items[0].File != "second.webm" || items[0].Kind != "auto" {
		t.Fatalf("queued %+v", items)
	}
}

// A chat whose recordings the hub did not produce (R-H6) leaves no file
// and no spool.
func TestNotProducedLeavesNothing_R_H6(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	r.open("c1")
	r.rec("c1", "recording", true, "")
	r.waitStatus("c1", "capturing", func(s control.Status) bool { return s.Voice })
	r.rec("c1", "final", true, "") // no name: dropped
	r.state("c1", session.Done)
	if err := r.c.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(r.q.all()) != 0 {
		t.Fatalf("queued %+v", r.q.all())
	}
	if left, _ := filepath.Glob(filepath.Join(r.spool, "*.spool")); len(left) != 0 {
		t.Fatalf("spool left: %v", left)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	if _, err := control.New(control.Config{}); !errors.Is(err, control.ErrNoSpoolDir) {
		t.Fatalf("no folder: %v", err)
	}
	if _, err := control.New(control.Config{SpoolDir: t.TempDir(), Recipient: "age1nope"}); err == nil || !strings.Contains(err.Error(), "bad age recipient") {
		t.Fatalf("bad recipient: %v", err)
	}
}
