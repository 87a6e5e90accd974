package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// recFooterLines is the least room under the list for the choice, the
// folder prompt, a download's progress or the last outcome (which may
// take more: the list gives way).
const recFooterLines = 4

// render draws the panel in the body area, w x h: a title with the keys,
// the list (newest first) and under it what is going on.
func (p *myRecPanel) render(f *frame, w, h int) rendered {
	st := f.st
	inner := max(w-4, 20)
	title := "My Recordings"
	if p.loaded {
		n := fmt.Sprintf("%d", len(p.rows))
		if p.next != "" {
			n += "+"
		}
		title += " (" + n + ")"
	}
	keys := "esc, M or f3 closes"
	switch p.mode {
	case recChoose, recFolder:
		keys = "esc back"
	case recSaving:
		keys = "esc cancels the download · M or f3 hides the panel, the download goes on"
	}
	lines := []string{fitWidth(st.Label.Render(title)+st.Hint.Render("   "+keys), inner), ""}
	foot, fc := p.footer(f, inner)
	listH := max(h-2-len(lines)-len(foot)-1, 3) // the box's borders, the footer and its rule
	lines = append(lines, p.listLines(f, inner, listH)...)
	lines = append(lines, st.Sep.Render(strings.Repeat("─", inner)))
	var cur *tea.Cursor
	if fc != nil {
		cur = tea.NewCursor(fc.X+2, fc.Y+len(lines)+1) // inside the box's border and padding
	}
	lines = append(lines, foot...)
	box := st.Box.Render(strings.Join(lines, "\n"))
	r := rendered{lines: strings.Split(box, "\n"), cursor: cur}
	return r.fit(h)
}

// Column widths of the list.
const (
	recDateW   = 16 // 2026-11-20 09:41
	recLengthW = 9
	recSizeW   = 9
)

