package script

import (
	"context"
	"fmt"
)

// Agents drives the other agents of demo mode (issue 14): agent NAME
// signs in with the demo config's token of NAME. Ready signs in and makes
// the agent ready; Answer accepts or rejects the invitation the agent
// holds, waiting for one until ctx ends; Say sends a line in the agent's
// open consultation, else in the chat the agent has; End ends the
// agent's consultation, else leaves or ends their chat. Implementations
// must be safe for use from the runner's goroutine while the model runs.
type Agents interface {
	Ready(ctx context.Context, name string) error
	Answer(ctx context.Context, name string, accept bool) error
	Say(ctx context.Context, name, text string) error
	End(ctx context.Context, name string) error
	// Take accepts the offer the agent holds (waiting for one); Invite
	// sends a transfer, conference or consult (kind) of the agent's
	// connected chat to the agent or the queue (skill) to names.
	Take(ctx context.Context, name string) error
	Invite(ctx context.Context, name, kind string, to Target) error
}

// Target is whom an agent step invites: an agent by id, or a queue (a
// skill: its next available member gets it, R-I7, R-I9).
type Target struct {
	Agent string
	Queue string
}

// String says the target as a script writes it.
func (t Target) String() string {
	if t.Queue != "" {
		return "queue " + t.Queue
	}
	return t.Agent
}

// Agent actions of an OpAgent step.
const (
	AgentReady       = "ready"
	AgentAccept      = "accepts"
	AgentReject      = "rejects"
	AgentSays        = "says"
	AgentEnds        = "ends"
	AgentTakes       = "takes"
	AgentTransfers   = "transfers"
	AgentConferences = "conferences"
	AgentConsults    = "consults"
)

// EventAgent is the events log's record of an agent step.
const EventAgent = "agent"

func (p *parser) parseAgent(st *Step, cmd token, args []token) error {
	usage := `agent NAME ready | takes | accepts | rejects | says "text" | ends | transfers|conferences|consults ID | transfers|conferences|consults queue Q`
	if len(args) < 2 {
		return p.errAt(end(cmd, args), "agent needs a name and an action: %s", usage)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad agent name %q: use letters, digits, '.', '_' and '-'", args[0].text)
	}
	st.Name = args[0].text
	act, rest := args[1], args[2:]
	st.Action = act.text
	switch act.text {
	case AgentTransfers, AgentConferences, AgentConsults:
		if len(rest) == 2 && rest[0].text == "queue" && !rest[0].quoted && validName(rest[1].text) {
			st.Queue = rest[1].text
			break
		}
		if len(rest) != 1 || !validName(rest[0].text) || rest[0].text == "queue" {
			return p.errAt(end(cmd, args), "agent %s takes the id of the agent or queue and its name: agent %s %s ada, agent %s %s queue billing", act.text, st.Name, act.text, st.Name, act.text)
		}
		st.Text = rest[0].text
	case AgentReady, AgentAccept, AgentReject, AgentEnds, AgentTakes:
		if len(rest) != 0 {
			return p.errAt(rest[0].col, "agent %s takes nothing more: agent %s %s", act.text, st.Name, act.text)
		}
	case AgentSays:
		if len(rest) != 1 || rest[0].text == "" {
			return p.errAt(end(cmd, args), "agent says takes one non-empty text: agent %s says \"hello\"", st.Name)
		}
		st.Text = rest[0].text
	default:
		return p.errAt(act.col, "unknown agent action %q: %s", act.text, usage)
	}
	return nil
}

// agent runs an agent step; the step's timeout bounds a wait for an
// invitation.
func (r *runner) agent(ctx context.Context, st *Step) (*Failure, error) {
	a := r.env.Agents
	actx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	var err error
	switch st.Action {
	case AgentReady:
		err = a.Ready(actx, st.Name)
	case AgentAccept, AgentReject:
		err = a.Answer(actx, st.Name, st.Action == AgentAccept)
	case AgentSays:
		err = a.Say(actx, st.Name, st.Text)
	case AgentEnds:
		err = a.End(actx, st.Name)
	case AgentTakes:
		err = a.Take(actx, st.Name)
	case AgentTransfers:
		err = a.Invite(actx, st.Name, "transfer", Target{Agent: st.Text, Queue: st.Queue})
	case AgentConferences:
		err = a.Invite(actx, st.Name, "conference", Target{Agent: st.Text, Queue: st.Queue})
	case AgentConsults:
		err = a.Invite(actx, st.Name, "consult", Target{Agent: st.Text, Queue: st.Queue})
	}
	f := map[string]any{"name": st.Name, "action": st.Action, "line": st.Pos.Line, "ok": err == nil}
	if st.Text != "" {
		f["text"] = st.Text
	}
	if st.Queue != "" {
		f["queue"] = st.Queue
	}
	if err != nil {
		f["err"] = err.Error()
	}
	_ = r.env.Events.Write(EventAgent, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("script: %w", ctx.Err())
		}
		return &Failure{Expected: fmt.Sprintf("agent %s to do %q", st.Name, st.Action), Detail: err.Error()}, nil
	}
	return nil, nil
}
