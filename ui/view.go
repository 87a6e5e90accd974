package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// component is one part of the screen. Components draw from the shared
// frame and report where their clickable parts are; the Model owns the
// state and handles the keys.
type component interface {
	SetSize(w, h int)
	Render(f *frame) rendered
}

// frame is what every component renders from, built once per View.
type frame struct {
	m     *Model
	desk  *session.Desk
	st    *styles
	now   time.Time
	sel   *session.Chat
	focus focus
	flash bool // the red indicator's off phase
}

// hitKind tells what a clickable region does.
type hitKind int

const (
	hitRow    hitKind = iota // select chat
	hitButton                // toolbar button act
	hitDispo                 // pick disposition n
	hitFocus                 // focus field n (a focus value)
)

type hitTarget struct {
	kind hitKind
	chat string
	act  action
	n    int
}

// hit is a clickable region, one line high.
type hit struct {
	x, y, w int
	t       hitTarget
}

// rendered is a component's output: its lines, clickable regions and
// where the text cursor goes, all relative to the component's corner.
type rendered struct {
	lines  []string
	hits   []hit
	cursor *tea.Cursor
}

func (r *rendered) hit(y, x, w int, t hitTarget) {
	r.hits = append(r.hits, hit{x: x, y: y, w: w, t: t})
}

// cursorAt places the terminal cursor at (x, y) plus the text field's own
// cursor column, when the field is focused.
func (r *rendered) cursorAt(on bool, y, x int, c *tea.Cursor) {
	if on && c != nil {
		r.cursor = tea.NewCursor(x+c.X, y)
	}
}

// fit cuts or pads r to h lines, dropping what falls outside. A line that
// holds line breaks is split, so the layout never shifts.
func (r rendered) fit(h int) rendered {
	var lines []string
	for _, l := range r.lines {
		lines = append(lines, strings.Split(l, "\n")...)
	}
	r.lines = lines
	for len(r.lines) < h {
		r.lines = append(r.lines, "")
	}
	r.lines = r.lines[:max(h, 0)]
	hits := r.hits[:0:0]
	for _, x := range r.hits {
		if x.y < h {
			hits = append(hits, x)
		}
	}
	r.hits = hits
	if r.cursor != nil && r.cursor.Y >= h {
		r.cursor = nil
	}
	return r
}

func lipglossWidth(s string) int { return lipgloss.Width(s) }

