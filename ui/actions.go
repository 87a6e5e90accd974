package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// action is something the agent can do to the selected chat; toolbar
// buttons, keys and clicks all end up here.
type action int

const (
	actAccept action = iota
	actReject
	actEnd
	actPushURL
	actRecord
	actSnip
	actPause
	actDone
	actFlag   // flag the chat abusive (R-H7); not on the toolbar
	actDelete // confirm the customer's deletion request (R-H6); not on the toolbar
	actQuit   // leave the desktop (asks first with live work); not on the toolbar
)

// button is one toolbar button.
type button struct {
	act   action
	key   string
	label string
}

// buttons is the toolbar, in order.
func buttons() [8]button {
	return [...]button{
		{actAccept, "a", "Accept"}, {actReject, "x", "Reject"}, {actEnd, "e", "End"},
		{actPushURL, "u", "Push URL"}, {actRecord, "r", "Record"}, {actSnip, "s", "Snip"},
		{actPause, "p", "Pause"}, {actDone, "d", "Mark Done"},
	}
}

// errNoHub is the send error when the desktop was built without a hub.
var errNoHub = errors.New("no hub connection")

// available tells whether act is possible on c, and if not, why in words.
// The recording buttons are as the hub says (see recording.go).
func available(c *session.Chat, act action) (bool, string) {
	if c == nil {
		return false, "no chat selected"
	}
	if b, ok := recButton(act); ok {
		bs := c.ButtonState(b)
		return bs.Enabled, bs.Reason
	}
	if ok, why, mine := flagOrDelete(c, act); mine {
		return ok, why
	}
	var want session.State
	var why string
	switch act {
	case actAccept, actReject:
		want, why = session.Offered, "only an alerting chat can be answered"
	case actEnd, actPushURL:
		want, why = session.Connected, "only a connected chat"
	case actDone:
		want, why = session.ACW, "only in wrap-up"
	}
	if c.State != want {
		return false, why
	}
	return true, ""
}

func actionName(act action) string {
	switch act {
	case actFlag:
		return "Flag abusive"
	case actDelete:
		return "Delete"
	case actQuit:
		return "Quit"
	}
	for _, b := range buttons() {
		if b.act == act {
			return b.label
		}
	}
	return "?"
}

// refusedWords says why act cannot be done, naming the action once: a
// reason that names it already ("Snip is unavailable: …") is not prefixed
// with it again.
func refusedWords(act action, why string) string {
	name := actionName(act)
	if strings.HasPrefix(why, name+" ") {
		return why
	}
	return name + ": " + why
}

// do runs act on the selected chat, or says why it cannot.
func (m *Model) do(act action) tea.Cmd {
	c := m.selectedChat()
	if ok, why := available(c, act); !ok {
		m.setError(refusedWords(act, why))
		return nil
	}
	switch act {
	case actAccept:
		return m.send("accept", session.TypeAccept, c.ID, nil)
	case actReject:
		return m.send("reject", session.TypeReject, c.ID, nil)
	case actEnd:
		return tea.Sequence(m.stopTyping(), m.send("end the chat", session.TypeEnd, c.ID, nil))
	case actPushURL:
		m.urlInput.Reset()
		if m.focus != focusPrompt {
			m.promptFrom = m.focus
		}
		m.setFocus(focusPrompt)
		m.setStatus("Push URL: type the address, enter to send, esc to cancel")
		return nil
	case actRecord, actSnip, actPause, actFlag, actDelete:
		return m.doRecording(act, c)
	case actDone:
		if why := m.doneRefusal(c); why != "" {
			m.setError(why)
			m.setFocus(focusDispo)
			return nil
		}
		cmds := []tea.Cmd{m.sendNote(c.ID, strings.TrimSpace(m.note.Value())), m.send("mark done", session.TypeDone, c.ID, nil)}
		m.doneSent[c.ID] = true
		m.setFocus(focusList)
		return tea.Sequence(cmds...)
	}
	return nil
}

