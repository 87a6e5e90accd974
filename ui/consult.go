package ui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// The consultation view (R-I9): C or f9 shows a consultation in the body,
// the contact's transcript read-only above, the two agents' lines below
// and a line to write; enter sends, ctrl+e ends the consultation (the
// chat goes on), f7 makes it a transfer and f8 a conference (the owner's
// keys), tab goes to the next consultation, esc closes the view.

type consultView struct {
	shown bool
	id    string            // the consultation shown
	want  string            // the chat of a consultation just accepted: shown when it opens
	about map[string]string // customer names of the chats consulted about, from their invitations
	input textinput.Model
}

func newConsultView() *consultView {
	v := &consultView{}
	v.input = newInput("› ", "a line to your colleague, enter to send", 4000)
	return v
}

// otherOf is the other agent of a consultation.
func (m *Model) otherOf(k *session.Consultation) session.AgentRef {
	if k.From.ID == m.desk.Agent.ID {
		return k.With
	}
	return k.From
}

// current is the consultation shown, or the first one; nil when none.
func (m *Model) current() *session.Consultation {
	ks := m.desk.Consultations()
	for _, k := range ks {
		if k.ID == m.consult.id {
			return k
		}
	}
	if len(ks) == 0 {
		return nil
	}
	m.consult.id = ks[0].ID
	return ks[0]
}

// showConsult opens (or closes) the consultation view.
func (m *Model) showConsult() tea.Cmd {
	if m.consult.shown {
		m.consult.shown = false
		m.consult.input.Blur()
		return nil
	}
	k := m.current()
	if k == nil {
		m.setError("no consultation open: t on a connected chat, then o, starts one")
		return nil
	}
	m.consult.shown = true
	m.desk.ReadConsultation(k.ID)
	return m.consult.input.Focus()
}

// consultOpened shows a consultation this agent just accepted.
func (m *Model) consultOpened(e *session.Envelope) {
	if e == nil || e.Type != session.TypeConsultation || m.consult.want == "" {
		return
	}
	var k session.ConsultationData
	if e.Decode(&k) == nil && k.Chat == m.consult.want && k.State == session.ConsultOpen {
		m.consult.want, m.consult.id, m.consult.shown = "", k.ID, true
		m.consult.input.Focus()
	}
}

// consultKey handles a key while the view is shown.
func (m *Model) consultKey(k tea.KeyPressMsg) tea.Cmd {
	v := m.consult
	cur := m.current()
	if cur == nil {
		v.shown = false
		return nil
	}
	mine := cur.From.ID == m.desk.Agent.ID
	switch {
	case key.Matches(k, m.keys.Esc), key.Matches(k, m.keys.ConsultsC):
		v.shown = false
		v.input.Blur()
		return nil
	case key.Matches(k, m.keys.Focus):
		ks := m.desk.Consultations()
		for i, x := range ks {
			if x.ID == cur.ID {
				v.id = ks[(i+1)%len(ks)].ID
				m.desk.ReadConsultation(v.id)
				break
			}
		}
		return nil
	case key.Matches(k, m.keys.EndC):
		m.setStatus("ending the consultation with " + oneLine(m.otherOf(cur).Name) + "; the chat goes on")
		return m.send("end the consultation", session.TypeConsultEnd, cur.ID, nil)
	case key.Matches(k, m.keys.ConsultTransfer), key.Matches(k, m.keys.ConsultConf):
		if !mine {
			m.setError("only " + oneLine(cur.From.Name) + ", who owns the chat, can make it a transfer or a conference")
			return nil
		}
		to, words := session.InviteTransfer, "a transfer"
		if key.Matches(k, m.keys.ConsultConf) {
			to, words = session.InviteConference, "a conference"
		}
		m.setStatus("making the consultation with " + oneLine(m.otherOf(cur).Name) + " " + words)
		return m.send("make the consultation "+words, session.TypeConsultTo, cur.ID, session.ConvertData{To: to})
	case key.Matches(k, m.keys.Send):
		text := strings.TrimSpace(v.input.Value())
		if text == "" {
			return nil
		}
		v.input.Reset()
		return m.send("send the line", session.TypeConsultSend, cur.ID, session.SendData{Text: text})
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(k)
	return cmd
}

// renderConsult draws the view in the body area.
func (m *Model) renderConsult(f *frame, w, h int) rendered {
	st := f.st
	k := m.current()
	var r rendered
	if k == nil {
		r.lines = []string{"", " " + st.Hint.Render("No consultation open.")}
		return r.fit(h)
	}
	m.desk.ReadConsultation(k.ID)
	inner := w - 2
	about := k.Chat
	if n := m.consult.about[k.Chat]; n != "" {
		about = "the chat with " + oneLine(n)
	}
	contact := k.Contact
	if c := f.desk.Chat(k.Chat); c != nil {
		about = "the chat with " + oneLine(c.Customer)
		if len(contact) == 0 {
			contact = c.Transcript
		}
	}
	head := st.Label.Render("Consultation with "+oneLine(m.otherOf(k).Name)) + st.Hint.Render(" about "+about+" · the customer does not see it")
	if n := len(f.desk.Consultations()); n > 1 {
		head += st.Hint.Render(" · tab: next of " + strconv.Itoa(n))
	}
	r.lines = append(r.lines, " "+ansi.Truncate(head, inner, "…"))
	keys := "enter sends · ^E ends the consultation · esc closes"
	if k.From.ID == f.desk.Agent.ID {
		keys = "f7 make it a transfer · f8 make it a conference · " + keys
	}
	r.lines = append(r.lines, " "+st.Hint.Render(ansi.Truncate(keys, inner, "…")))
	body := h - len(r.lines) - 3
	topH := body / 2
	r.lines = append(r.lines, st.Divider.Render(divider("the contact's chat, read-only", w)))
	var cl []string
	for _, l := range contact {
		for _, s := range m.pane.(*chatPane).line(f, l, l.At.In(f.m.loc), inner) {
			cl = append(cl, " "+s)
		}
	}
	r.lines = append(r.lines, padTop(lastLines(cl, topH), topH)...)
	r.lines = append(r.lines, st.Divider.Render(divider("between you", w)))
	var il []string
	for _, l := range k.Lines {
		for _, s := range m.pane.(*chatPane).line(f, l, l.At.In(f.m.loc), inner) {
			il = append(il, " "+s)
		}
	}
	if len(il) == 0 {
		il = []string{" " + st.Hint.Render("No lines yet.")}
	}
	botH := body - topH
	r.lines = append(r.lines, padTop(lastLines(il, botH), botH)...)
	m.consult.input.SetWidth(max(inner-4, 10))
	r.lines = append(r.lines, " "+m.consult.input.View())
	r.cursorAt(true, len(r.lines)-1, 1, m.consult.input.Cursor())
	return r.fit(h)
}

func lastLines(ls []string, n int) []string {
	if len(ls) > n {
		return ls[len(ls)-n:]
	}
	return ls
}

func padTop(ls []string, n int) []string {
	for len(ls) < n {
		ls = append([]string{""}, ls...)
	}
	return ls
}
