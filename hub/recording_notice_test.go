package hub

import (
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestCustomerToldOfRecording_X_2: the customer is told when the chat
// starts being recorded, is paused, resumes and stops being recorded, in
// the queue's words: a recording_notice frame for the page's indicator and
// a line of the transcript both sides see; a customer who comes back is
// told where it stands.
func TestCustomerToldOfRecording_X_2(t *testing.T) {
	r := recHub(t, func(c *Config) {
		c.Queues[0].NoticeRecording = "We record this chat to train our staff."
	})
	notice := func(wantState, wantText string) {
		t.Helper()
		n, _ := expectData[session.RecordingNoticeData](r.cust, session.TypeRecordingNotice)
		if n.State != wantState || n.Text != wantText {
			t.Fatalf("notice %+v, want %s %q", n, wantState, wantText)
		}
		if m := lineWith(r.cust, wantText); m.From != session.FromSystem {
			t.Fatalf("the notice line %+v", m)
		}
		lineWith(r.g, wantText) // the agent sees what the customer was told
	}
	r.cust.expectNone(session.TypeRecordingNotice) // nothing records it yet: nothing to tell
	r.press(t, "record")
	notice(session.NoticeRecording, "We record this chat to train our staff.")
	r.press(t, "pause")
	notice(session.NoticePaused, DefaultNoticePaused)
	r.press(t, "pause")
	notice(session.NoticeRecording, "We record this chat to train our staff.")
	// A customer who comes back is told where it stands.
	c2 := dial(t, r.base, "/v1/customer")
	c2.send(session.TypeJoin, "", session.JoinData{Resume: r.resume})
	c2.expect(session.TypeJoined)
	if n, _ := expectData[session.RecordingNoticeData](c2, session.TypeRecordingNotice); n.State != session.NoticeRecording {
		t.Fatalf("on resume: %+v", n)
	}
	r.cust = c2
	r.press(t, "record") // stop
	notice(session.NoticeStopped, DefaultNoticeStopped)
}