// send builds an envelope and returns the command that sends it; a failure
// comes back as a sentMsg that the status line puts in words.
func (m *Model) send(what, typ, chat string, data any) tea.Cmd {
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		m.setError("could not " + what + ": " + err.Error())
		return nil
	}
	h := m.hub
	return func() tea.Msg {
		if h == nil {
			return sentMsg{what: what, err: errNoHub}
		}
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		return sentMsg{what: what, err: h.Send(ctx, e)}
	}
}

func (m *Model) toggleReady() tea.Cmd {
	return m.send("change ready state", session.TypeReady, "", session.ReadyData{Ready: !m.desk.Ready})
}

func (m *Model) stopTyping() tea.Cmd {
	if m.typingChat == "" {
		return nil
	}
	id := m.typingChat
	m.typingChat = ""
	return m.send("send the typing notice", session.TypeTyping, id, session.TypingData{Typing: false})
}

// onKey routes a key press by focus. See keyMap for the two kinds of keys.
func (m *Model) onKey(k tea.KeyPressMsg) tea.Cmd {
	if m.confirm != nil {
		return m.confirmKey(k)
	}
	if key.Matches(k, m.keys.QuitC) {
		return m.quit()
	}
	if m.help {
		if key.Matches(k, m.keys.Esc, m.keys.Help, m.keys.HelpC, m.keys.Quit) {
			m.help = false
		}
		return nil
	}
	if m.showUploads {
		if key.Matches(k, m.keys.Esc, m.keys.Uploads, m.keys.UploadsC, m.keys.Quit) {
			m.showUploads = false
		}
		return nil
	}
	if m.myrec.shown {
		cmd, _ := m.myrec.key(k, m.keys)
		return cmd
	}
	if m.removing != "" {
		return m.removeKey(k)
	}
	if m.files.mode != fileNone {
		return m.fileKey(k)
	}
	if m.showInvite {
		cmd, ok := m.inviteKey(k, true)
		if !ok && key.Matches(k, m.keys.Esc, m.keys.InvView, m.keys.Quit) {
			m.showInvite = false
		}
		if len(m.invites()) == 0 {
			m.showInvite = false
		}
		return cmd
	}
	if cmd, ok := m.inviteKey(k, false); ok {
		return cmd
	}
	if m.consult.shown {
		return m.consultKey(k)
	}
	if m.picker.shown {
		return m.pickerKey(k)
	}
	if m.focus == focusPrompt {
		return m.promptKey(k)
	}
	if cmd, ok := m.chordKey(k); ok {
		return cmd
	}
	switch m.focus {
	case focusComposer:
		if key.Matches(k, m.keys.Send) {
			return m.sendText()
		}
		return m.updateInput(k)
	case focusNote, focusCase:
		if key.Matches(k, m.keys.Send) {
			return m.saveWrapUp()
		}
		return m.updateInput(k)
	case focusDispo:
		switch {
		case key.Matches(k, m.keys.Up):
			m.moveDispo(-1)
			return nil
		case key.Matches(k, m.keys.Down):
			m.moveDispo(1)
			return nil
		case key.Matches(k, m.keys.Send) || k.String() == "space":
			return m.pickDispo(m.draft(m.selected).cursor)
		}
	}
	return m.listKey(k)
}

