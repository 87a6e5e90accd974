package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// Quitting (issue 11 point 7). With nothing live, q and ctrl+c leave at
// once. With live chats or a live recording the desktop asks first and
// says what happens to each: y (or ctrl+c again) leaves, n or esc stays.

// quit leaves, or asks first when there is live work.
func (m *Model) quit() tea.Cmd {
	lines := m.liveWork()
	if len(lines) == 0 {
		return m.leave()
	}
	m.confirm = &confirmation{act: actQuit, question: "Quit with live work? y quits · n stays", detail: lines}
	return nil
}

// leave ends the program (the typing notice first; a download of My
// Recordings is stopped and its partial file removed).
func (m *Model) leave() tea.Cmd { return tea.Sequence(m.stopTyping(), m.myrec.stop(), tea.Quit) }

// liveWork says, one line each, what quitting does to the live chats and
// recordings; nil when nothing is live.
func (m *Model) liveWork() []string {
	var offers, connected, acw, recorded []string
	for _, c := range m.desk.Chats() {
		name := oneLine(c.Customer)
		switch c.State {
		case session.Offered:
			offers = append(offers, name)
		case session.Connected:
			connected = append(connected, name)
		case session.ACW:
			acw = append(acw, name)
		default:
			continue
		}
		if m.recordingLive(c) {
			recorded = append(recorded, name)
		}
	}
	grace := "for a while (the hub's agent grace)"
	if g := m.desk.Settings.AgentGrace.Std(); g > 0 {
		grace = "for " + g.Round(time.Second).String() + " (the hub's agent grace)"
	}
	var out []string
	if len(connected) > 0 {
		them, they := "them", "they go"
		if len(connected) == 1 {
			them, they = "it", "it goes"
		}
		out = append(out, fmt.Sprintf("%s (%s): the hub keeps %s %s; start agentdesk again within it to carry on, after that %s back to the queue for another agent.",
			plural(len(connected), "chat")+" connected", strings.Join(connected, ", "), them, grace, they))
	}
	if len(acw) > 0 {
		out = append(out, fmt.Sprintf("%s (%s): closed by the hub when the wrap-up time runs out, with what was saved.",
			plural(len(acw), "chat")+" in wrap-up", strings.Join(acw, ", ")))
	}
	if len(offers) > 0 {
		out = append(out, fmt.Sprintf("%s (%s): withdrawn now and offered to another agent.", plural(len(offers), "offer"), strings.Join(offers, ", ")))
	}
	if len(recorded) > 0 {
		what := m.onQuit
		if what == "" {
			what = "capture stops now; back in time, the recording goes on in the same file (one file, the hub's name), else what was recorded is uploaded when you next start agentdesk."
		}
		out = append(out, fmt.Sprintf("Recording of %s: %s", strings.Join(recorded, ", "), what))
	}
	if s := m.myrec.saving; s != nil && !s.cancelled {
		out = append(out, fmt.Sprintf("Download of %s into %s: stops now and nothing is saved; My Recordings (M) can start it again.",
			strings.TrimSuffix(s.file.Name, ".age"), s.dir))
	}
	return out
}

// recordingLive reports whether a recording of c is on or paused, or its
// capture runs.
func (m *Model) recordingLive(c *session.Chat) bool {
	if m.capture != nil && m.capture.Status(c.ID).Active {
		return true
	}
	if c.Recording == nil {
		return false
	}
	for _, r := range c.Recording.Recordings {
		if r.State == session.RecOn.String() || r.State == session.RecPaused.String() {
			return true
		}
	}
	return false
}

// renderConfirm draws a question with details in the body area, wrapped
// to the width, the answer keys last.
func renderConfirm(f *frame, q *confirmation, w, h int) rendered {
	st := f.st
	inner := max(w-4, 10)
	var lines []string
	lines = append(lines, st.Label.Render(q.title()), "")
	for _, d := range q.detail { // bullets with a hanging indent
		for i, l := range strings.Split(ansi.Wrap(d, inner-2, " "), "\n") {
			lead := "  "
			if i == 0 {
				lead = "• "
			}
			lines = append(lines, lead+l)
		}
	}
	lines = append(lines, "", st.Confirm.Render(" y quits ")+"  "+st.Button.Render(" n or esc stays ")+st.Hint.Render("  (ctrl+c again quits too)"))
	box := st.Box.Width(w).Render(strings.Join(lines, "\n"))
	return rendered{lines: strings.Split(box, "\n")}.fit(h)
}
