package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// Recording control on the desktop (issue 4). The hub decides every rule:
// the desktop shows the state and the button states the hub sends, and
// sends the agent's presses. This file holds how recording looks (the
// marker in the list row, the lines under the chat header, the toolbar's
// reasons) and the y/n questions of the abusive flag and the deletion.

// recButton maps a toolbar action to the session's recording button.
func recButton(act action) (session.Button, bool) {
	switch act {
	case actRecord:
		return session.BtnRecord, true
	case actSnip:
		return session.BtnSnip, true
	case actPause:
		return session.BtnPause, true
	}
	return 0, false
}

// flagOrDelete tells whether the abusive flag (R-H7) or the deletion
// (R-H6) is possible on c; mine is false for any other action.
func flagOrDelete(c *session.Chat, act action) (ok bool, why string, mine bool) {
	switch act {
	case actFlag:
		if c.Recording != nil && c.Recording.Abusive {
			return false, "this chat is already flagged abusive", true
		}
		if c.State != session.Connected && c.State != session.ACW {
			return false, "only a connected chat or one in wrap-up", true
		}
		return true, "", true
	case actDelete:
		switch {
		case c.Recording != nil && c.Recording.Deleted:
			return false, "the recording is already deleted", true
		case c.Recording == nil || !c.Recording.DeleteAsk:
			return false, "the customer has not asked to delete the recording", true
		}
		return true, "", true
	}
	return false, "", false
}

// recMark is the chat's recording state at a glance: the running
// recording's cause with its part's elapsed time, "REC 01:23" (the agent's
// Record), "SNIP 00:12", "AUTO 03:10", "FULL 03:10", "SEL 00:40" (the
// queue's routing), "SUP 00:40" (a supervisor, R-C8), "FLOW", "API" (see
// session.Cause), or "PAUSED". It is empty when nothing records.
func recMark(f *frame, c *session.Chat) (string, lipgloss.Style) {
	st := f.st
	if c.Recording == nil {
		return "", st.RecInfo
	}
	if r, ok := c.Running(); ok {
		mark, _, others := session.Cause(r)
		if !r.Since.IsZero() {
			mark += " " + mmss(max(f.now.Sub(r.Since), 0))
		}
		if others {
			return mark, st.RecSup
		}
		return mark, st.Rec
	}
	if c.PausedOnly() {
		return "PAUSED", st.RecPaused
	}
	return "", st.RecInfo
}

// eye is the list row's R-C8 marker: someone other than the agent
// records the chat.
const eye = "◉"

// recLines are the lines under the chat header: what records, why and
// since when (issue 11 point 4: the real cause, not "a supervisor" for
// all), who else records (R-C8), consent, the abusive flag (R-H7) and the
// customer's deletion request with what to press (R-H6). None when the hub
// sent no recording state or there is nothing to say.
func recLines(f *frame, c *session.Chat, w int) []string {
	st, rd := f.st, c.Recording
	if rd == nil {
		return nil
	}
	sep := st.Hint.Render(" · ")
	var parts []string
	mark, style := recMark(f, c)
	run, running := c.Running()
	_, _, othersRun := session.Cause(run)
	switch {
	case mark != "" && running && othersRun:
		parts = append(parts, style.Render(eye+" "+mark)+" "+st.RecSup.Render(causeOf(run)))
	case mark != "":
		parts = append(parts, style.Render("● "+mark)+st.RecInfo.Render(recWhat(c, mark)))
	case ownStopped(c) != "":
		parts = append(parts, st.RecInfo.Render(ownStopped(c)))
	}
	var more []string // the others who record too (R-C8), a line each
	for _, r := range rd.Recordings {
		if (r.State != session.RecOn.String() && r.State != session.RecPaused.String()) || (running && r.ID == run.ID) {
			continue
		}
		if m, _, others := session.Cause(r); others {
			more = append(more, " "+st.RecSup.Render(ansi.Truncate(eye+" "+m+" "+causeOf(r), w-1, "…")))
		}
	}
	if cw := captureWords(f, c); cw != "" {
		parts = append(parts, cw)
	}
	if rd.Consent != "" {
		parts = append(parts, st.RecInfo.Render("consent: "+consentWords(rd.Consent)))
	}
	if rd.Abusive {
		parts = append(parts, st.Attention.Render("flagged abusive"))
	}
	if rd.Deleted {
		parts = append(parts, st.RecInfo.Render("recording deleted at the customer's request"))
	}
	var out []string
	if len(parts) > 0 {
		out = append(out, " "+ansi.Truncate(strings.Join(parts, sep), w-1, "…"))
	}
	out = append(out, more...)
	if rd.DeleteAsk && !rd.Deleted {
		out = append(out, " "+st.Attention.Render(ansi.Truncate("customer asked to delete the recording — press D to confirm", w-1, "…")))
	}
	return out
}

