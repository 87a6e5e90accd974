package ui

import (
	"fmt"
	"sort"

	"github.com/charmbracelet/x/ansi"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// The wrap-up (ACW) form (R-I1, R-I10): countdown, disposition list, note,
// case data and Mark Done. Every change goes to the hub with wrapup.

func (m *Model) moveDispo(delta int) {
	n := len(m.desk.Settings.Dispositions)
	if n == 0 {
		return
	}
	d := m.draft(m.selected)
	d.cursor = min(max(d.cursor+delta, 0), n-1)
}

// pickDispo chooses disposition i (0-based) and sends it.
func (m *Model) pickDispo(i int) tea.Cmd {
	list := m.desk.Settings.Dispositions
	c := m.selectedChat()
	if c == nil || c.State != session.ACW {
		return nil
	}
	if i < 0 || i >= len(list) {
		m.setError(fmt.Sprintf("Disposition: pick 1 to %d", len(list)))
		return nil
	}
	d := m.draft(c.ID)
	d.cursor, d.picked = i, list[i]
	m.setStatus("disposition: " + list[i])
	return m.send("save the disposition", session.TypeWrapUp, c.ID, session.WrapUpData{Disposition: list[i]})
}

// keepNote is taken before a key or click is handled; the function it
// returns, run after, sends the note when the agent left the note field
// (tab, esc, a click, another chat) with words the hub does not have:
// a note is kept on the chat without enter (issue 11 point 11).
func (m *Model) keepNote() func() tea.Cmd {
	if m.focus != focusNote {
		return func() tea.Cmd { return nil }
	}
	chat, note := m.selected, strings.TrimSpace(m.note.Value())
	return func() tea.Cmd {
		if m.focus == focusNote && m.selected == chat {
			return nil
		}
		return m.sendNote(chat, note)
	}
}

// sendNote sends chat's note unless it is empty or was sent already.
func (m *Model) sendNote(chat, note string) tea.Cmd {
	c := m.desk.Chat(chat)
	if note == "" || c == nil || c.State != session.ACW || note == c.Note || note == m.noteSent[chat] {
		return nil
	}
	m.noteSent[chat] = note
	m.setStatus("note saved")
	return m.send("save the note", session.TypeWrapUp, chat, session.WrapUpData{Note: note})
}

// doneRefusal says why Mark Done cannot close c yet: a disposition is
// required (the hub's setting) and none is picked. "" when it can.
func (m *Model) doneRefusal(c *session.Chat) string {
	if m.desk.Settings.RequireDisposition && c.Disposition == "" && m.draft(c.ID).picked == "" {
		return "Mark Done: pick a disposition first (1-9); this hub requires one"
	}
	return ""
}

// saveWrapUp sends the note or the case data entry being edited.
func (m *Model) saveWrapUp() tea.Cmd {
	c := m.selectedChat()
	if c == nil || c.State != session.ACW {
		return nil
	}
	if m.focus == focusNote {
		note := strings.TrimSpace(m.note.Value())
		if note == "" {
			m.setError("Note: empty, nothing to save")
			return nil
		}
		m.setStatus("note saved")
		m.noteSent[c.ID] = note
		return m.send("save the note", session.TypeWrapUp, c.ID, session.WrapUpData{Note: note})
	}
	k, v, ok := strings.Cut(m.caseIn.Value(), "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" {
		m.setError("Case data: write key=value, e.g. order=A-1234")
		return nil
	}
	m.caseIn.Reset()
	m.setStatus("case data: " + k + "=" + v)
	return m.send("save the case data", session.TypeWrapUp, c.ID, session.WrapUpData{CaseData: map[string]string{k: v}})
}

// renderACW draws the wrap-up form, which takes the message box's place
// under the transcript: the transcript stays in view while the agent
// wraps up (issue 11 point 11). Dispositions flow along the lines.
func (p *chatPane) renderACW(f *frame, c *session.Chat, w int) rendered {
	st := f.st
	var r rendered
	line := func(s string) { r.lines = append(r.lines, s) }
	left := "--:--"
	if d, ok := c.Waiting(f.now); ok {
		left = mmss(d)
	}
	why := ""
	if c.Reason != "" {
		why = " (" + strings.ReplaceAll(c.Reason, "_", " ") + ")"
	}
	line(st.Sep.Render(strings.Repeat("─", w)))
	line(st.Label.Render("Wrap-up"+why) + "  " + st.Attention.Render("closes in "+left))
	for _, n := range lastN(c.Attention, 2) {
		line(st.Attention.Render(ansi.Truncate("! "+oneLine(n.Text), w, "…")))
	}
	need := ""
	if f.desk.Settings.RequireDisposition {
		need = " (required)"
	}
	line(focusTitle(f, focusDispo, "Disposition"+need+":") + st.Hint.Render("  ↑/↓ or 1-9, enter picks"))
	d := f.m.draft(c.ID)
	chosen := c.Disposition
	if d.picked != "" {
		chosen = d.picked
	}
	list := f.desk.Settings.Dispositions
	if len(list) == 0 {
		line(st.Hint.Render("  the hub sent no disposition codes"))
	}
	row, x := "", 0
	for i, name := range list {
		mark := " "
		if name == chosen {
			mark = "✓"
		}
		text := fmt.Sprintf("%s%d %s  ", mark, i+1, oneLine(name))
		tw := lipglossWidth(text)
		if x > 0 && x+tw > w { // the next one goes on a new line
			line(row)
			row, x = "", 0
		}
		switch {
		case i == d.cursor && f.focus == focusDispo:
			text = st.Selected.Render(text)
		case name == chosen:
			text = st.Value.Bold(true).Render(text)
		}
		r.hit(len(r.lines), x, tw, hitTarget{kind: hitDispo, n: i})
		row += text
		x += tw
	}
	if row != "" {
		line(row)
	}
	r.hit(len(r.lines), 0, w, hitTarget{kind: hitFocus, n: int(focusNote)})
	line(focusTitle(f, focusNote, "Note:") + " " + f.m.note.View())
	r.cursorAt(f.focus == focusNote, len(r.lines)-1, lipglossWidth("Note: "), f.m.note.Cursor())
	keys := make([]string, 0, len(c.CaseData))
	for k := range c.CaseData {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, st.Label.Render(oneLine(k))+"="+st.Value.Render(oneLine(c.CaseData[k])))
	}
	r.hit(len(r.lines), 0, w, hitTarget{kind: hitFocus, n: int(focusCase)})
	line(ansi.Truncate(focusTitle(f, focusCase, "Case data:")+" "+strings.Join(kv, st.Hint.Render(" · ")), w, "…"))
	r.hit(len(r.lines), 0, w, hitTarget{kind: hitFocus, n: int(focusCase)})
	line("  + " + f.m.caseIn.View())
	r.cursorAt(f.focus == focusCase, len(r.lines)-1, 4, f.m.caseIn.Cursor())
	btn := st.Button.Render("[d Mark Done]")
	r.hit(len(r.lines), 0, lipglossWidth(btn), hitTarget{kind: hitButton, act: actDone})
	hint := "  closes the chat · tab: next field"
	if lipglossWidth(btn)+lipglossWidth(hint) > w {
		hint = "  closes the chat"
	}
	line(btn + st.Hint.Render(hint))
	return r
}
