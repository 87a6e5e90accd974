package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// maxRenderMessages bounds the transcript work per frame: only the newest
// messages that can be seen (plus scroll-back) are wrapped.
const maxRenderMessages = 400

// pendingWord says the pending-response level in words after the timer, so
// that a screen without colour (a script, a screen reader, tmux
// capture-pane) tells yellow and red apart (R-I4).
func pendingWord(p session.Pending) string {
	switch p {
	case session.PendingYellow:
		return " (late)"
	case session.PendingRed:
		return " (overdue)"
	}
	return ""
}

// chatPane is the right pane: the selected chat's header, transcript
// (older sessions above, divided by day; R-I2), typing notice (R-I3),
// attention lines (R-I11) and the composer, or the wrap-up form in ACW.
type chatPane struct{ w, h int }

func (p *chatPane) SetSize(w, h int) { p.w, p.h = w, h }

func (p *chatPane) Render(f *frame) rendered {
	st, c := f.st, f.sel
	if c == nil {
		return rendered{lines: []string{"", " " + st.Hint.Render("Select a chat, or wait for an offer.")}}
	}
	head := " " + st.Customer.Render(oneLine(c.Customer)) + st.Hint.Render(" · ") + st.State.Render(c.State.Label())
	t1, t2 := f.desk.Thresholds()
	if lvl := c.Pending(f.now, t1, t2); lvl != session.PendingNone {
		// before the queue: when the pane is narrow, the queue is cut first
		style := map[session.Pending]lipgloss.Style{session.PendingGreen: st.Green, session.PendingYellow: st.Yellow, session.PendingRed: st.Red}[lvl]
		d, _ := c.Waiting(f.now)
		head += st.Hint.Render(" · ") + style.Render("awaiting reply "+mmss(d)+pendingWord(lvl))
	}
	if c.Queue != "" {
		head += st.Hint.Render(" · queue " + oneLine(c.Queue))
	}
	top := rendered{lines: []string{head}}
	for _, l := range partyLines(f, c, p.w-1) {
		top.lines = append(top.lines, " "+l)
	}
	top.lines = append(top.lines, recLines(f, c, p.w)...)
	top.lines = append(top.lines, st.Sep.Render(strings.Repeat("─", p.w)))
	w := p.w - 1 // one column of margin on the left
	var foot rendered
	if c.State == session.ACW {
		foot = p.renderACW(f, c, w)
	} else {
		foot = p.footer(f, c, w)
	}
	th := max(p.h-len(top.lines)-len(foot.lines), 1)
	tr := rendered{lines: p.transcript(f, c, w, th)}
	for len(tr.lines) < th { // the newest line sits on the composer
		tr.lines = append([]string{""}, tr.lines...)
	}
	return stack(top, indent(tr, 1), indent(foot, 1)).fit(p.h)
}

// stack puts renders under each other, moving their hits and cursors down.
func stack(rs ...rendered) rendered {
	var out rendered
	for _, r := range rs {
		y := len(out.lines)
		for _, h := range r.hits {
			h.y += y
			out.hits = append(out.hits, h)
		}
		if r.cursor != nil {
			out.cursor = r.cursor
			out.cursor.Y += y
		}
		out.lines = append(out.lines, r.lines...)
	}
	return out
}

// indent moves r right by n columns.
func indent(r rendered, n int) rendered {
	pad := strings.Repeat(" ", n)
	for i := range r.lines {
		r.lines[i] = pad + r.lines[i]
	}
	for i := range r.hits {
		r.hits[i].x += n
	}
	if r.cursor != nil {
		r.cursor.X += n
	}
	return r
}