// listLines is the list area, exactly n lines: the column heads and the
// rows around the cursor, or what is there instead (loading, an error, an
// empty list and why).
func (p *myRecPanel) listLines(f *frame, w, n int) []string {
	st := f.st
	var out []string
	switch {
	case !p.loaded && p.loadErr != "":
		out = append(out, st.Attention.Render(wrapWords("Could not load your recordings: "+oneLine(p.loadErr), w)),
			"", st.Hint.Render("r tries again · esc closes"))
	case !p.loaded:
		out = append(out, st.RecInfo.Render("Loading your recordings from the hub…"))
	case len(p.rows) == 0:
		out = append(out, st.Value.Render("No recordings yet."), "",
			st.Hint.Render(wrapWords("Recordings you make with Record (r) appear here when the chat is done, and can be downloaded once the desktop has uploaded the file. Only your own, and only those made with Record: the others go to the recording store for supervisors.", w)))
	default:
		custW := max(min(w-2-recDateW-recLengthW-recSizeW-6-20, 22), 8)
		statW := max(w-2-recDateW-custW-recLengthW-recSizeW-6, 6)
		head := "  " + fitWidth("Finished", recDateW) + "  " + fitWidth("Customer", custW) + "  " +
			fitWidth("Length", recLengthW) + fitWidth("Size", recSizeW) + "  " + fitWidth("File", statW)
		out = append(out, st.PaneTitle.Render(fitWidth(head, w)))
		rowsH := n - 1
		extra := ""
		switch {
		case p.loading && p.next != "":
			extra = st.RecInfo.Render("  loading older recordings…")
		case p.loadErr != "" && p.errMore:
			extra = st.Attention.Render("  older recordings could not be loaded (below; r reloads)")
		case p.next != "":
			extra = st.Hint.Render("  older recordings load as you scroll down")
		}
		if extra != "" {
			rowsH--
		}
		top := visibleTop(p.top, p.cursor, rowsH, len(p.rows))
		for i := top; i < len(p.rows) && i < top+rowsH; i++ {
			out = append(out, p.rowLine(f, i, custW, statW, w))
		}
		if extra != "" {
			out = append(out, extra)
		}
	}
	var lines []string
	for _, l := range out {
		lines = append(lines, strings.Split(l, "\n")...)
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines[:n]
}

// visibleTop is the first row shown of n, rows at a time, from top on
// but moved so that the cursor is in sight.
func visibleTop(top, cursor, rows, n int) int {
	rows = max(rows, 1)
	top = min(max(top, cursor-rows+1), cursor)
	return max(min(top, n-rows), 0)
}

// rowLine is one recording: when it finished, the customer, how long it
// plays, the stored file's size and whether it is stored, or how far its
// e-mail to the agent got once it is.
func (p *myRecPanel) rowLine(f *frame, i, custW, statW, w int) string {
	st := f.st
	r := p.rows[i]
	size, state := "—", "not stored yet"
	if len(r.Files) > 0 {
		size, state = humanBytes(r.Files[0].Size), "stored"
	}
	if m := mailShort(f, r.Mail); m != "" {
		state = m // stored, and more: how far its e-mail got
	}
	if r.NotKept != "" {
		state = "not kept: " + oneLine(r.NotKept)
	}
	customer := oneLine(r.Customer)
	if customer == "" {
		customer = "(no name)"
	}
	when := "—"
	if !r.Finished.IsZero() {
		when = r.Finished.In(f.m.loc).Format("2006-01-02 15:04")
	}
	text := fitWidth(when, recDateW) + "  " + fitWidth(customer, custW) + "  " +
		fitWidth(hmmss(r.Duration), recLengthW) + fitWidth(size, recSizeW) + "  " + fitWidth(state, statW)
	if i == p.cursor {
		return st.Selected.Render(fitWidth("▸ "+text, w))
	}
	return fitWidth("  "+st.Value.Render(text), w)
}

// footer is what goes under the list, recFooterLines lines, and where the
// text cursor is when the folder prompt has it.
func (p *myRecPanel) footer(f *frame, w int) ([]string, *tea.Cursor) {
	st := f.st
	var out []string
	var cur *tea.Cursor
	r := p.selected()
	switch {
	case p.mode == recChoose && r != nil:
		out = append(out, st.Value.Render(fitWidth(recTitle(f, r), w)))
		if m := mailLong(f, r.Mail); m != "" {
			style := st.Hint
			if r.Mail.State == MailNotSent {
				style = st.Attention
			}
			out = append(out, style.Render(fitWidth(m, w)))
		}
		dl := st.HelpKey.Render("d") + " download the file to a folder"
		if len(r.Files) == 0 {
			dl = st.Hint.Render("d download: not stored yet")
		}
		out = append(out, fitWidth(dl+"    "+st.HelpKey.Render("o")+" open the player in the browser    "+st.HelpKey.Render("esc")+" back", w))
	case p.mode == recFolder && r != nil:
		out = append(out, st.Value.Render(fitWidth(recTitle(f, r), w)))
		p.folder.SetWidth(max(w-len(p.folder.Prompt)-1, 10))
		out = append(out, fitWidth(p.folder.View(), w))
		if c := p.folder.Cursor(); c != nil {
			cur = tea.NewCursor(c.X, 1)
		}
		out = append(out, st.Hint.Render(fitWidth("enter saves · the file keeps its name in the store; a name already there gets (1), (2)…", w)))
	case p.mode == recSaving && p.saving != nil:
		out = append(out, p.savingLines(f, w)...)
	case len(p.note) == 0 && len(p.rows) > 0:
		out = append(out, st.Hint.Render(wrapWords("enter on a recording: download it, decrypted, into a folder, or open its player in the browser", w)))
	default:
		style := st.Value
		if p.noteBad {
			style = st.Attention
		}
		for _, l := range p.note {
			out = append(out, style.Render(wrapWords(l, w)))
		}
	}
	var lines []string
	for _, l := range out {
		lines = append(lines, strings.Split(l, "\n")...)
	}
	for len(lines) < recFooterLines {
		lines = append(lines, "")
	}
	return lines, cur
}

// savingLines shows a download's progress.
func (p *myRecPanel) savingLines(f *frame, w int) []string {
	st := f.st
	s := p.saving
	name := strings.TrimSuffix(s.file.Name, ".age")
	barW := min(max(w/3, 10), 40)
	bar := progress.New(progress.WithWidth(barW), progress.WithoutPercentage(),
		progress.WithFillCharacters('█', '░'), progress.WithColors(lipgloss.Color("42")))
	pct, of := 0.0, humanBytes(s.done)
	if s.total > 0 {
		pct = float64(s.done) / float64(s.total)
		of = fmt.Sprintf("%s of %s", humanBytes(s.done), humanBytes(s.total))
	}
	head := "Downloading " + name + " into " + homeShort(s.dir)
	if s.cancelled {
		head = "Cancelling the download of " + name + "…"
	}
	return []string{
		st.Value.Render(fitWidth(head, w)),
		fitWidth(bar.ViewAs(pct)+fmt.Sprintf(" %3d%%  %s", int(pct*100), of), w),
		st.Hint.Render(fitWidth("the hub decrypts it as it comes; it takes its name only once complete and checked", w)),
	}
}

// mailShort is a recording's e-mail state in the list: "sent Nov 19
// 08:03", "sending", "sending (retry 2)", "not sent: why"; "" for none.
func mailShort(f *frame, m *MailState) string {
	if m == nil {
		return ""
	}
	switch m.State {
	case MailSent:
		return "sent " + m.Sent.In(f.m.loc).Format("Jan 2 15:04")
	case MailSending:
		if m.Tries > 0 {
			return fmt.Sprintf("sending (retry %d)", m.Tries)
		}
		return "sending"
	case MailNotSent:
		return "not sent: " + oneLine(m.Why)
	}
	return ""
}

// mailLong says the e-mail state in a sentence, under the chosen
// recording.
func mailLong(f *frame, m *MailState) string {
	if m == nil {
		return ""
	}
	switch m.State {
	case MailSent:
		s := "E-mailed to you " + m.Sent.In(f.m.loc).Format("2006-01-02 15:04")
		if m.Link {
			s += " as a link to its player (too big to attach)"
		}
		return s
	case MailSending:
		if m.Tries == 0 {
			return "Being e-mailed to you…"
		}
		return fmt.Sprintf("Not e-mailed yet: %d tries, %s; the hub tries again", m.Tries, oneLine(m.Why))
	case MailNotSent:
		return "Not e-mailed to you: " + oneLine(m.Why)
	}
	return ""
}

// recTitle names a recording in a line: customer, when, how long.
func recTitle(f *frame, r *StoredRecording) string {
	s := oneLine(r.Customer)
	if s == "" {
		s = "(no name)"
	}
	if !r.Finished.IsZero() {
		s += " · " + r.Finished.In(f.m.loc).Format("2006-01-02 15:04")
	}
	return s + " · " + hmmss(r.Duration) + " · " + r.Interaction
}

// hmmss is a duration as mm:ss, or h:mm:ss from an hour.
func hmmss(d time.Duration) string {
	if d >= time.Hour {
		s := int(d.Round(time.Second) / time.Second)
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return mmss(d)
}

// homeShort writes a path under the home folder as ~/….
func homeShort(path string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return path
	}
	if rel, err := filepath.Rel(home, path); err == nil && !strings.HasPrefix(rel, "..") && rel != "." {
		return "~" + string(filepath.Separator) + rel
	}
	return path
}

// wrapWords breaks s into lines of at most w cells at spaces.
func wrapWords(s string, w int) string {
	return lipgloss.NewStyle().Width(w).Render(s)
}
