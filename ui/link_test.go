package ui

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// The title bar says Connected only once the hub's welcome is applied: a
// link that is up but not yet welcomed (no agent, no chats yet) is still
// connecting, the first time and after every reconnect.
func TestTitleConnectedOnlyWhenWelcomed(t *testing.T) {
	m, _, _ := newModel(t)
	welcome := frame_(t, session.TypeWelcome, "", session.WelcomeData{
		Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace", Capacity: 2}, Settings: settings()})
	title := func() string { return strings.SplitN(plain(t, m), "\n", 2)[0] }
	steps := []struct {
		name string
		do   func()
		want string
		not  string
	}{
		{"dialling", func() {}, "Connecting…", "Connected"},
		{"link up, no welcome yet", func() { link(m, session.LinkStatus{State: session.LinkUp}) }, "Connecting…", "● Connected"},
		{"welcomed", func() { feed(t, m, welcome) }, "● Connected", "Connecting"},
		{"dropped", func() { link(m, session.LinkStatus{State: session.LinkDown, Err: "reset"}) }, "Disconnected", "● Connected"},
		{"up again, no welcome yet", func() { link(m, session.LinkStatus{State: session.LinkUp}) }, "Connecting…", "● Connected"},
		{"welcomed again", func() { feed(t, m, welcome) }, "● Connected", "Connecting"},
	}
	for _, s := range steps {
		s.do()
		got := title()
		if !strings.Contains(got, s.want) || strings.Contains(got, s.not) {
			t.Errorf("%s: title %q; want %q and no %q", s.name, got, s.want, s.not)
		}
	}
}