// causeOf is session.Cause's words for r, paused said so.
func causeOf(r session.RecordingInfo) string {
	_, words, _ := session.Cause(r)
	if r.State == session.RecPaused.String() {
		words += ", paused"
	}
	return words
}

// recWhat says in words what the marker stands for: a pause records
// nothing (R-C5), a snippet goes to the recording store (R-C7).
func recWhat(c *session.Chat, mark string) string {
	if strings.HasPrefix(mark, "PAUSED") {
		return ": nothing is recorded now · p resumes"
	}
	r, ok := c.Running()
	if !ok {
		return ""
	}
	_, words, _ := session.Cause(r)
	return " " + words + partOf(&r)
}

// ownStopped describes the agent's stopped Record or Snip, which the next
// press continues (R-C1), or, once the chat is over, the one recording its
// parts were joined into (R-C6) and where it goes (R-C7).
func ownStopped(c *session.Chat) string {
	for _, k := range []session.Kind{session.KindRecord, session.KindSnip} {
		r := c.RecordingOf(k)
		if r == nil || (r.State != "stopped" && r.State != "final") {
			continue
		}
		name, dest := "Record", "a file for you"
		if k == session.KindSnip {
			name, dest = "Snip", "to the recording store"
		}
		if r.State == "final" {
			return fmt.Sprintf("○ %s: %s, one recording, %s", name, plural(r.Parts, "part"), dest)
		}
		s := fmt.Sprintf("○ %s stopped", name)
		if r.Parts > 1 {
			s += fmt.Sprintf(" (%d parts)", r.Parts)
		}
		return s
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func partOf(r *session.RecordingInfo) string {
	if r == nil || r.Parts < 2 {
		return ""
	}
	return fmt.Sprintf(", part %d", r.Parts)
}

// consentWords names the customer's answer to the consent question.
func consentWords(s string) string {
	switch s {
	case "no":
		return "declined"
	case "asked", "yes":
		return s
	}
	return oneLine(s)
}

// recHint says why each disabled recording button is, in at most w
// cells: buttons that share a reason are named together ("Record · Snip:
// …"), a reason that names its button already is not prefixed with it
// again ("Snip is unavailable: …", said once). "" when all are available.
func recHint(c *session.Chat, w int) string {
	var order []string
	names := map[string][]string{}
	for _, act := range []action{actRecord, actSnip, actPause} {
		b, _ := recButton(act)
		bs := c.ButtonState(b)
		if bs.Enabled {
			continue
		}
		why := oneLine(bs.Reason)
		if _, seen := names[why]; !seen {
			order = append(order, why)
		}
		names[why] = append(names[why], b.String())
	}
	var out []string
	for _, why := range order {
		who := names[why]
		if len(who) == 1 && strings.HasPrefix(why, who[0]+" ") {
			out = append(out, why)
			continue
		}
		out = append(out, strings.Join(who, " · ")+": "+why)
	}
	return ansi.Truncate(strings.Join(out, " │ "), w, "…")
}

// stateHint is the toolbar's second line for chat c: what the chat's
// state allows and why the other buttons are off, so every greyed button
// has its reason on screen; then the recording buttons' reasons.
func stateHint(f *frame, c *session.Chat, w int) string {
	var lead string
	switch c.State {
	case session.Offered:
		lead = "Alerting: a accepts, x rejects; End, Push URL and recording once you accept"
		if !c.OfferExpiry.IsZero() && c.OfferExpiry.After(f.now) {
			lead = "Alerting (" + mmss(c.OfferExpiry.Sub(f.now)) + " left): a accepts, x rejects; the rest once you accept"
		}
		return ansi.Truncate(lead, w, "…")
	case session.ACW:
		lead = "Wrap-up: pick a disposition, d marks done"
		if f.desk.Settings.RequireDisposition && c.Disposition == "" && f.m.draft(c.ID).picked == "" {
			lead = "Wrap-up: pick a disposition (1-9) before d Mark Done"
		}
	}
	rec := recHint(c, w)
	if c.State == session.ACW && strings.Contains(rec, session.NoRecordingState) {
		rec = "" // said by the state already
	}
	switch {
	case lead != "" && rec != "":
		return ansi.Truncate(lead+" │ "+rec, w, "…")
	case lead != "":
		return ansi.Truncate(lead, w, "…")
	case rec == "":
		return "Record · Snip · Pause available · ! flags the chat abusive"
	}
	return rec
}

// confirmation is a pending y/n question: about one chat (the abusive
// flag, the deletion) or the desktop (quitting with live work, whose
// detail lines fill the body).
type confirmation struct {
	act      action // actFlag, actDelete or actQuit
	chat     string
	question string
	detail   []string
}

// title is the question without its answer keys, for a dialog.
func (q *confirmation) title() string {
	t, _, _ := strings.Cut(q.question, "?")
	return t + "?"
}

// doRecording sends a recording button's press, or asks before the
// abusive flag and the deletion are sent (confirmKey sends them).
func (m *Model) doRecording(act action, c *session.Chat) tea.Cmd {
	switch act {
	case actFlag:
		m.ask(act, c, "Flag this chat abusive? y/n ("+oneLine(c.Customer)+"; an abusive chat is always recorded)")
		return nil
	case actDelete:
		m.ask(act, c, "Delete the recording? y/n ("+oneLine(c.Customer)+" asked for deletion)")
		return nil
	}
	b, _ := recButton(act)
	return m.send("press "+b.String(), session.TypeRecord, c.ID, session.RecordData{Button: b.Key()})
}

// ask puts a y/n question about c before act is sent.
func (m *Model) ask(act action, c *session.Chat, question string) {
	m.confirm = &confirmation{act: act, chat: c.ID, question: question}
}

// confirmKey answers the pending question: y sends (or quits), n or esc
// cancels; ctrl+c quits (asking first with live work); any other key is
// ignored while the question stands.
func (m *Model) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	q := m.confirm
	switch {
	case q.act == actQuit && key.Matches(k, m.keys.Yes, m.keys.QuitC):
		m.confirm = nil
		return m.leave()
	case key.Matches(k, m.keys.QuitC): // another question: ctrl+c drops it and asks to quit
		m.confirm = nil
		return m.quit()
	case key.Matches(k, m.keys.Yes):
		m.confirm = nil
		c := m.desk.Chat(q.chat)
		if c == nil {
			m.setError(actionName(q.act) + ": the chat is gone")
			return nil
		}
		if ok, why := available(c, q.act); !ok {
			m.setError(refusedWords(q.act, why))
			return nil
		}
		if q.act == actFlag {
			m.setStatus("flagged " + oneLine(c.Customer) + "'s chat abusive")
			return m.send("flag the chat abusive", session.TypeAbusive, c.ID, nil)
		}
		m.setStatus("deletion of the recording confirmed")
		return m.send("delete the recording", session.TypeDeleteRec, c.ID, nil)
	case key.Matches(k, m.keys.No):
		m.confirm = nil
		m.setStatus(actionName(q.act) + ": cancelled")
	}
	return nil
}
