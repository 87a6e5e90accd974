package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// Capture tells what the desktop's capture does for a chat
// (capture/control.Controller implements it). Status must not block.
type Capture interface {
	Status(chat string) control.Status
}

// Frames takes each screen the desktop renders, cols x rows cells (the
// capture records the text desktop with it: control.Controller). Frame
// must not block.
type Frames interface {
	Frame(content string, cols, rows int)
}

// Uploads is the upload queue as the Uploads panel sees it
// (uploader.Queue implements it). Snapshot must not block for long;
// Changes is signalled after every change.
type Uploads interface {
	Snapshot() []uploader.ItemStatus
	Changes() <-chan struct{}
}

// uploadsMsg is a fresh snapshot of the upload queue.
type uploadsMsg []uploader.ItemStatus

// uploadsEvery refreshes the panel (rates, retry countdowns) even when
// the queue says nothing.
const uploadsEvery = time.Second

// waitUploads waits for a change of the queue (or uploadsEvery) and
// brings its snapshot; Update re-arms it after each.
func (m *Model) waitUploads() tea.Cmd {
	if m.uploads == nil {
		return nil
	}
	u := m.uploads
	return func() tea.Msg {
		t := time.NewTimer(uploadsEvery)
		defer t.Stop()
		select {
		case <-u.Changes():
		case <-t.C:
		}
		return uploadsMsg(u.Snapshot())
	}
}

// captureWords are the chat's capture markers under its header: "SCR MIC"
// while both are captured, what stopped and why, in words (issue 5 point 6).
func captureWords(f *frame, c *session.Chat) string {
	if f.m.capture == nil {
		return ""
	}
	cs := f.m.capture.Status(c.ID)
	if !cs.Active {
		return ""
	}
	st := f.st
	var parts []string
	var marks []string
	if cs.Screen {
		marks = append(marks, "SCR")
	}
	if cs.Voice {
		marks = append(marks, "MIC")
	}
	switch {
	case len(marks) > 0:
		parts = append(parts, st.Rec.Render(strings.Join(marks, " ")))
	case cs.Paused && c.PausedOnly():
		parts = append(parts, st.RecPaused.Render("capture paused"))
	case cs.Paused: // stopped between parts: not in the file (issue 11 point 19)
		parts = append(parts, st.RecInfo.Render("capture idle"))
	}
	if cs.VoiceStopped {
		w := "voice stopped"
		if cs.Screen {
			w += " · screen until wrap-up ends"
		}
		parts = append(parts, st.RecInfo.Render(w))
	}
	if cs.Combining {
		parts = append(parts, st.RecInfo.Render("making the recording file"))
	}
	if cs.Note != "" {
		parts = append(parts, st.Attention.Render(cs.Note))
	}
	return strings.Join(parts, st.Hint.Render(" · "))
}

// renderUploads draws the Uploads panel in the body area: each recording
// with a progress bar, its rate and its state in words (issue 6 point 4).
func renderUploads(f *frame, w, h int) rendered {
	st := f.st
	inner := max(w-4, 20)
	lines := []string{fitWidth(st.Label.Render("Uploads")+st.Hint.Render("   esc, U or f2 closes"), inner)}
	if f.m.warning != "" {
		lines = append(lines, fitWidth(st.StatusErr.Render(" "+f.m.warning+" "), inner))
	}
	lines = append(lines, "")
	rows := f.m.uploadRows
	if len(rows) == 0 {
		lines = append(lines, st.Hint.Render("No recordings to upload yet: a recorded chat's file comes here when the chat is done."))
	}
	barW := min(max(inner/4, 10), 30)
	bar := progress.New(progress.WithWidth(barW), progress.WithoutPercentage(),
		progress.WithFillCharacters('█', '░'), progress.WithColors(lipgloss.Color("42")))
	nameW := max(inner-barW-32, 12)
	for _, r := range rows {
		pct := 0.0
		if r.Size > 0 {
			pct = float64(r.Sent) / float64(r.Size)
		}
		if r.State == uploader.StateDone {
			pct = 1
		}
		rate := ""
		if r.State == uploader.StateUploading && r.Rate > 0 {
			rate = fmt.Sprintf("%.1f MB/s", r.Rate/1e6)
		}
		head := fitWidth(st.Value.Render(oneLine(r.Name)), nameW) + " " + bar.ViewAs(pct) +
			fmt.Sprintf(" %3d%% %10s %8s", int(pct*100+0.5), humanBytes(r.Size), rate)
		lines = append(lines, fitWidth(head, inner))
		state := st.RecInfo
		switch r.State {
		case uploader.StateFailed, uploader.StateRetrying:
			state = st.Attention
		case uploader.StateDone:
			state = st.Value
		}
		words := r.Describe(f.now)
		if r.State == uploader.StateDone && r.Stored != "" {
			words += " — stored as " + r.Stored
		}
		lines = append(lines, fitWidth("  "+state.Render(oneLine(words)), inner))
	}
	box := st.Box.Render(strings.Join(lines, "\n"))
	return rendered{lines: strings.Split(box, "\n")}.fit(h)
}

// humanBytes is n in B, KB, MB or GB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
