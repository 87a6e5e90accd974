package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// render draws the picker in the body area: the chat it acts on, the
// filter, the entries with availability and load, and the actions.
func (p *picker) render(f *frame, w, h int) rendered {
	st := f.st
	p.w, p.h = w, h
	inner := max(w-4, 20)
	var r rendered
	add := func(s string) { r.lines = append(r.lines, fitWidth(s, inner)) }

	about := ""
	if c := f.desk.Chat(p.chat); c != nil {
		about = " — the chat with " + oneLine(c.Customer)
	}
	add(st.Label.Render("Transfer · Conference · Consult") + st.Value.Render(about) + st.Hint.Render("   esc closes"))
	filterY := len(r.lines)
	p.filter.SetWidth(max(inner-10, 10))
	add(p.filter.View())
	r.cursorAt(p.mode == pickList, filterY, 2, p.filter.Cursor())

	es := p.entries()
	rows := p.rowsShown()
	p.top = visibleTop(p.top, p.cursor, rows, len(es))
	switch {
	case p.loadErr != "" && !p.loaded:
		add(st.Attention.Render("Could not load who is there: " + oneLine(p.loadErr)))
	case !p.loaded:
		add(st.Hint.Render("loading who is there…"))
	case len(es) == 0 && p.filter.Value() != "":
		add(st.Hint.Render("Nobody matches “" + oneLine(p.filter.Value()) + "”: backspace to widen."))
	case len(es) == 0:
		add(st.Hint.Render("No other agent or queue on this hub."))
	default:
		stale := ""
		if p.loadErr != "" {
			stale = st.Attention.Render("   (not refreshed: " + oneLine(p.loadErr) + ")")
		}
		add(st.Hint.Render(fmt.Sprintf("%d of %d · ↑/↓ move · enter chooses · refreshed %s", len(es),
			len(p.dir.Queues)+len(p.dir.Agents)-p.self(), p.loadedAt.In(f.m.loc).Format("15:04:05"))) + stale)
	}
	nameW := min(max(inner/3, 16), 28)
	for i := p.top; i < len(es) && i < p.top+rows; i++ {
		line := p.row(f, es[i], nameW, inner)
		if i == p.cursor {
			mark := st.Selected
			if p.mode == pickAction {
				mark = st.Label
			}
			line = mark.Render(fitWidth("› "+ansi.Strip(line), inner))
		} else {
			line = "  " + line
		}
		r.hit(len(r.lines)+1, 2, inner, hitTarget{kind: hitPickRow, n: i}) // +1: the box's top border
		add(line)
	}
	for len(r.lines) < 3+rows {
		add("")
	}
	r.lines = append(r.lines, p.actionLine(f, &r, inner))
	box := st.Box.Render(strings.Join(r.lines, "\n"))
	out := rendered{lines: strings.Split(box, "\n"), hits: r.hits}
	if r.cursor != nil {
		out.cursor = r.cursor
		out.cursor.X += 2
		out.cursor.Y++
	}
	return out.fit(h)
}

// self is 1 when this agent is in the directory (it is not listed).
func (p *picker) self() int {
	for _, a := range p.dir.Agents {
		if a.ID == p.me {
			return 1
		}
	}
	return 0
}

// row is one entry: a mark, the name, and availability and load in words.
func (p *picker) row(f *frame, e pickEntry, nameW, w int) string {
	st := f.st
	if q := e.queue; q != nil {
		mark, style := "◇", st.Hint
		if q.Available > 0 {
			mark, style = "◆", st.Value
		}
		title := oneLine(q.Title)
		switch {
		case title == "":
			title = oneLine(q.Name)
		case !strings.EqualFold(title, q.Name):
			title += " (" + oneLine(q.Name) + ")"
		}
		words := fmt.Sprintf("queue · %d available · %d ready of %d online · %d waiting", q.Available, q.Ready, q.Agents, q.Waiting)
		return style.Render(mark+" "+fitWidth(title, nameW)) + " " + st.Hint.Render(words)
	}
	a := e.agent
	mark, style, state := "○", st.Hint, "offline"
	switch {
	case a.Available:
		mark, style, state = "●", st.Value, "available"
	case a.Online && a.Ready:
		mark, state = "◐", "full"
	case a.Online:
		mark, state = "◐", "not ready"
	}
	name := oneLine(a.Name)
	if name == "" {
		name = oneLine(a.ID)
	}
	words := state
	if a.Online {
		words += fmt.Sprintf(" · %d/%d chats", a.Load, a.Capacity)
		if a.Joined > 0 {
			words += fmt.Sprintf(" · %d joined", a.Joined)
		}
		if a.Consults > 0 {
			words += fmt.Sprintf(" · %d consulting", a.Consults)
		}
	}
	if len(a.Queues) > 0 {
		words += " · " + oneLine(strings.Join(a.Queues, ", "))
	}
	return style.Render(mark+" "+fitWidth(name, nameW)) + " " + st.Hint.Render(words)
}

// actionLine is the last line: the three actions as buttons, live once a
// target is chosen.
func (p *picker) actionLine(f *frame, r *rendered, w int) string {
	st := f.st
	y := len(r.lines) + 1
	x := 2
	var parts []string
	lead := "enter on a name, then: "
	if p.mode == pickAction && p.chosen != nil {
		lead = p.chosen.name() + ": "
	}
	lead = fitWidth(lead, min(lipgloss.Width(lead), w/2))
	parts = append(parts, st.Hint.Render(lead))
	x += lipgloss.Width(lead)
	for i, pk := range pickKinds {
		label := "[" + pk.key + " " + pk.label + "]"
		style := st.ButtonOff
		if p.mode == pickAction {
			style = st.Button
		}
		r.hit(y, x, lipgloss.Width(label), hitTarget{kind: hitPickAct, n: i})
		parts = append(parts, style.Render(label))
		x += lipgloss.Width(label) + 1
	}
	line := strings.Join(parts[:1], "") + strings.Join(parts[1:], " ")
	if p.mode == pickAction {
		line += st.Hint.Render("  esc back")
	}
	return fitWidth(line, w)
}

// reminder is the key line while the picker is shown.
func (p *picker) reminder(k keyMap) [][2]string {
	quit := [2]string{caret(k.QuitC), "quit"}
	if p.mode == pickAction {
		return [][2]string{{"t", "transfer"}, {"c", "conference"}, {"o", "consult"}, {"esc", "back"}, quit}
	}
	return [][2]string{{"type", "filter"}, {"↑/↓", "move"}, {"enter", "choose"}, {"esc", "close"}, quit}
}
