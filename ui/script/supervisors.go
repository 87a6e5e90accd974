package script

import (
	"context"
	"fmt"
)

// Supervisors drives the supervisors of demo mode (R-C8, issue 14):
// supervisor NAME signs in with the demo config's supervisor token named
// NAME (recording.api_tokens) on the hub's agent websocket, as a
// supervisor's client would. Monitor watches the chat silently until the
// hub sends it (the hub's refusal is the error); Barge joins the watched
// chat as a conference party; Say sends a line in it once barged in;
// Leave stops watching, or leaves the chat barged into. Implementations
// must be safe for use from the runner's goroutine while the model runs.
type Supervisors interface {
	Monitor(ctx context.Context, name, chat string) error
	Barge(ctx context.Context, name string) error
	Say(ctx context.Context, name, text string) error
	Leave(ctx context.Context, name string) error
}

// Supervisor actions of an OpSupervisor step.
const (
	SupervisorMonitors = "monitors"
	SupervisorBarges   = "barges"
	SupervisorSays     = "says"
	SupervisorLeaves   = "leaves"
)

// EventSupervisor is the events log's record of a supervisor step.
const EventSupervisor = "supervisor"

const supervisorUsage = `supervisor NAME monitors [customer NAME | chat ID] | barges | says "text" | leaves`

func (p *parser) parseSupervisor(st *Step, cmd token, args []token) error {
	if len(args) < 2 {
		return p.errAt(end(cmd, args), "supervisor needs a name and an action: %s", supervisorUsage)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad supervisor name %q: use letters, digits, '.', '_' and '-'", args[0].text)
	}
	st.Name = args[0].text
	act, rest := args[1], args[2:]
	st.Action = act.text
	switch act.text {
	case SupervisorMonitors:
		if len(rest) == 0 {
			return nil // the desktop's selected chat
		}
		if len(rest) != 2 || rest[0].quoted || (rest[0].text != "customer" && rest[0].text != "chat") {
			return p.errAt(rest[0].col, "supervisor monitors takes customer NAME or chat ID, or nothing for the selected chat: %s", supervisorUsage)
		}
		if rest[0].text == "chat" {
			if rest[1].text == "" {
				return p.errAt(rest[1].col, "supervisor monitors chat needs an interaction id: chat chat-3")
			}
			st.Chat = rest[1].text
			return nil
		}
		if !validName(rest[1].text) {
			return p.errAt(rest[1].col, "bad customer name %q: use letters, digits, '.', '_' and '-'", rest[1].text)
		}
		st.Customer = rest[1].text
	case SupervisorBarges, SupervisorLeaves:
		if len(rest) != 0 {
			return p.errAt(rest[0].col, "supervisor %s takes nothing more: supervisor %s %s", act.text, st.Name, act.text)
		}
	case SupervisorSays:
		if len(rest) != 1 || rest[0].text == "" {
			return p.errAt(end(cmd, args), "supervisor says takes one non-empty text: supervisor %s says \"hello\"", st.Name)
		}
		st.Text = rest[0].text
	default:
		return p.errAt(act.col, "unknown supervisor action %q: %s", act.text, supervisorUsage)
	}
	return nil
}

// checkSupervisor finds what a supervisor step needs of Env and lacks.
func checkSupervisor(st Step, env Env) error {
	bad := func(msg string) error {
		return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col, Msg: msg}
	}
	if env.Supervisors == nil {
		return bad("supervisor steps need the supervisors of demo mode (a supervisor token under recording.api_tokens of the hub config): run `agentdesk demo --script FILE`")
	}
	if st.Action != SupervisorMonitors {
		return nil
	}
	if st.Customer != "" {
		if _, ok := env.Customers.(CustomerChats); !ok {
			return bad("supervisor … monitors customer NAME needs the simulated customers of demo mode, or name the chat with chat ID")
		}
	}
	if st.Customer == "" && st.Chat == "" {
		if _, ok := env.Model.(Selector); !ok {
			return bad("this desktop cannot tell its selected chat: name the chat with customer NAME or chat ID")
		}
	}
	return nil
}

// supervisor runs a supervisor step; the step's timeout bounds it.
func (r *runner) supervisor(ctx context.Context, st *Step) (*Failure, error) {
	sv := r.env.Supervisors
	sctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	f := map[string]any{"name": st.Name, "action": st.Action, "line": st.Pos.Line}
	var err error
	switch st.Action {
	case SupervisorMonitors:
		var chat string
		switch {
		case st.Chat != "":
			chat = st.Chat
		case st.Customer != "":
			chat, err = r.env.Customers.(CustomerChats).ChatOf(st.Customer) // check made sure it can
		default:
			if chat = r.obs.Selected(); chat == "" {
				err = ErrNoChat
			}
		}
		if err == nil {
			f["chat"] = chat
			err = sv.Monitor(sctx, st.Name, chat)
		}
	case SupervisorBarges:
		err = sv.Barge(sctx, st.Name)
	case SupervisorSays:
		f["text"] = st.Text
		err = sv.Say(sctx, st.Name, st.Text)
	case SupervisorLeaves:
		err = sv.Leave(sctx, st.Name)
	}
	f["ok"] = err == nil
	if err != nil {
		f["err"] = err.Error()
	}
	_ = r.env.Events.Write(EventSupervisor, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("script: %w", ctx.Err())
		}
		return &Failure{Expected: fmt.Sprintf("supervisor %s to do %q", st.Name, st.Action), Detail: err.Error()}, nil
	}
	return nil, nil
}
