package hub

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestPartiesStress: four agents on real sockets throw transfers,
// conferences, consultations, answers, removes, leaves and ends at six
// chats at random for a while (run it with -race); then the hub's books
// still balance: every live chat has one owner who holds it, its parties
// hold it and are not its owner, invitations and consultations are where
// both sides say, and the store has every chat's owner.
func TestPartiesStress(t *testing.T) {
	s, base := startHub(t, partyConfig(func(c *Config) {
		for i := range c.Agents {
			c.Agents[i].Capacity = 6
			c.Agents[i].Queues = []string{"general", "billing"}
		}
	}))
	ids := []string{"ada", "grace", "alan", "bob"}
	agents := map[string]*client{}
	for _, id := range ids {
		agents[id], _ = agentLogin(t, base, "t-"+id, true)
	}
	var chats []string
	for i := range 6 {
		c, j := customerJoin(t, base, session.JoinData{Name: fmt.Sprintf("C%d", i)})
		_ = c
		chats = append(chats, j.Chat)
	}
	// Everyone accepts every offer and remembers invitation and
	// consultation ids as they come.
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	invites := map[string][]string{}
	consults := map[string][]string{}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		for _, id := range ids {
			c := agents[id]
		drain:
			for {
				select {
				case env := <-c.in:
					switch env.Type {
					case session.TypeOffer:
						c.send(session.TypeAccept, env.Chat, nil)
					case session.TypeInvite:
						var d session.InviteData
						_ = env.Decode(&d)
						invites[id] = append(invites[id], d.ID)
					case session.TypeConsultation:
						consults[id] = append(consults[id], env.Chat)
					}
				default:
					break drain
				}
			}
			chat := chats[rng.IntN(len(chats))]
			other := ids[rng.IntN(len(ids))]
			switch rng.IntN(9) {
			case 0:
				c.send(session.TypeTransfer, chat, session.InviteRequest{Agent: other})
			case 1:
				c.send(session.TypeConference, chat, session.InviteRequest{Agent: other})
			case 2:
				c.send(session.TypeConsult, chat, session.InviteRequest{Queue: "billing"})
			case 3, 4:
				if l := invites[id]; len(l) > 0 {
					c.send(session.TypeAnswer, "", session.AnswerData{Invite: l[rng.IntN(len(l))], Accept: rng.IntN(3) > 0})
				}
			case 5:
				c.send(session.TypeRemove, chat, session.RemoveData{Agent: other})
			case 6:
				if l := consults[id]; len(l) > 0 {
					k := l[rng.IntN(len(l))]
					switch rng.IntN(3) {
					case 0:
						c.send(session.TypeConsultSend, k, session.SendData{Text: "x"})
					case 1:
						c.send(session.TypeConsultTo, k, session.ConvertData{To: []string{"transfer", "conference"}[rng.IntN(2)]})
					default:
						c.send(session.TypeConsultEnd, k, nil)
					}
				}
			case 7:
				c.send(session.TypeSend, chat, session.SendData{Text: "hello"})
			case 8:
				if rng.IntN(8) == 0 {
					c.send(session.TypeEnd, chat, nil)
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	for _, c := range agents {
		c.expectNone("nothing") // a round trip: what they sent is handled
	}
	s.j.sync()
	s.mu.RLock()
	defer s.mu.RUnlock()
	moves := 0
	for _, c := range s.chats {
		if c.agent == nil {
			if len(c.parties)+len(c.invites)+len(c.consults) > 0 {
				t.Errorf("%s has no owner but parties %d invites %d consults %d", c.id, len(c.parties), len(c.invites), len(c.consults))
			}
			continue
		}
		if c.agent.chats[c.id] != c {
			t.Errorf("%s: its owner %s does not hold it", c.id, c.agent.cfg.ID)
		}
		if c.multi {
			moves++
		}
		for _, p := range c.parties {
			if p == c.agent || p.joined[c.id] != c || c.agent.joined[c.id] != nil {
				t.Errorf("%s: party %s (owner %s) books wrong", c.id, p.cfg.ID, c.agent.cfg.ID)
			}
		}
		if c.state != session.Connected && len(c.parties)+len(c.invites)+len(c.consults) > 0 {
			t.Errorf("%s is %s with parties %d invites %d consults %d", c.id, c.state, len(c.parties), len(c.invites), len(c.consults))
		}
		for _, inv := range c.invites {
			if s.invites[inv.id] != inv || inv.to == nil || c.in(inv.to) {
				t.Errorf("%s: invitation %s books wrong", c.id, inv.id)
			}
		}
		for _, k := range c.consults {
			if s.consults[k.id] != k || k.from.consults[k.id] != k || k.with.consults[k.id] != k || k.from != c.agent {
				t.Errorf("%s: consultation %s books wrong", c.id, k.id)
			}
		}
		row, err := s.st.Chat(t.Context(), c.id)
		if err != nil || row.Agent != c.agent.cfg.ID {
			t.Errorf("%s: the store has owner %q, the hub %s (%v)", c.id, row.Agent, c.agent.cfg.ID, err)
		}
	}
	for id, inv := range s.invites {
		if !slices.Contains(inv.c.invites, inv) {
			t.Errorf("invitation %s is not its chat's", id)
		}
	}
	for _, a := range s.agents {
		for id, c := range a.joined {
			if !slices.Contains(c.parties, a) {
				t.Errorf("%s holds %s as a party but is not one", a.cfg.ID, id)
			}
		}
	}
	if moves == 0 {
		t.Fatal("nothing multi-party happened: the test drove nothing")
	}
	t.Logf("%d of %d live chats went multi-party", moves, len(s.chats))
}
