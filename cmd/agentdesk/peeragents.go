package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui/script"
)

// peerAgents are the other agents of a demo script's `agent` steps
// (issue 14): each signs in with the demo config's token over a real
// websocket, as a second desktop would, and keeps what the hub tells it.
type peerAgents struct {
	url    string
	agents map[string]hub.AgentConfig
	supers map[string]string // supervisor name → token (recording.api_tokens)

	mu    sync.Mutex
	peers map[string]*peerAgent // by "agent NAME" or "supervisor NAME"
}

// peerAgent is one signed-in agent and its view of the hub.
type peerAgent struct {
	c       *hubclient.Client
	changed chan struct{} // closed and replaced on every frame

	mu       sync.Mutex
	welcomed bool
	invites  []session.InviteData
	consults map[string]session.ConsultationData
	chats    map[string]session.State
	sent     int                // invitations this agent sent that have no result yet
	refused  *session.ErrorData // the hub's last error frame (a supervisor's refused monitor)
	watching string             // a supervisor: the chat it watches or barged into
	barged   bool
}

func newPeerAgents(url string, cfg *hub.Config) *peerAgents {
	p := &peerAgents{url: url, agents: map[string]hub.AgentConfig{}, supers: map[string]string{}, peers: map[string]*peerAgent{}}
	for _, a := range cfg.Agents {
		p.agents[a.ID] = a
	}
	for _, t := range cfg.Recording.APITokens {
		if t.Role == "supervisor" {
			p.supers[t.Name] = t.Token
		}
	}
	return p
}

// Close signs every agent out.
func (p *peerAgents) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.peers {
		_ = a.c.Close()
	}
}

// peer signs agent name in (once) and waits for its welcome.
func (p *peerAgents) peer(ctx context.Context, name string) (*peerAgent, error) {
	cfg, ok := p.agents[name]
	if !ok {
		return nil, fmt.Errorf("no agent %q in the demo's config", name)
	}
	return p.signIn(ctx, "agent "+name, cfg.Token)
}

// signIn signs a peer in with token (once) and waits for its welcome.
func (p *peerAgents) signIn(ctx context.Context, key, token string) (*peerAgent, error) {
	p.mu.Lock()
	a := p.peers[key]
	if a == nil {
		a = &peerAgent{changed: make(chan struct{}), consults: map[string]session.ConsultationData{}, chats: map[string]session.State{}}
		a.c = hubclient.Dial(context.WithoutCancel(ctx), p.url, token)
		p.peers[key] = a
		go a.pump()
	}
	p.mu.Unlock()
	return a, a.until(ctx, "a welcome", func() bool { return a.welcomed })
}

// pump keeps what the hub says.
func (a *peerAgent) pump() {
	for ev := range a.c.Events() {
		if ev.Envelope == nil {
			continue
		}
		e := *ev.Envelope
		a.mu.Lock()
		switch e.Type {
		case session.TypeWelcome:
			a.welcomed = true
		case session.TypeInvite:
			var inv session.InviteData
			if e.Decode(&inv) == nil {
				a.invites = append(a.invites, inv)
			}
		case session.TypeInviteResult:
			var r session.InviteResultData
			if e.Decode(&r) == nil && !a.dropInvite(r.ID) && a.sent > 0 {
				a.sent-- // the result of one it sent
			}
		case session.TypeConsultation:
			var k session.ConsultationData
			if e.Decode(&k) == nil {
				if k.State == session.ConsultEnded {
					delete(a.consults, k.ID)
				} else {
					a.consults[k.ID] = k
				}
			}
		case session.TypeChat, session.TypeOffer:
			var cd session.ChatData
			if e.Decode(&cd) == nil {
				a.chats[cd.ID] = cd.State
			}
		case session.TypeState:
			var sd session.StateData
			if e.Decode(&sd) == nil {
				if sd.State == session.Done {
					delete(a.chats, e.Chat)
				} else {
					a.chats[e.Chat] = sd.State
				}
			}
		case session.TypeError:
			var ed session.ErrorData
			if e.Decode(&ed) == nil {
				a.refused = &ed
			}
		}
		close(a.changed)
		a.changed = make(chan struct{})
		a.mu.Unlock()
	}
}

