package hubclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/agentdesk/agentdesk/session"
)

// The multi-party calls of issue 14: each sends one frame; the hub answers
// with invite, invite_result, parties, consultation and consult_line
// frames on Events (docs/protocol.md).

// Transfer offers chat to an agent or a queue (R-I7).
func (c *Client) Transfer(ctx context.Context, chat string, to session.InviteRequest) error {
	return c.sendFrame(ctx, session.TypeTransfer, chat, to)
}

// Conference invites an agent (or a queue's available member) into chat
// (R-I8).
func (c *Client) Conference(ctx context.Context, chat string, to session.InviteRequest) error {
	return c.sendFrame(ctx, session.TypeConference, chat, to)
}

// Consult opens a consultation about chat with an agent or a queue (R-I9).
func (c *Client) Consult(ctx context.Context, chat string, with session.InviteRequest) error {
	return c.sendFrame(ctx, session.TypeConsult, chat, with)
}

// Answer accepts or rejects an invitation; reason is told to the sender.
func (c *Client) Answer(ctx context.Context, invite string, accept bool, reason string) error {
	return c.sendFrame(ctx, session.TypeAnswer, "", session.AnswerData{Invite: invite, Accept: accept, Reason: reason})
}

// Remove takes a conferenced agent out of chat (the owner's call).
func (c *Client) Remove(ctx context.Context, chat, agent string) error {
	return c.sendFrame(ctx, session.TypeRemove, chat, session.RemoveData{Agent: agent})
}

// ConsultSend sends a line of a consultation.
func (c *Client) ConsultSend(ctx context.Context, consult, text string) error {
	return c.sendFrame(ctx, session.TypeConsultSend, consult, session.SendData{Text: text})
}

// ConsultEnd ends a consultation; the chat goes on.
func (c *Client) ConsultEnd(ctx context.Context, consult string) error {
	return c.sendFrame(ctx, session.TypeConsultEnd, consult, nil)
}

// ConsultTo turns a consultation into a transfer or a conference
// (session.InviteTransfer, session.InviteConference).
func (c *Client) ConsultTo(ctx context.Context, consult, to string) error {
	return c.sendFrame(ctx, session.TypeConsultTo, consult, session.ConvertData{To: to})
}

func (c *Client) sendFrame(ctx context.Context, typ, chat string, data any) error {
	e, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		return err
	}
	return c.Send(ctx, e)
}

// maxDirectory bounds the directory's body.
const maxDirectory = 4 << 20

// Directory fetches GET /v1/directory from the hub with the agent's token:
// agents and queues with their availability and load, for a picker.
func (c *Client) Directory(ctx context.Context) (session.Directory, error) {
	var d session.Directory
	u, err := c.httpURL("/v1/directory")
	if err != nil {
		return d, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return d, fmt.Errorf("hubclient: directory: %w", err)
	}
	b, err := c.do(req, maxDirectory)
	if err != nil {
		return d, fmt.Errorf("hubclient: directory: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("hubclient: directory: %w", err)
	}
	return d, nil
}