// chordKey handles the keys that work from anywhere.
func (m *Model) chordKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	acts := []struct {
		b   key.Binding
		act action
	}{
		{m.keys.AcceptC, actAccept}, {m.keys.RejectC, actReject}, {m.keys.EndC, actEnd},
		{m.keys.PushURLC, actPushURL}, {m.keys.RecordC, actRecord}, {m.keys.SnipC, actSnip},
		{m.keys.PauseC, actPause}, {m.keys.DoneC, actDone},
		{m.keys.FlagC, actFlag}, {m.keys.DeleteC, actDelete},
	}
	for _, a := range acts {
		if key.Matches(k, a.b) {
			return m.do(a.act), true
		}
	}
	switch {
	case key.Matches(k, m.keys.ReadyC):
		return m.toggleReady(), true
	case key.Matches(k, m.keys.NextC):
		m.selectIndex(1)
	case key.Matches(k, m.keys.PrevC):
		m.selectIndex(-1)
	case key.Matches(k, m.keys.HelpC):
		m.help = true
	case key.Matches(k, m.keys.UploadsC):
		m.showUploads = true
	case key.Matches(k, m.keys.MyRecC):
		return m.myrec.show(), true
	case key.Matches(k, m.keys.PickerC):
		return m.openPicker(), true
	case key.Matches(k, m.keys.ConsultsC):
		return m.showConsult(), true
	case key.Matches(k, m.keys.Focus):
		m.cycleFocus(1)
	case key.Matches(k, m.keys.BackTab):
		m.cycleFocus(-1)
	case key.Matches(k, m.keys.Esc):
		m.setFocus(focusList)
		m.guard.settle()
	case key.Matches(k, m.keys.ScrollUp):
		return m.scrollUp(5), true
	case key.Matches(k, m.keys.ScrollDown):
		m.scroll = max(m.scroll-5, 0)
	default:
		return nil, false
	}
	return nil, true
}

// listKey handles the single keys of the list focus; after typing, the
// guard keeps text from acting (guard.go).
func (m *Model) listKey(k tea.KeyPressMsg) tea.Cmd {
	if m.stray(k) {
		return nil
	}
	acts := []struct {
		b   key.Binding
		act action
	}{
		{m.keys.Accept, actAccept}, {m.keys.Reject, actReject}, {m.keys.End, actEnd},
		{m.keys.PushURL, actPushURL}, {m.keys.Record, actRecord}, {m.keys.Snip, actSnip},
		{m.keys.Pause, actPause}, {m.keys.Done, actDone},
		{m.keys.Flag, actFlag}, {m.keys.Delete, actDelete},
	}
	for _, a := range acts {
		if key.Matches(k, a.b) {
			return m.do(a.act)
		}
	}
	if cmd, ok := m.inviteKey(k, true); ok {
		return cmd
	}
	switch {
	case key.Matches(k, m.keys.Ready):
		return m.toggleReady()
	case key.Matches(k, m.keys.Up):
		m.guard.settle()
		m.selectIndex(-1)
	case key.Matches(k, m.keys.Down):
		m.guard.settle()
		m.selectIndex(1)
	case key.Matches(k, m.keys.Open):
		m.guard.settle()
		if order := m.focusOrder(); len(order) > 1 {
			m.setFocus(order[1])
		}
	case key.Matches(k, m.keys.Pick):
		if c := m.selectedChat(); c != nil && c.State == session.ACW {
			return m.pickDispo(int(k.String()[0] - '1'))
		}
	case key.Matches(k, m.keys.Help):
		m.help = true
	case key.Matches(k, m.keys.Uploads):
		m.showUploads = true
	case key.Matches(k, m.keys.MyRec):
		return m.myrec.show()
	case key.Matches(k, m.keys.Picker):
		return m.openPicker()
	case key.Matches(k, m.keys.Consults):
		return m.showConsult()
	case key.Matches(k, m.keys.RemoveParty):
		return m.startRemove()
	case key.Matches(k, m.keys.InvView):
		if len(m.invites()) == 0 {
			m.setError("no invitation open")
		} else {
			m.showInvite = true
		}
	case key.Matches(k, m.keys.SendFile):
		return m.startSendFile()
	case key.Matches(k, m.keys.SaveFile):
		return m.startSaveFile()
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	}
	return nil
}

func (m *Model) promptKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Esc): // back where the prompt came from
		back := m.promptFrom
		if back == focusPrompt || !m.focusAllowed(back) {
			back = focusList
		}
		m.setFocus(back)
		m.setStatus("Push URL cancelled")
		return nil
	case key.Matches(k, m.keys.Send):
		u, err := webAddress(m.urlInput.Value())
		if err != nil {
			m.setError("Push URL: " + err.Error())
			return nil
		}
		c := m.selectedChat()
		if ok, why := available(c, actPushURL); !ok {
			m.setError("Push URL: " + why)
			m.setFocus(focusList)
			return nil
		}
		m.setFocus(focusComposer)
		m.setStatus("pushed " + u)
		return m.send("push the URL", session.TypePushURL, c.ID, session.PushURLData{URL: u})
	}
	return m.updateInput(k)
}