// dropInvite forgets an invitation to this agent; false when it was not one.
func (a *peerAgent) dropInvite(id string) bool {
	for i, inv := range a.invites {
		if inv.ID == id {
			a.invites = append(a.invites[:i], a.invites[i+1:]...)
			return true
		}
	}
	return false
}

// until waits for cond (checked under the lock) or the end of ctx.
func (a *peerAgent) until(ctx context.Context, what string, cond func() bool) error {
	for {
		a.mu.Lock()
		ok, ch := cond(), a.changed
		a.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("no %s came: %w", what, ctx.Err())
		}
	}
}

func (p *peerAgents) Ready(ctx context.Context, name string) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	return a.send(ctx, session.TypeReady, "", session.ReadyData{Ready: true})
}

func (p *peerAgents) Answer(ctx context.Context, name string, accept bool) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	if err := a.until(ctx, "invitation", func() bool { return len(a.invites) > 0 }); err != nil {
		return err
	}
	a.mu.Lock()
	inv := a.invites[0]
	a.invites = a.invites[1:]
	a.mu.Unlock()
	return a.send(ctx, session.TypeAnswer, "", session.AnswerData{Invite: inv.ID, Accept: accept})
}

func (p *peerAgents) Say(ctx context.Context, name, text string) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	typ, id, err := a.target(ctx, session.TypeConsultSend, session.TypeSend)
	if err != nil {
		return err
	}
	return a.send(ctx, typ, id, session.SendData{Text: text})
}

func (p *peerAgents) End(ctx context.Context, name string) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	typ, id, err := a.target(ctx, session.TypeConsultEnd, session.TypeEnd)
	if err != nil {
		return err
	}
	return a.send(ctx, typ, id, nil)
}

func (p *peerAgents) Take(ctx context.Context, name string) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	var id string
	err = a.until(ctx, "offer", func() bool {
		for c, st := range a.chats {
			if st == session.Offered {
				id = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	return a.send(ctx, session.TypeAccept, id, nil)
}

func (p *peerAgents) Invite(ctx context.Context, name, kind string, to script.Target) error {
	a, err := p.peer(ctx, name)
	if err != nil {
		return err
	}
	_, id, err := a.target(ctx, "", "chat")
	if err != nil {
		return err
	}
	typ := map[string]string{session.InviteTransfer: session.TypeTransfer, session.InviteConference: session.TypeConference, session.InviteConsult: session.TypeConsult}[kind]
	if typ == "" {
		return fmt.Errorf("no such invitation kind %q", kind)
	}
	// one at a time, as a person would: the last one's answer first
	if err := a.until(ctx, "answer to the last invitation", func() bool { return a.sent == 0 }); err != nil {
		return err
	}
	a.mu.Lock()
	a.sent++
	a.mu.Unlock()
	return a.send(ctx, typ, id, session.InviteRequest{Agent: to.Agent, Queue: to.Queue})
}

// target waits for the agent's open consultation (consultTyp) or else a
// connected chat (chatTyp) and names it.
func (a *peerAgent) target(ctx context.Context, consultTyp, chatTyp string) (typ, id string, err error) {
	err = a.until(ctx, "consultation or connected chat", func() bool {
		for k := range a.consults {
			if consultTyp == "" {
				break
			}
			typ, id = consultTyp, k
			return true
		}
		for c, st := range a.chats {
			if st == session.Connected {
				typ, id = chatTyp, c
				return true
			}
		}
		return false
	})
	return typ, id, err
}

// peerSendTimeout bounds one frame of a peer agent.
const peerSendTimeout = 5 * time.Second

func (a *peerAgent) send(ctx context.Context, typ, chat string, data any) error {
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, peerSendTimeout)
	defer cancel()
	return a.c.Send(ctx, e)
}
