package hub

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestRecordingNamedWhenItBegins_R_H4: a recording has its file name from
// the template as soon as it begins, so a desktop that must recover its
// capture before the chat ends names it so; the finished recording keeps
// that name, and the agent is told in words.
func TestRecordingNamedWhenItBegins_R_H4(t *testing.T) {
	r := recHub(t, nil)
	d := r.press(t, "record")
	if len(d.Recordings) != 1 || d.Recordings[0].Name != "general_grace_record_"+r.chat {
		t.Fatalf("recording frame after Record: %+v", d.Recordings)
	}
	last := r.finish(t)
	l := r.stored(t)
	if len(l.Recordings) != 1 || l.Recordings[0].Name != d.Recordings[0].Name {
		t.Fatalf("stored %+v, want the name given at the start", l.Recordings)
	}
	if want := "the hub stored the recording " + d.Recordings[0].Name; !strings.Contains(last.Change, want) {
		t.Fatalf("the agent was told %q, want %q", last.Change, want)
	}
}

// TestMarkDoneNeedsADisposition_R_I10: with require_disposition Mark Done
// without a disposition is refused in words; the welcome says so, with the
// agent's grace for the quit question.
func TestMarkDoneNeedsADisposition_R_I10(t *testing.T) {
	s, base := startHub(t, func(c *Config) { c.RequireDisposition = true })
	g, w := agentLogin(t, base, "t-grace", true)
	if !w.Settings.RequireDisposition || w.Settings.AgentGrace.Std() != s.cfg.Timers.AgentGrace {
		t.Fatalf("settings %+v", w.Settings)
	}
	cust, j := customerJoin(t, base, session.JoinData{Name: "Dee"})
	connect(t, g, cust, j.Chat)
	g.send(session.TypeEnd, j.Chat, nil)
	g.expect(session.TypeState)
	g.send(session.TypeDone, j.Chat, nil)
	if e, _ := expectData[session.ErrorData](g, session.TypeError); e.Code != session.ErrCodeBadRequest || !strings.Contains(e.Message, "disposition") {
		t.Fatalf("done without a disposition: %+v", e)
	}
	g.send(session.TypeWrapUp, j.Chat, session.WrapUpData{Disposition: "Resolved"})
	g.expect(session.TypeChat)
	g.send(session.TypeDone, j.Chat, nil)
	if st, _ := expectData[session.StateData](g, session.TypeState); st.State != session.Done {
		t.Fatalf("done after the disposition: %+v", st)
	}
}

// TestDeletionAskedInWrapUp_R_H6: the customer may still ask for deletion
// while the agent wraps up, the agent confirms it there, and the customer
// is told; after the chat is done the hub says how to ask instead.
func TestDeletionAskedInWrapUp_R_H6(t *testing.T) {
	r := recHub(t, nil)
	r.press(t, "record")
	r.g.send(session.TypeEnd, r.chat, nil)
	r.g.expect(session.TypeState)
	r.cust.send(session.TypeDeleteAsk, r.chat, nil)
	if d := recFrame(r.g); !d.DeleteAsk {
		t.Fatalf("after the ask in wrap-up: %+v", d)
	}
	r.g.send(session.TypeDeleteRec, r.chat, nil)
	if d := recFrame(r.g); !d.Deleted {
		t.Fatalf("after the confirmation: %+v", d)
	}
	n, _ := expectData[session.RecordingNoticeData](r.cust, session.TypeRecordingNotice)
	for n.State != session.NoticeDeleted { // the notices of the recording's start and stop come first
		n, _ = expectData[session.RecordingNoticeData](r.cust, session.TypeRecordingNotice)
	}
	if n.Text != DefaultNoticeDeleted {
		t.Fatalf("the customer was told %+v", n)
	}
	r.g.send(session.TypeDone, r.chat, nil)
	for st, _ := expectData[session.StateData](r.g, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](r.g, session.TypeState) {
	}
	r.cust.send(session.TypeDeleteAsk, r.chat, nil)
	if e, _ := expectData[session.ErrorData](r.cust, session.TypeError); e.Code != session.ErrCodeChatEnded || !strings.Contains(e.Message, r.chat) {
		t.Fatalf("an ask after the end: %+v", e)
	}
	if l := r.stored(t); len(l.Recordings) != 0 || len(l.Dropped) != 1 || l.Dropped[0].Name != "" {
		t.Fatalf("stored %+v", l)
	}
}
