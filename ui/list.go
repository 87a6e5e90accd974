package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// chatList is the left pane, My Interactions: one row per chat with the
// pending-response dot (R-I4), the supervisor's eye (R-C8), contact, state
// or recording marker ("REC 01:23", see recMark), time and unread count.
type chatList struct{ w, h int }

func (l *chatList) SetSize(w, h int) { l.w, l.h = w, h }

func (l *chatList) Render(f *frame) rendered {
	st := f.st
	var r rendered
	chats := f.desk.Chats()
	r.lines = append(r.lines, focusTitle(f, focusList, "My Interactions")+st.Hint.Render(fmt.Sprintf(" (%d)", len(chats))))
	r.lines = append(r.lines, st.Sep.Render(strings.Repeat("─", l.w)))
	if len(chats) == 0 {
		msg := "No chats. You are Not ready: press y to take chats."
		if f.desk.Ready {
			msg = "No chats yet. Offers appear here."
		}
		r.lines = append(r.lines, strings.Split(lipgloss.NewStyle().Width(l.w).Render(st.Hint.Render(msg)), "\n")...)
		return r
	}
	t1, t2 := f.desk.Thresholds()
	for _, c := range chats {
		r.hit(len(r.lines), 0, l.w, hitTarget{kind: hitRow, chat: c.ID})
		r.lines = append(r.lines, l.row(f, c, t1, t2))
	}
	return r
}

func (l *chatList) row(f *frame, c *session.Chat, t1, t2 time.Duration) string {
	st := f.st
	dot := st.Off.Render("○")
	switch c.Pending(f.now, t1, t2) {
	case session.PendingGreen:
		dot = st.Green.Render("●")
	case session.PendingYellow:
		dot = st.Yellow.Render("●")
	case session.PendingRed:
		if f.flash {
			dot = st.Off.Render("○")
		} else {
			dot = st.Red.Render("●")
		}
	}
	if c.State == session.Offered {
		dot = st.Attention.Render("◆")
	}
	wait := "     "
	if d, ok := c.Waiting(f.now); ok {
		wait = mmss(d)
	}
	unread := "   "
	if n := unreadCount(f.m, c); n > 0 && c.ID != f.m.selected {
		unread = st.Unread.Render(fmt.Sprintf("%2d", min(n, 99))) + " "
	}
	const stateW = 10
	nameW := max(l.w-2-1-stateW-1-5-1-3, 4)
	name := fitWidth(shortName(oneLine(c.Customer), nameW), nameW)
	state := st.State.Render(c.State.Label())
	if mark, style := recMark(f, c); mark != "" {
		state = style.Render(mark)
	}
	state = fitWidth(state, stateW)
	sup := " "
	if c.Recording != nil && c.Recording.Observed {
		sup = st.RecSup.Render(eye)
	}
	rest := fitWidth(" "+name+sup+state+" "+st.Time.Render(wait)+" "+unread, l.w-1)
	if c.ID == f.m.selected {
		style := st.RowSelOff
		if f.focus == focusList {
			style = st.RowSel
		}
		rest = style.Render(ansi.Strip(rest))
	}
	return dot + rest
}

// shortName fits a name into w cells the way people shorten names:
// "Carla Diaz" becomes "Carla D.", and only a first name too long on its
// own is cut (issue 11 point 14: narrow lists showed "Carla …").
func shortName(name string, w int) string {
	if lipgloss.Width(name) <= w {
		return name
	}
	f := strings.Fields(name)
	if len(f) > 1 {
		last := []rune(f[len(f)-1])
		if s := f[0] + " " + string(last[0]) + "."; lipgloss.Width(s) <= w {
			return s
		}
	}
	return ansi.Truncate(name, w, "…")
}

// unreadCount counts the contact's lines the agent has not seen.
func unreadCount(m *Model, c *session.Chat) int {
	n := 0
	for _, msg := range c.Transcript[min(m.seen[c.ID], len(c.Transcript)):] {
		if msg.From == session.FromCustomer {
			n++
		}
	}
	return n
}