// footer is everything under the transcript: typing notice, attention,
// the last error and the composer (or the offer's prompt).
func (p *chatPane) footer(f *frame, c *session.Chat, w int) rendered {
	st := f.st
	var r rendered
	if c.Typing {
		text := oneLine(c.Customer) + " is typing…"
		if c.Preview != "" {
			text = oneLine(c.Customer) + " is typing: " + oneLine(c.Preview)
		}
		r.lines = append(r.lines, st.Typing.Render(ansi.Truncate(text, w, "…")))
	}
	for _, n := range lastN(c.Attention, 2) {
		text := "! " + oneLine(n.Text)
		if !n.Deadline.IsZero() && n.Deadline.After(f.now) {
			text += " (in " + mmss(n.Deadline.Sub(f.now)) + ")"
		}
		r.lines = append(r.lines, st.Attention.Render(ansi.Truncate(text, w, "…")))
	}
	if c.LastError != "" {
		r.lines = append(r.lines, st.Error.Render(ansi.Truncate("✗ "+oneLine(c.LastError), w, "…")))
	}
	r.lines = append(r.lines, outgoingLines(f, c, w)...)
	r.lines = append(r.lines, fileLines(f, c, w)...)
	r.lines = append(r.lines, st.Sep.Render(strings.Repeat("─", w)))
	switch {
	case c.State == session.Offered:
		text := "Alerting · a accept · x reject"
		if !c.OfferExpiry.IsZero() && c.OfferExpiry.After(f.now) {
			text += " · ends in " + mmss(c.OfferExpiry.Sub(f.now))
		}
		r.lines = append(r.lines, st.Attention.Render(text))
	case f.m.files.mode != fileNone && f.m.files.chat == c.ID:
		f.m.files.input.SetWidth(max(w-30, 10))
		r.lines = append(r.lines, f.m.files.input.View())
		r.cursorAt(true, len(r.lines)-1, 0, f.m.files.input.Cursor())
	case f.focus == focusPrompt:
		r.lines = append(r.lines, f.m.urlInput.View())
		r.cursorAt(true, len(r.lines)-1, 0, f.m.urlInput.Cursor())
	default:
		r.hit(len(r.lines), 0, w, hitTarget{kind: hitFocus, n: int(focusComposer)})
		r.lines = append(r.lines, f.m.composer.View())
		r.cursorAt(f.focus == focusComposer, len(r.lines)-1, 0, f.m.composer.Cursor())
	}
	return r
}

// transcript returns the last h display lines, scrolled up by the model's
// scroll offset: older sessions first, a divider at each session and day.
func (p *chatPane) transcript(f *frame, c *session.Chat, w, h int) []string {
	sessions := append(historyLines(c.History), c.Transcript)
	need := h + f.m.scroll + 5 // wrap only what can be seen, and a little more
	var blocks [][]string      // per message, newest first
	total, done := 0, true
	si, i := len(sessions)-1, len(sessions[len(sessions)-1])
	for taken := 0; ; taken++ {
		i--
		for i < 0 && si > 0 {
			si--
			i = len(sessions[si]) - 1
		}
		if i < 0 {
			break
		}
		if total >= need || taken >= maxRenderMessages {
			done = false
			break
		}
		m := sessions[si][i]
		at := m.At.In(f.m.loc)
		block := p.line(f, m, at, w)
		if i == 0 || !sameDay(sessions[si][i-1].At.In(f.m.loc), at) {
			block = append([]string{f.st.Divider.Render(divider(dayLabel(at, f.now.In(f.m.loc)), w))}, block...)
		}
		blocks = append(blocks, block)
		total += len(block)
	}
	lines := make([]string, 0, total)
	for b := len(blocks) - 1; b >= 0; b-- {
		lines = append(lines, blocks[b]...)
	}
	if len(lines) == 0 {
		lines = []string{f.st.Hint.Render("No messages yet.")}
	}
	switch {
	case done && c.HistoryMore && len(c.History) > 0: // R-I2: older sessions wait in the hub's store
		day, _ := historySince(f, c)
		lines = append([]string{f.st.Hint.Render("↑ since " + day + " · pgup: older chats with " + oneLine(c.Customer))}, lines...)
	case done && c.HistoryMore:
		lines = append([]string{f.st.Hint.Render("↑ older chats with " + oneLine(c.Customer) + ": scroll up (pgup) to load them")}, lines...)
	case done && len(c.History) > 0:
		day, n := historySince(f, c)
		lines = append([]string{f.st.Hint.Render("── history with " + oneLine(c.Customer) + " since " + day + " (" + n + ")")}, lines...)
	}
	f.m.maxScroll = max(len(lines)-h, 0) // pgup stops at the top
	if !done {
		f.m.maxScroll = max(f.m.maxScroll, f.m.scroll+5) // more above: keep going
	}
	scroll := min(f.m.scroll, max(len(lines)-h, 0))
	end := len(lines) - scroll
	out := lines[max(end-h, 0):end]
	if scroll > 0 && len(out) > 0 {
		out[len(out)-1] = f.st.Hint.Render(fmt.Sprintf("↓ %d newer lines · pgdown", scroll))
	}
	return out
}

