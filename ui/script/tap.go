package script

import (
	"context"
	"sync"

	"github.com/agentdesk/agentdesk/session"
)

// Hub is the desktop's connection to the hub, as ui.Hub declares it
// (session/hubclient implements it).
type Hub interface {
	Send(ctx context.Context, e session.Envelope) error
	Events() <-chan session.LinkEvent
}

// TapHub returns a Hub that forwards to h and writes to log every frame out
// ("proto", dir "out"), every frame in ("proto", dir "in"), every change of
// the link ("link") and every chat state the hub announces ("chat_state",
// from offer, chat and state frames) and every recording state ("recording",
// from recording frames). Give the tapped hub to ui.New. The
// returned hub's Events channel closes when h's does, or when ctx ends.
func TapHub(ctx context.Context, h Hub, log *EventLog) Hub {
	t := &tap{h: h, log: log, events: make(chan session.LinkEvent)}
	go t.relay(ctx)
	return t
}

type tap struct {
	h      Hub
	log    *EventLog
	events chan session.LinkEvent

	mu     sync.Mutex
	states map[string]session.State // last logged state per chat
}

func (t *tap) Send(ctx context.Context, e session.Envelope) error {
	_ = t.log.Envelope("out", e)
	return t.h.Send(ctx, e)
}

func (t *tap) Events() <-chan session.LinkEvent { return t.events }

func (t *tap) relay(ctx context.Context) {
	defer close(t.events)
	in := t.h.Events()
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
		_ = t.log.Link(ev)
		if ev.Envelope != nil {
			t.chatState(*ev.Envelope)
			t.recording(*ev.Envelope)
		}
		select {
		case t.events <- ev:
		case <-ctx.Done():
			return
		}
	}
}

// recording logs the recording state a recording frame brings.
func (t *tap) recording(e session.Envelope) {
	if e.Type != session.TypeRecording {
		return
	}
	var d session.RecordingData
	if e.Decode(&d) != nil {
		return
	}
	_ = t.log.Recording(e.Chat, d)
}

// chatState logs the state a frame gives a chat, when it changed.
func (t *tap) chatState(e session.Envelope) {
	var (
		st     session.State
		reason string
	)
	switch e.Type {
	case session.TypeOffer, session.TypeChat:
		var d session.ChatData
		if e.Decode(&d) != nil {
			return
		}
		st, reason = d.State, d.Reason
		if e.Type == session.TypeOffer {
			st = session.Offered
		}
	case session.TypeState:
		var d session.StateData
		if e.Decode(&d) != nil {
			return
		}
		st, reason = d.State, d.Reason
	default:
		return
	}
	chat := e.Chat
	t.mu.Lock()
	if t.states == nil {
		t.states = map[string]session.State{}
	}
	prev, seen := t.states[chat]
	t.states[chat] = st
	t.mu.Unlock()
	if !seen || prev != st {
		_ = t.log.ChatState(chat, st, reason)
	}
}
