package capture_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/asciicast"
	"github.com/agentdesk/agentdesk/capture/synth"
)

// termEvents are the terminal packets written so far, as cast events.
func termEvents(t *testing.T, s *memSink) []asciicast.Event {
	t.Helper()
	var evs []asciicast.Event
	for _, p := range s.track(capture.TrackTerminal) {
		e, err := asciicast.FromPacket(p)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return evs
}

// waitScreen waits until the terminal packets replay to want.
func waitScreen(t *testing.T, s *memSink, want ...string) []asciicast.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := termEvents(t, s)
		got := asciicast.Replay(asciicast.Header{Width: 20, Height: 3}, evs)
		if slices.Equal(got, want) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal track replays to %q, want %q", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Issue 17 point 4: the text desktop is recorded as what it draws, on the
// recording's clock: a frame whole first, then only the lines that
// change; a pause shows the slate and records nothing of what is drawn
// meanwhile (R-C5, R-G5), the resume draws the screen whole again; after
// the stop nothing is recorded.
func TestTerminalTrackFollowsTheRecording(t *testing.T) {
	g := newRig(t, rigOptions{cfg: capture.Config{Terminal: true}, screen: &synth.ScreenOptions{Width: 64, Height: 48}})
	g.rec.Terminal("hello\nworld", 20, 3)
	evs := waitScreen(t, g.sink, "hello", "world", "")
	if evs[0].Type != "r" || evs[0].Data != "20x3" || evs[0].Time != 0 {
		t.Errorf("first event %+v, want the size at 0", evs[0])
	}

	g.advanceTo(400 * time.Millisecond)
	g.rec.Terminal("hello\nthere", 20, 3)
	evs = waitScreen(t, g.sink, "hello", "there", "")
	last := evs[len(evs)-1]
	if last.Time != 400*time.Millisecond || strings.Contains(last.Data, "hello") || !strings.Contains(last.Data, "there") {
		t.Errorf("a one-line change wrote %+v, want line 2 alone at 400ms", last)
	}
	n := len(evs)
	g.rec.Terminal("hello\nthere", 20, 3) // the same screen again: nothing
	g.advanceTo(600 * time.Millisecond)
	if err := g.rec.Pause(); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, g.sink, "", "  RECORDING PAUSED", "")
	g.advanceTo(800 * time.Millisecond)
	g.rec.Terminal("hello\nsecret", 20, 3)
	g.advanceTo(1000 * time.Millisecond)
	g.rec.Terminal("hello\nsecret typed", 20, 3)
	time.Sleep(50 * time.Millisecond) // a wrong write would land now
	for _, e := range termEvents(t, g.sink) {
		if strings.Contains(e.Data, "secret") {
			t.Fatalf("drawn while paused, recorded: %+v", e)
		}
	}
	g.advanceTo(1200 * time.Millisecond)
	if err := g.rec.Resume(); err != nil {
		t.Fatal(err)
	}
	evs = waitScreen(t, g.sink, "hello", "secret typed", "")
	var marks []string
	for _, e := range evs[n:] {
		if e.Type == "m" {
			marks = append(marks, e.Data)
		}
		if e.Type == "o" && strings.Contains(e.Data, "secret") && e.Time != 1200*time.Millisecond {
			t.Errorf("the screen at resume is stamped %v, want 1.2s", e.Time)
		}
	}
	if !slices.Equal(marks, []string{"recording paused", "recording resumed"}) {
		t.Errorf("markers %q", marks)
	}
	g.advanceTo(1400 * time.Millisecond)
	g.stop()
	n = len(termEvents(t, g.sink))
	g.rec.Terminal("after the stop", 20, 3)
	time.Sleep(50 * time.Millisecond)
	if got := len(termEvents(t, g.sink)); got != n {
		t.Errorf("%d terminal events after the stop", got-n)
	}
}

// Frames given faster than they are written are coalesced: the latest
// is the one recorded, and Terminal never waits on the sink.
func TestTerminalFramesCoalesce(t *testing.T) {
	g := newRig(t, rigOptions{cfg: capture.Config{Terminal: true}, screen: &synth.ScreenOptions{Width: 64, Height: 48}})
	for i := range 1000 {
		g.rec.Terminal("frame "+strings.Repeat("x", i%10), 20, 3)
	}
	g.rec.Terminal("last", 20, 3)
	waitScreen(t, g.sink, "last", "", "")
	g.stop()
}