// historySince says how far back the history shown goes: the first
// earlier chat's day and how many earlier chats there are (R-I2).
func historySince(f *frame, c *session.Chat) (day, count string) {
	first := c.History[0].Start
	if len(c.History[0].Transcript) > 0 && (first.IsZero() || c.History[0].Transcript[0].At.Before(first)) {
		first = c.History[0].Transcript[0].At
	}
	return dayLabel(first.In(f.m.loc), f.now.In(f.m.loc)), plural(len(c.History), "earlier chat")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// dayLabel names a day for a divider: "Tue 17 Nov", with the year when it
// is not this year.
func dayLabel(at, now time.Time) string {
	if at.Year() != now.Year() {
		return at.Format("Mon 2 Jan 2006")
	}
	return at.Format("Mon 2 Jan")
}

func historyLines(h []session.Session) [][]session.MessageData {
	out := make([][]session.MessageData, len(h))
	for i, s := range h {
		out[i] = s.Transcript
	}
	return out
}

func divider(label string, w int) string {
	s := "── " + label + " "
	return s + strings.Repeat("─", max(w-ansi.StringWidth(s), 2))
}

// line formats one transcript line, wrapped to w under its time:
// "hh:mm sender: text"; system lines dimmed; pushed links shown as the
// real address (R-I5).
func (p *chatPane) line(f *frame, m session.MessageData, at time.Time, w int) []string {
	st := f.st
	body := p.body(f, m)
	lines := strings.Split(ansi.Wrap(body, max(w-6, 10), " "), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = st.Time.Render(at.Format("15:04")) + " " + lines[i]
		} else {
			lines[i] = "      " + lines[i]
		}
	}
	return lines
}

func (p *chatPane) body(f *frame, m session.MessageData) string {
	st := f.st
	if m.File != nil {
		words := fileWords(m.File)
		style := st.Value
		if m.File.Status != "sent" {
			style = st.Error
		}
		name := oneLine(m.Name)
		if name == "" {
			name = m.From
		}
		if m.From == session.FromSystem {
			return style.Render(words)
		}
		who := st.Customer
		if m.From == session.FromAgent {
			who = st.Agent
		}
		return who.Render(name+":") + " " + style.Render(words)
	}
	if m.From == session.FromSystem {
		return st.System.Render("· " + oneLine(m.Text))
	}
	who := st.Customer
	if m.From == session.FromAgent {
		who = st.Agent
	}
	name := oneLine(m.Name)
	if name == "" {
		name = m.From
	}
	text := multiLine(m.Text)
	if u := oneLine(m.URL); u != "" {
		if !strings.Contains(text, u) {
			text = strings.TrimSpace(text + " " + u)
		}
		text = strings.Replace(text, u, st.URL.Render(u), 1)
	}
	return fmt.Sprintf("%s %s", who.Render(name+":"), text)
}

func lastN(ns []session.Notice, n int) []session.Notice {
	if len(ns) > n {
		return ns[len(ns)-n:]
	}
	return ns
}
