package ui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// R-I2: older sessions load as the agent scrolls up past the top of what
// the desk has; the ask goes once until they come, and the transcript says
// whether more remain or where the history begins.
func TestScrollUpLoadsOlderHistory(t *testing.T) {
	m, h, _ := newModel(t)
	welcomeDesk(t, m)
	bob := *m.desk.Chat("bob")
	bob.HistoryMore = true
	feed(t, m, frame_(t, session.TypeChat, "bob", bob.ChatData))
	selectChat(t, m, "Bob Marsh")
	if s := plain(t, m); !strings.Contains(s, "older chats with Bob Marsh") {
		t.Fatalf("no hint that older chats remain:\n%s", s)
	}
	h.reset()
	for range 10 {
		press(t, m, "pgup")
	}
	if got := h.types(); !reflect.DeepEqual(got, []string{"history:bob"}) {
		t.Fatalf("sent %v, want one history request", got)
	}
	var req session.HistoryRequest
	if err := h.last(t).Decode(&req); err != nil || req.Before != "old" {
		t.Fatalf("request %+v %v, want before the oldest session the desk has", req, err)
	}
	at := now.AddDate(0, 0, -9)
	feed(t, m, frame_(t, session.TypeHistory, "bob", session.HistoryData{Sessions: []session.Session{{Chat: "older", Start: at,
		Transcript: []session.MessageData{line(1, session.FromCustomer, "Bob Marsh", "A question from last month.", at)}}}}))
	for range 10 {
		press(t, m, "pgup")
	}
	if s := plain(t, m); !strings.Contains(s, "A question from last month.") || !strings.Contains(s, "history with Bob Marsh since") {
		t.Fatalf("older session not shown at the top:\n%s", s)
	}
	if got := h.types(); len(got) != 1 {
		t.Fatalf("asked again with nothing more to load: %v", got)
	}
}
