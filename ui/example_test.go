package ui_test

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
)

// chanHub stands in for session/hubclient.Client.
type chanHub struct{ events chan session.LinkEvent }

func (h chanHub) Send(ctx context.Context, e session.Envelope) error { return ctx.Err() }
func (h chanHub) Events() <-chan session.LinkEvent                   { return h.events }

// The desktop in a terminal: build it on a hub connection and run it.
func Example() {
	hub := chanHub{events: make(chan session.LinkEvent)}
	m := ui.New(ui.Options{Hub: hub, Banner: "customer page: http://127.0.0.1:8080/"})
	if _, err := tea.NewProgram(m).Run(); err != nil {
		fmt.Println("agentdesk:", err)
	}
}
