package hub

import (
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

func TestRoutingOffersReadyAgentWithCapacity(t *testing.T) {
	_, base := startHub(t, nil)
	// Grace serves only general; not ready agents get nothing.
	g, w := agentLogin(t, base, "t-grace", false)
	if w.Ready || w.Agent.Name != "Grace Hopper" || len(w.Settings.Dispositions) != 2 ||
		w.Settings.PendingWarn.Std() != time.Second || w.Settings.PendingAlarm.Std() != 2*time.Second { // R-I4 T1, T2
		t.Fatalf("welcome: %+v", w)
	}
	cust, j := customerJoin(t, base, session.JoinData{Name: "Carol", Contact: "carol-1"})
	if j.Queue != "general" || j.Resume == "" {
		t.Fatalf("joined: %+v", j)
	}
	if q, _ := expectData[session.QueueData](cust, session.TypeQueue); q.Position != 1 {
		t.Fatalf("position %d", q.Position)
	}
	g.expectNone(session.TypeOffer)
	g.send(session.TypeReady, "", session.ReadyData{Ready: true})
	off, env := expectData[session.ChatData](g, session.TypeOffer)
	if env.Chat != j.Chat || off.State != session.Offered || off.OfferExpiry.IsZero() || off.Customer != "Carol" {
		t.Fatalf("offer: %+v", off)
	}
	// Capacity 1: a second chat waits.
	cust2, j2 := customerJoin(t, base, session.JoinData{Name: "Dan"})
	if q, _ := expectData[session.QueueData](cust2, session.TypeQueue); q.Position != 1 {
		t.Fatalf("second position %d", q.Position)
	}
	g.expectNone(session.TypeOffer)
	g.send(session.TypeAccept, j.Chat, nil)
	g.expect(session.TypeChat)
	if in, _ := expectData[session.AgentInData](cust, session.TypeAgentIn); in.Name != "Grace Hopper" {
		t.Fatalf("agent_in %+v", in)
	}
	lineWith(cust, "Grace Hopper joined the chat")
	// Ending frees capacity; ACW does not count, so the next chat is offered.
	g.send(session.TypeEnd, j.Chat, nil)
	st, _ := expectData[session.StateData](g, session.TypeState)
	if st.State != session.ACW || st.Reason != session.EndAgentEnded {
		t.Fatalf("state %+v", st)
	}
	if _, env := expectData[session.ChatData](g, session.TypeOffer); env.Chat != j2.Chat {
		t.Fatalf("next offer %s want %s", env.Chat, j2.Chat)
	}
}

func TestRoutingLeastLoadedThenLongestIdle(t *testing.T) {
	_, base := startHub(t, nil)
	ada, _ := agentLogin(t, base, "t-ada", true)     // capacity 2, idle longest
	grace, _ := agentLogin(t, base, "t-grace", true) // capacity 1
	c1, j1 := customerJoin(t, base, session.JoinData{Name: "One"})
	_ = c1
	if _, env := expectData[session.ChatData](ada, session.TypeOffer); env.Chat != j1.Chat {
		t.Fatal("first chat should go to the longest idle agent")
	}
	_, j2 := customerJoin(t, base, session.JoinData{Name: "Two"})
	if _, env := expectData[session.ChatData](grace, session.TypeOffer); env.Chat != j2.Chat {
		t.Fatal("second chat should go to the least loaded agent")
	}
	_, j3 := customerJoin(t, base, session.JoinData{Name: "Three"})
	if _, env := expectData[session.ChatData](ada, session.TypeOffer); env.Chat != j3.Chat {
		t.Fatal("third chat should use Ada's spare capacity")
	}
	c4, _ := customerJoin(t, base, session.JoinData{Name: "Four"})
	if q, _ := expectData[session.QueueData](c4, session.TypeQueue); q.Position != 1 {
		t.Fatalf("fourth waits at 1, got %d", q.Position)
	}
}

func TestQueuePositionUpdates(t *testing.T) {
	_, base := startHub(t, nil)
	var custs []*client
	var chats []string
	for i, n := range []string{"A", "B", "C"} {
		c, j := customerJoin(t, base, session.JoinData{Name: n})
		if q, _ := expectData[session.QueueData](c, session.TypeQueue); q.Position != i+1 {
			t.Fatalf("%s at %d", n, q.Position)
		}
		custs, chats = append(custs, c), append(chats, j.Chat)
	}
	// A leaves: B and C move up.
	custs[0].send(session.TypeLeave, chats[0], nil)
	if e, _ := expectData[session.EndedData](custs[0], session.TypeEnded); e.Reason != session.EndContactLeft {
		t.Fatalf("ended %+v", e)
	}
	for i, c := range custs[1:] {
		if q, _ := expectData[session.QueueData](c, session.TypeQueue); q.Position != i+1 {
			t.Fatalf("after leave: %d", q.Position)
		}
	}
	// An agent takes B: C is next.
	g, _ := agentLogin(t, base, "t-grace", true)
	connect(t, g, custs[1], chats[1])
	if q, _ := expectData[session.QueueData](custs[2], session.TypeQueue); q.Position != 1 {
		t.Fatalf("C at %d", q.Position)
	}
}

func TestOfferRejectAndTimeoutMoveToNextAgent(t *testing.T) {
	_, base := startHub(t, func(c *Config) { c.Timers.OfferTimeout = 50 * time.Millisecond })
	ada, _ := agentLogin(t, base, "t-ada", true)
	grace, _ := agentLogin(t, base, "t-grace", true)
	cust, j := customerJoin(t, base, session.JoinData{Name: "Eve"})
	// Ada (idle longest) gets it, lets it time out: Grace gets it next.
	expectData[session.ChatData](ada, session.TypeOffer)
	if r, _ := expectData[session.RevokedData](ada, session.TypeRevoked); r.Reason != session.RevokeTimeout {
		t.Fatalf("revoked %+v", r)
	}
	_, env := expectData[session.ChatData](grace, session.TypeOffer)
	if env.Chat != j.Chat {
		t.Fatal("timeout should move the offer to the next agent")
	}
	grace.send(session.TypeReject, j.Chat, nil)
	if r, _ := expectData[session.RevokedData](grace, session.TypeRevoked); r.Reason != session.RevokeRejected {
		t.Fatalf("revoked %+v", r)
	}
	// Both had it: a new round starts with the other agent than the last.
	connect(t, ada, cust, j.Chat)
}

func TestOfferRepeatsWhenOnlyOneAgentEligible(t *testing.T) {
	_, base := startHub(t, func(c *Config) { c.Timers.OfferTimeout = 30 * time.Millisecond })
	alan, _ := agentLogin(t, base, "t-alan", true)
	_, j := customerJoin(t, base, session.JoinData{Name: "Fay", Queue: "billing"})
	for range 2 {
		if _, env := expectData[session.ChatData](alan, session.TypeOffer); env.Chat != j.Chat {
			t.Fatal("wrong chat")
		}
		alan.expect(session.TypeRevoked)
	}
}
