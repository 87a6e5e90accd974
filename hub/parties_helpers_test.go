package hub

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// partyConfig adds Bob (billing, room for two) to the test agents: ada
// (general and billing), grace (general), alan and bob (billing).
func partyConfig(mutate func(*Config)) func(*Config) {
	return func(c *Config) {
		c.Agents = append(c.Agents, AgentConfig{ID: "bob", Name: "Bob Kahn", Token: "t-bob", Capacity: 2, Queues: []string{"billing"}})
		c.Timers.TransferTimeout = 5 * time.Second
		if mutate != nil {
			mutate(c)
		}
	}
}

// partyChat logs ada in, ready, and connects a customer's chat to her
// with a first line of the customer's.
func partyChat(t *testing.T, base string) (ada, cust *client, chat string) {
	t.Helper()
	ada, _ = agentLogin(t, base, "t-ada", true)
	cust, j := customerJoin(t, base, session.JoinData{Name: "Carol", Contact: "carol-1"})
	connect(t, ada, cust, j.Chat)
	cust.send(session.TypeSend, j.Chat, session.SendData{Text: "my parcel is late"})
	lineWith(ada, "my parcel is late")
	return ada, cust, j.Chat
}

func invited(c *client) session.InviteData {
	c.t.Helper()
	d, _ := expectData[session.InviteData](c, session.TypeInvite)
	return d
}

func inviteResult(c *client) session.InviteResultData {
	c.t.Helper()
	d, _ := expectData[session.InviteResultData](c, session.TypeInviteResult)
	return d
}

func answer(c *client, id string, accept bool, reason string) {
	c.t.Helper()
	c.send(session.TypeAnswer, "", session.AnswerData{Invite: id, Accept: accept, Reason: reason})
}

// refusedWith waits for an error frame and checks its code.
func refusedWith(c *client, code string) session.ErrorData {
	c.t.Helper()
	e, _ := expectData[session.ErrorData](c, session.TypeError)
	if e.Code != code {
		c.t.Fatalf("error %+v, want code %s", e, code)
	}
	return e
}

// stateOf waits for the chat's next state frame.
func stateOf(c *client, chat string) session.StateData {
	c.t.Helper()
	for {
		st, env := expectData[session.StateData](c, session.TypeState)
		if env.Chat == chat {
			return st
		}
	}
}

// talks checks that a line sent by from reaches every client of to and
// none of not (after a ping round trip).
func talks(t *testing.T, from *client, typ, chat, text string, to []*client, not []*client) {
	t.Helper()
	from.send(typ, chat, session.SendData{Text: text})
	for _, c := range to {
		lineWith(c, text)
	}
	for _, c := range not {
		noLine(c, text)
	}
}

// noLine asserts that no frame waiting on c carries text.
func noLine(c *client, text string) {
	c.t.Helper()
	c.send(session.TypePing, "", nil)
	for {
		select {
		case env := <-c.in:
			if strings.Contains(string(env.Data), text) {
				c.t.Fatalf("%s got %s %s", "client", env.Type, env.Data)
			}
			if env.Type == session.TypePong {
				return
			}
		case <-time.After(wait):
			c.t.Fatal("no pong")
		}
	}
}

// drain collects every frame waiting on c until a pong.
func drain(c *client) []session.Envelope {
	c.t.Helper()
	c.send(session.TypePing, "", nil)
	var out []session.Envelope
	for {
		select {
		case env := <-c.in:
			if env.Type == session.TypePong {
				return out
			}
			out = append(out, env)
		case <-time.After(wait):
			c.t.Fatal("no pong")
		}
	}
}

func partyIDs(d *session.PartiesData) []string {
	if d == nil {
		return nil
	}
	out := []string{d.Owner.ID}
	for _, p := range d.Parties {
		out = append(out, p.ID)
	}
	return out
}

func hasText(lines []session.MessageData, sub string) bool {
	return slices.ContainsFunc(lines, func(m session.MessageData) bool { return strings.Contains(m.Text, sub) })
}