// fitWidth truncates or pads s to exactly w cells.
func fitWidth(s string, w int) string {
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if n := w - lipgloss.Width(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

func mmss(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

func focusTitle(f *frame, fo focus, title string) string {
	if f.focus == fo {
		return f.st.PaneTitleOn.Render(title)
	}
	return f.st.PaneTitle.Render(title)
}

// View draws the screen; see layout.
func (m *Model) View() tea.View {
	content, _, cur := m.layout()
	if m.frames != nil {
		m.frames.Frame(content, max(m.width, 40), max(m.height, topLines+bottomLines+4))
	}
	v := tea.NewView(content)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "agentdesk — My Interactions"
	v.Cursor = cur
	return v
}

// Layout: title bar (1 line), toolbar and its hint (2), the body (list |
// chat pane, or help), the status line and key reminder (2).
const topLines, bottomLines = 3, 2

// layout renders the screen and returns the regions that take clicks, in
// screen coordinates.
func (m *Model) layout() (string, []hit, *tea.Cursor) {
	w, h := max(m.width, 40), max(m.height, topLines+bottomLines+4)
	f := &frame{m: m, desk: m.desk, st: &m.st, now: m.now(), sel: m.selectedChat(), focus: m.focus, flash: m.ticks%2 == 1}
	bodyH := h - topLines - bottomLines
	listW := min(max(w*38/100, 26), 40)
	paneW := w - listW - 1

	var out []string
	var hits []hit
	var cur *tea.Cursor
	place := func(r rendered, x, y int) {
		for _, ht := range r.hits {
			ht.x += x
			ht.y += y
			hits = append(hits, ht)
		}
		if r.cursor != nil {
			cur = tea.NewCursor(r.cursor.X+x, r.cursor.Y+y)
		}
	}
	m.top.SetSize(w, 1)
	m.toolbar.SetSize(w, 2)
	top := m.top.Render(f).fit(1)
	tb := m.toolbar.Render(f).fit(2)
	place(tb, 0, 1)
	out = append(out, top.lines...)
	out = append(out, tb.lines...)

	if m.help {
		out = append(out, renderHelp(f, w, bodyH).lines...)
	} else if m.showUploads {
		out = append(out, renderUploads(f, w, bodyH).lines...)
	} else {
		for _, ti := range []*textinput.Model{&m.composer, &m.urlInput, &m.note, &m.caseIn} {
			ti.SetWidth(max(paneW-12, 10))
		}
		m.list.SetSize(listW, bodyH)
		m.pane.SetSize(paneW, bodyH)
		left := m.list.Render(f).fit(bodyH)
		right := m.pane.Render(f).fit(bodyH)
		place(left, 0, topLines)
		place(right, listW+1, topLines)
		sep := m.st.Sep.Render("│")
		for i := 0; i < bodyH; i++ {
			out = append(out, fitWidth(left.lines[i], listW)+sep+fitWidth(right.lines[i], paneW))
		}
	}
	m.bottom.SetSize(w, bottomLines)
	out = append(out, m.bottom.Render(f).fit(bottomLines).lines...)
	for i := range out {
		out[i] = fitWidth(out[i], w)
	}
	return strings.Join(out, "\n"), hits, cur
}

// titleBar shows the agent, Ready / Not ready, the link and the banner.
type titleBar struct{ w int }

func (t *titleBar) SetSize(w, _ int) { t.w = w }

func (t *titleBar) Render(f *frame) rendered {
	st, d := f.st, f.desk
	name := oneLine(d.Agent.Name)
	if name == "" {
		name = "(not signed in)"
	}
	ready := st.NotReady.Render(" Not ready ")
	if d.Ready {
		ready = st.Ready.Render(" Ready ")
	}
	link := st.LinkUp.Render(" ● " + linkText(f))
	if d.Link.State != session.LinkUp || !d.Welcomed {
		link = st.LinkDown.Render(" " + linkText(f) + " ")
	}
	left := st.Title.Render(" agentdesk ") + st.TitleDim.Render("│ "+name+" ") + ready + link
	right := ""
	if f.m.banner != "" {
		right = st.TitleDim.Render(" " + oneLine(f.m.banner) + " ")
	}
	if f.m.warning != "" { // loud, and it stays: the capture is not what it seems
		room := max(t.w-lipgloss.Width(left)-1, 0)
		right = st.StatusErr.Render(ansi.Truncate(" ⚠ "+f.m.warning+" ", room, "…"))
	}
	gap := t.w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		right, gap = "", max(t.w-lipgloss.Width(left), 0)
	}
	return rendered{lines: []string{left + st.TitleDim.Render(strings.Repeat(" ", gap)) + right}}
}

// linkText says how the hub connection is, in words. A link that is up
// but not yet welcomed is still connecting: the desktop is not signed in
// and has no chats until the welcome is applied.
func linkText(f *frame) string {
	l := f.desk.Link
	switch l.State {
	case session.LinkUp:
		if !f.desk.Welcomed {
			return "Connecting…"
		}
		return "Connected"
	case session.LinkDown:
		left := l.RetryIn - f.now.Sub(f.m.linkAt)
		s := "Disconnected"
		if l.Err != "" {
			s += ": " + oneLine(l.Err)
		}
		if l.RetryIn > 0 {
			secs := max(int((left+time.Second-1)/time.Second), 0)
			s += fmt.Sprintf(" · reconnecting in %ds (attempt %d)", secs, l.Attempt)
		}
		return s
	case session.LinkRefused:
		if l.Err == "" {
			return "Refused"
		}
		return "Refused: " + oneLine(l.Err)
	}
	if l.Attempt > 0 {
		return fmt.Sprintf("Connecting… (attempt %d)", l.Attempt)
	}
	return "Connecting…"
}

// statusBar shows the last status or error and a key reminder.
type statusBar struct{ w int }

func (s *statusBar) SetSize(w, _ int) { s.w = w }

func (s *statusBar) Render(f *frame) rendered {
	st := f.st
	msg := f.m.status
	style := st.Status
	if f.m.statusErr {
		style = st.StatusErr
	}
	if msg == "" {
		msg = "Welcome. Press ? for the keys."
	}
	if q := f.m.confirm; q != nil {
		msg, style = q.question, st.Confirm
	}
	var keys []string
	for i, b := range f.m.keys.ShortHelp() {
		keys = append(keys, st.HelpKey.Render(b.Help().Key)+" "+st.HelpDesc.Render(shortWords()[i]))
	}
	return rendered{lines: []string{
		style.Render(fitWidth(" "+msg, s.w)),
		strings.Join(keys, st.Sep.Render(" · ")),
	}}
}

// renderHelp draws every key binding in three columns in the body area:
// chat actions (single key and chord), moving around, and the rest.
func renderHelp(f *frame, w, h int) rendered {
	st := f.st
	g := f.m.keys.FullHelp()
	row := func(keyW int, keys, desc string) string {
		return st.HelpKey.Render(fmt.Sprintf("%-*s", keyW, keys)) + " " + st.HelpDesc.Render(desc)
	}
	chat := []string{st.Label.Render("Chat  (list · anywhere)")}
	for i, b := range g[0] {
		chat = append(chat, row(8, fmt.Sprintf("%-1s %s", b.Help().Key, g[1][i].Help().Key), b.Help().Desc))
	}
	move := []string{st.Label.Render("Move")}
	for _, b := range g[2] {
		move = append(move, row(9, b.Help().Key, b.Help().Desc))
	}
	more := []string{st.Label.Render("More")}
	for _, b := range g[3] {
		more = append(more, row(6, b.Help().Key, b.Help().Desc))
	}
	inner := w - 4
	groups := [][]string{chat, move, more}
	widths := make([]int, len(groups))
	for i, c := range groups {
		for _, l := range c {
			widths[i] = max(widths[i], lipgloss.Width(l))
		}
	}
	for widths[0]+widths[1]+widths[2]+4 > inner { // narrow: shave the widest column
		i := 0
		for j := range widths {
			if widths[j] > widths[i] {
				i = j
			}
		}
		widths[i]--
	}
	cols := make([]string, 3)
	for i, c := range groups {
		for j := range c {
			c[j] = fitWidth(c[j], widths[i])
		}
		cols[i] = strings.Join(c, "\n")
	}
	body := lipgloss.JoinVertical(lipgloss.Left,
		fitWidth(st.Label.Render("Keys")+st.Hint.Render("   esc, ? or f1 closes · single keys act when the list has the focus"), inner),
		"",
		lipgloss.JoinHorizontal(lipgloss.Top, cols[0], "  ", cols[1], "  ", cols[2]),
	)
	box := st.Box.Render(body)
	return rendered{lines: strings.Split(box, "\n")}.fit(h)
}
