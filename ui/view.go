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
	hitRow         hitKind = iota // select chat
	hitButton                     // toolbar button act
	hitDispo                      // pick disposition n
	hitFocus                      // focus field n (a focus value)
	hitPickRow                    // the picker's entry n
	hitPickAct                    // the picker's action n (pickKinds)
	hitInvite                     // answer the oldest invitation: n 1 accepts, 0 rejects
	hitConsultOpen                // show the consultations
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
		w, h := m.screenSize()
		m.frames.Frame(content, w, h)
	}
	v := tea.NewView(content)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "agentdesk — My Interactions"
	v.Cursor = cur
	return v
}

// Layout: title bar (1 line), the warning line when there is a warning
// (1), toolbar and its hint (2), the body (list | chat pane, or help), the
// status line and key reminder (2).
const bottomLines = 2

// listWidth is the chat list's width for a screen w wide: at 80 columns
// 32, so names fit beside the state and the timers.
func listWidth(w int) int { return min(max(w*38/100, 32), 40) }

// topLines is how many lines are above the body: the title, the warning
// line when there is a warning, the toolbar and its hint.
func (m *Model) topLines() int {
	if m.warning != "" {
		return 4
	}
	return 3
}

// screenSize is the size the screen is drawn at: the terminal's, at least
// 40 columns and room for a few body lines.
func (m *Model) screenSize() (w, h int) {
	return max(m.width, 40), max(m.height, m.topLines()+bottomLines+4)
}

// layout renders the screen and returns the regions that take clicks, in
// screen coordinates.
func (m *Model) layout() (string, []hit, *tea.Cursor) {
	topLines := m.topLines()
	w, h := m.screenSize()
	f := &frame{m: m, desk: m.desk, st: &m.st, now: m.now(), sel: m.selectedChat(), focus: m.focus, flash: m.ticks%2 == 1}
	bodyH := h - topLines - bottomLines
	listW := min(listWidth(w), w/2)
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
	out = append(out, m.top.Render(f).fit(1).lines...)
	if m.warning != "" {
		out = append(out, warningLine(f, w))
	}
	tb := m.toolbar.Render(f).fit(2)
	place(tb, 0, len(out))
	out = append(out, tb.lines...)
	if bar := m.barLines(f, w); len(bar.lines) > 0 && bodyH-len(bar.lines) >= 4 {
		place(bar, 0, len(out))
		out = append(out, bar.lines...)
		bodyH -= len(bar.lines)
		topLines += len(bar.lines)
	}

	if m.help {
		out = append(out, renderHelp(f, w, bodyH).lines...)
	} else if q := m.confirm; q != nil && len(q.detail) > 0 {
		out = append(out, renderConfirm(f, q, w, bodyH).lines...)
	} else if m.showUploads {
		out = append(out, renderUploads(f, w, bodyH).lines...)
	} else if m.showInvite {
		out = append(out, m.renderInvitation(f, w, bodyH).lines...)
	} else if m.consult.shown {
		r := m.renderConsult(f, w, bodyH)
		place(r, 0, topLines)
		out = append(out, r.lines...)
	} else if m.picker.shown {
		r := m.picker.render(f, w, bodyH)
		place(r, 0, topLines)
		out = append(out, r.lines...)
	} else if m.myrec.shown {
		m.myrec.SetSize(w, bodyH)
		r := m.myrec.render(f, w, bodyH)
		place(r, 0, topLines)
		out = append(out, r.lines...)
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

// warningLine is the warning on a line of its own, loud (issue 11 point
// 9: it used to push the customer page's address off the title). The
// warning's parts, split at " — ", are shown as many as fit from the
// first; only a first part wider than the screen is cut.
func warningLine(f *frame, w int) string {
	parts := strings.Split(f.m.warning, " — ")
	text := " ⚠ " + parts[0]
	for _, p := range parts[1:] {
		if lipgloss.Width(text+" — "+p) > w-1 {
			break
		}
		text += " — " + p
	}
	return f.st.StatusErr.Render(fitWidth(ansi.Truncate(text+" ", w, "…"), w))
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
	// What gives way when the width is short: the brand, then the banner's
	// later parts (" · "), then all but its address; the link's state never
	// (scripts and people wait for "● Connected").
	banner := oneLine(f.m.banner)
	first, _, _ := strings.Cut(banner, " · ")
	address := ""
	if w := lastWord(first); strings.Contains(w, "://") {
		address = w
	}
	for _, c := range []struct {
		brand  bool
		banner string
	}{{true, banner}, {false, banner}, {false, first}, {false, address}, {false, ""}} {
		if c.banner == "" && banner != "" && c.brand {
			continue
		}
		left := st.TitleDim.Render(" "+name+" ") + ready + link
		if c.brand {
			left = st.Title.Render(" agentdesk ") + st.TitleDim.Render("│") + left
		}
		right := ""
		if c.banner != "" {
			right = st.TitleDim.Render(" " + c.banner + " ")
		}
		gap := t.w - lipgloss.Width(left) - lipgloss.Width(right)
		if gap >= 1 || (c.banner == "" && !c.brand) {
			return rendered{lines: []string{left + st.TitleDim.Render(strings.Repeat(" ", max(gap, 0))) + right}}
		}
	}
	return rendered{} // not reached: the last candidate always returns
}

// lastWord is the last space-separated word of s: the address of a
// banner such as "Customer web chat: http://…".
func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
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

// renderHelp draws every key binding (keyMap.helpGroups) in three columns
// in the body area.
func renderHelp(f *frame, w, h int) rendered {
	st := f.st
	inner := w - 4
	groups := f.m.keys.helpGroups()
	cols := make([][]string, len(groups))
	widths := make([]int, len(groups))
	for i, g := range groups {
		keyW := 0
		for _, r := range g.rows {
			keyW = max(keyW, lipgloss.Width(r.keys))
		}
		cols[i] = append(cols[i], st.Label.Render(g.title))
		for _, r := range g.rows {
			cols[i] = append(cols[i], st.HelpKey.Render(fitWidth(r.keys, keyW))+" "+st.HelpDesc.Render(r.desc))
		}
		for _, l := range cols[i] {
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
	joined := make([]string, len(cols))
	for i, c := range cols {
		for j := range c {
			c[j] = fitWidth(c[j], widths[i])
		}
		joined[i] = strings.Join(c, "\n")
	}
	body := lipgloss.JoinVertical(lipgloss.Left,
		fitWidth(st.Label.Render("Keys")+st.Hint.Render("   esc closes · ^T is ctrl+t · single keys in the list, chords anywhere"), inner),
		"",
		lipgloss.JoinHorizontal(lipgloss.Top, joined[0], "  ", joined[1], "  ", joined[2]),
	)
	box := st.Box.Render(body)
	return rendered{lines: strings.Split(box, "\n")}.fit(h)
}