// webAddress turns what the agent typed into the http(s) address the
// customer gets: a bare "example.org/help" is taken as https (and shown
// so). Other schemes, spaces, and hosts that are not a domain name, an IP
// address or localhost are refused, in words.
func webAddress(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	bad := fmt.Errorf("%q is not a web address: write one like example.org/help or https://example.org/help", s)
	if s == "" || strings.ContainsAny(s, " \t") {
		return "", bad
	}
	if !strings.Contains(s, "://") {
		if i := strings.IndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], ".") && s[:i] != "localhost" {
			return "", fmt.Errorf("%q: only http and https addresses can be pushed", s) // mailto:, javascript:…
		}
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", bad
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q: only http and https addresses can be pushed", strings.TrimSpace(raw))
	}
	host := u.Hostname()
	if !strings.Contains(host, ".") && host != "localhost" && net.ParseIP(host) == nil {
		return "", bad
	}
	return u.String(), nil
}

// updateInput passes a key or paste to the focused text field and, for the
// composer, tells the hub the agent is typing (throttled).
func (m *Model) updateInput(msg tea.Msg) tea.Cmd {
	var ti *textinput.Model
	switch m.focus {
	case focusComposer:
		ti = &m.composer
	case focusPrompt:
		ti = &m.urlInput
	case focusNote:
		ti = &m.note
	case focusCase:
		ti = &m.caseIn
	default:
		return nil
	}
	before := ti.Value()
	var cmd tea.Cmd
	*ti, cmd = ti.Update(msg)
	if m.focus != focusComposer || ti.Value() == before {
		return cmd
	}
	m.guard.typed()
	now := m.now()
	m.lastKey = now
	c := m.selectedChat()
	if c == nil || (m.typingChat == c.ID && now.Sub(m.typingSent) < typingEvery) {
		return cmd
	}
	m.typingChat, m.typingSent = c.ID, now
	return tea.Batch(cmd, m.send("send the typing notice", session.TypeTyping, c.ID, session.TypingData{Typing: true}))
}

func (m *Model) sendText() tea.Cmd {
	text := strings.TrimSpace(m.composer.Value())
	c := m.selectedChat()
	if text == "" || c == nil {
		return nil
	}
	if c.State != session.Connected {
		m.setError("Send: only a connected chat")
		return nil
	}
	m.composer.Reset()
	m.scroll = 0
	send := m.send("send the message", session.TypeSend, c.ID, session.SendData{Text: text})
	return tea.Sequence(send, m.stopTyping())
}

// onClick does what the clicked region of the last screen does: select a
// row, press a button, pick a disposition.
func (m *Model) onClick(ms tea.Mouse) tea.Cmd {
	if ms.Button != tea.MouseLeft {
		return nil
	}
	if m.help {
		m.help = false
		return nil
	}
	if m.confirm != nil {
		m.setStatus(actionName(m.confirm.act) + ": cancelled")
		m.confirm = nil
		return nil
	}
	m.guard.settle() // a click is deliberate
	_, hits, _ := m.layout()
	for _, h := range hits {
		if ms.Y != h.y || ms.X < h.x || ms.X >= h.x+h.w {
			continue
		}
		switch h.t.kind {
		case hitRow:
			m.selectChat(h.t.chat)
			m.setFocus(focusList)
		case hitButton:
			return m.do(h.t.act)
		case hitDispo:
			m.setFocus(focusDispo)
			return m.pickDispo(h.t.n)
		case hitPickRow, hitPickAct:
			return m.pickerClick(h.t)
		case hitInvite:
			return m.answerInvite(h.t.n == 1)
		case hitConsultOpen:
			return m.showConsult()
		case hitFocus:
			if f := focus(h.t.n); m.focusAllowed(f) {
				m.setFocus(f)
			}
		}
		return nil
	}
	return nil
}
