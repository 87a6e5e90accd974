package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui/script"
)

// The supervisors of a demo script's `supervisor` steps (R-C8, issue 14):
// each signs in with its recording.api_tokens supervisor token on the
// hub's agent websocket, as a supervisor's client would, and watches,
// barges in, talks and leaves.

// peerSupervisors are those supervisors, beside the peer agents.
type peerSupervisors struct{ p *peerAgents }

var _ script.Supervisors = peerSupervisors{}

// supervisor signs supervisor name in (once).
func (p *peerAgents) supervisor(ctx context.Context, name string) (*peerAgent, error) {
	token, ok := p.supers[name]
	if !ok {
		return nil, fmt.Errorf("no supervisor %q among the demo config's recording.api_tokens", name)
	}
	return p.signIn(ctx, "supervisor "+name, token)
}

// Monitor watches chat silently: it returns once the hub sent the chat,
// or with the hub's refusal.
func (ps peerSupervisors) Monitor(ctx context.Context, name, chat string) error {
	a, err := ps.p.supervisor(ctx, name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.refused = nil
	a.mu.Unlock()
	if err := a.send(ctx, session.TypeMonitor, chat, nil); err != nil {
		return err
	}
	var refused *session.ErrorData
	err = a.until(ctx, "chat "+chat+" to watch", func() bool {
		_, ok := a.chats[chat]
		refused = a.refused
		return ok || refused != nil
	})
	switch {
	case err != nil:
		return err
	case refused != nil:
		return fmt.Errorf("the hub refused: %s (%s)", refused.Message, refused.Code)
	}
	a.mu.Lock()
	a.watching, a.barged = chat, false
	a.mu.Unlock()
	return nil
}

// watched is the chat the supervisor watches or barged into.
func (a *peerAgent) watched() (string, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.watching == "" {
		return "", false, errors.New("it watches no chat: supervisor NAME monitors first")
	}
	return a.watching, a.barged, nil
}

func (ps peerSupervisors) Barge(ctx context.Context, name string) error {
	a, err := ps.p.supervisor(ctx, name)
	if err != nil {
		return err
	}
	chat, _, err := a.watched()
	if err != nil {
		return err
	}
	if err := a.send(ctx, session.TypeBarge, chat, nil); err != nil {
		return err
	}
	a.mu.Lock()
	a.barged = true
	a.mu.Unlock()
	return nil
}

// Say sends a line in the chat the supervisor barged into.
func (ps peerSupervisors) Say(ctx context.Context, name, text string) error {
	a, err := ps.p.supervisor(ctx, name)
	if err != nil {
		return err
	}
	chat, barged, err := a.watched()
	if err == nil && !barged {
		err = errors.New("a supervisor who only watches cannot write: supervisor NAME barges first")
	}
	if err != nil {
		return err
	}
	return a.send(ctx, session.TypeSend, chat, session.SendData{Text: text})
}

// Leave stops watching, or leaves the chat barged into.
func (ps peerSupervisors) Leave(ctx context.Context, name string) error {
	a, err := ps.p.supervisor(ctx, name)
	if err != nil {
		return err
	}
	chat, barged, err := a.watched()
	if err != nil {
		return err
	}
	typ := session.TypeUnmonitor
	if barged {
		typ = session.TypeEnd
	}
	if err := a.send(ctx, typ, chat, nil); err != nil {
		return err
	}
	a.mu.Lock()
	a.watching, a.barged = "", false
	a.mu.Unlock()
	return nil
}
