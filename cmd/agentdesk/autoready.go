package main

import (
	"context"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
)

// readyOnWelcome returns a hub that forwards to h and, when the first
// welcome finds the agent Not ready, sends ready: the demo agent takes chats
// at once, as a newcomer running `make run` expects. Later welcomes (after a
// reconnect) are left alone: the agent may have chosen Not ready since. The
// returned hub's Events closes when h's does or when ctx ends.
func readyOnWelcome(ctx context.Context, h ui.Hub) ui.Hub {
	r := &autoReady{Hub: h, events: make(chan session.LinkEvent)}
	go r.relay(ctx)
	return r
}

// autoReady is the hub of readyOnWelcome.
type autoReady struct {
	ui.Hub
	events chan session.LinkEvent
}

// Events delivers h's events.
func (r *autoReady) Events() <-chan session.LinkEvent { return r.events }

func (r *autoReady) relay(ctx context.Context) {
	defer close(r.events)
	in := r.Hub.Events()
	welcomed := false
	for {
		var ev session.LinkEvent
		select {
		case e, ok := <-in:
			if !ok {
				return
			}
			ev = e
		case <-ctx.Done():
			return
		}
		select {
		case r.events <- ev:
		case <-ctx.Done():
			return
		}
		if welcomed || ev.Envelope == nil || ev.Envelope.Type != session.TypeWelcome {
			continue
		}
		welcomed = true
		var w session.WelcomeData
		if ev.Envelope.Decode(&w) != nil || w.Ready {
			continue
		}
		e, err := session.NewEnvelope(session.TypeReady, "", session.ReadyData{Ready: true})
		if err == nil {
			// On failure (the link dropped at once) the agent stays Not
			// ready, the screen says so, and y still works.
			_ = r.Hub.Send(ctx, e)
		}
	}
}
