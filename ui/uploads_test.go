package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// fakeCapture reports fixed statuses per chat.
type fakeCapture map[string]control.Status

func (f fakeCapture) Status(chat string) control.Status { return f[chat] }

// fakeUploads is a queue that never changes by itself.
type fakeUploads struct{ rows []uploader.ItemStatus }

func (f *fakeUploads) Snapshot() []uploader.ItemStatus { return f.rows }
func (f *fakeUploads) Changes() <-chan struct{} {
	ch := make(chan struct{})
	close(ch) // always changed: the pump answers at once
	return ch
}

func uploadRows() []uploader.ItemStatus {
	return []uploader.ItemStatus{
		{ID: "1", Name: "general_ada_record_c-1.webm.age", Size: 4 << 20, Sent: 4 << 20, State: uploader.StateDone, Stored: "f-1"},
		{ID: "2", Name: "general_ada_record_c-2.webm.age", Size: 10 << 20, Sent: 4 << 20, Rate: 2.5e6, State: uploader.StateUploading},
		{ID: "3", Name: "general_ada_auto_c-3.webm.age", Size: 1 << 20, State: uploader.StateRetrying, Attempt: 2,
			Until: now.Add(12 * time.Second), Err: "connection refused"},
		{ID: "4", Name: "billing_ada_snip_c-4.webm.age", Size: 300 << 10, State: uploader.StateWaiting,
			Until: time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)},
		{ID: "5", Name: "general_ada_record_c-5.webm.age", Size: 2 << 20, State: uploader.StateFailed, Err: "the hub refused the token"},
		{ID: "6", Name: "general_ada_record_c-6.webm.age", Size: 2 << 20, State: uploader.StateQueued},
	}
}

// Issue 6 point 4: the Uploads panel (U, f2) lists each recording with a
// progress bar, its rate and its state in words; esc closes it.
func TestScreenUploads(t *testing.T) {
	up := &fakeUploads{rows: uploadRows()}
	m := New(Options{Now: func() time.Time { return now }, Uploads: up, Warning: "SYNTHETIC CAPTURE: no display :0 — these recordings do not show the real screen"})
	m.loc = time.UTC
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	welcomeDesk(t, m)
	if cmd := m.waitUploads(); cmd == nil {
		t.Fatal("no uploads pump")
	} else {
		m.Update(cmd()) // the pump's first snapshot
	}
	press(t, m, "U")
	golden(t, m, "uploads")
	s := plain(t, m)
	for _, want := range []string{
		"Uploads", "SYNTHETIC CAPTURE", "general_ada_record_c-1.webm.age", "100%", "done — stored as f-1",
		"40%", "2.5 MB/s", "uploading 40% at 2.5 MB/s",
		"retrying in 12 s (attempt 2, connection refused)", "waiting for window (until 01:00)",
		"failed: the hub refused the token", "queued",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("panel lacks %q", want)
		}
	}
	press(t, m, "esc")
	if strings.Contains(plain(t, m), "retrying in") {
		t.Fatal("esc did not close the panel")
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyF2})
	if !strings.Contains(plain(t, m), "retrying in") {
		t.Fatal("f2 did not open the panel")
	}
	press(t, m, "?")
	if strings.Contains(plain(t, m), "Keys") {
		t.Fatal("keys other than close act under the panel")
	}
}

// The help lists the panel's keys.
func TestHelpListsUploads(t *testing.T) {
	m, _, _ := newModel(t)
	press(t, m, "?")
	if s := plain(t, m); !strings.Contains(s, "Uploads panel") || !strings.Contains(s, "f2") {
		t.Fatalf("help:\n%s", s)
	}
}

// Issue 5 point 6: per chat, whether screen and voice are captured, and
// capture problems in words.
func TestScreenCaptureMarkers(t *testing.T) {
	recIn := func(state string) *session.RecordingData {
		return &session.RecordingData{Recording: state == "recording", Paused: state == "paused", Recordings: []session.RecordingInfo{
			{ID: "r1", Kind: "record", State: state, Screen: true, By: "agent", Since: now.Add(-time.Minute)}}}
	}
	cases := []struct {
		name   string
		state  string // the recording's
		status control.Status
		want   string
	}{
		{"capture_both", "recording", control.Status{Active: true, Screen: true, Voice: true}, "SCR MIC"},
		{"capture_acw", "recording", control.Status{Active: true, Screen: true, VoiceStopped: true}, "SCR · voice stopped · screen until wrap-up ends"},
		{"capture_failed", "recording", control.Status{Active: true, Voice: true,
			Note: "screen capture failed: cannot open display :0 — recording voice and transcript"}, "MIC · screen capture failed: cannot open display :0"},
		{"capture_paused", "paused", control.Status{Active: true, Paused: true}, "capture paused"},
		// issue 11 point 19: stopped between parts is not a pause
		{"capture_idle", "stopped", control.Status{Active: true, Paused: true}, "○ Record stopped · capture idle"},
	}
	for _, tc := range cases {
		rec := recIn(tc.state)
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Now: func() time.Time { return now }, Capture: fakeCapture{"cy": tc.status}})
			m.loc = time.UTC
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 20})
			cy := chatWaiting("cy", "Cy Young", 5*time.Second)
			cy.Recording = rec
			feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{
				Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace"}, Settings: settings(), Ready: true,
				Chats: []session.ChatData{cy}}))
			link(m, session.LinkStatus{State: session.LinkUp})
			golden(t, m, tc.name)
			if s := plain(t, m); !strings.Contains(s, tc.want) {
				t.Fatalf("screen lacks %q:\n%s", tc.want, s)
			}
		})
	}
}
