package hub

import (
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestQueueSaysWhoCanAnswer_R_I1: a waiting customer is told their place,
// whether any agent serving the queue is ready (none: the page says so),
// and, once a few chats were answered, about how long recent ones waited;
// an agent who comes or goes changes what they are told.
func TestQueueSaysWhoCanAnswer_R_I1(t *testing.T) {
	_, base := startHub(t, nil)
	cust, _ := customerJoin(t, base, session.JoinData{Name: "Una", Queue: "billing"})
	if q, _ := expectData[session.QueueData](cust, session.TypeQueue); q.Position != 1 || q.Agents != 0 || q.Wait != 0 {
		t.Fatalf("nobody serving billing: %+v", q)
	}
	// Three chats answered give the queue an estimate.
	a, _ := agentLogin(t, base, "t-alan", true) // billing, capacity 1
	off, _ := expectData[session.ChatData](a, session.TypeOffer)
	for range 3 {
		a.send(session.TypeReject, off.ID, nil)
		a.expect(session.TypeRevoked)
		off, _ = expectData[session.ChatData](a, session.TypeOffer)
	}
	a.send(session.TypeAccept, off.ID, nil) // alan is busy now
	next, _ := customerJoin(t, base, session.JoinData{Name: "Vic", Queue: "billing"})
	q, _ := expectData[session.QueueData](next, session.TypeQueue)
	if q.Position != 1 || q.Agents != 1 {
		t.Fatalf("alan ready but busy: %+v", q)
	}
	for _, name := range []string{"Wes", "Xia"} {
		c, _ := customerJoin(t, base, session.JoinData{Name: name, Queue: "billing"})
		expectData[session.QueueData](c, session.TypeQueue)
	}
	a.conn.CloseNow() // alan goes: nobody can answer now
	for {
		q, _ = expectData[session.QueueData](next, session.TypeQueue)
		if q.Agents == 0 {
			break
		}
	}
	if q.Position != 1 {
		t.Fatalf("after alan left: %+v", q)
	}
}

// TestQueueWaitEstimate: no estimate before three chats; then a moving
// average that follows recent waits.
func TestQueueWaitEstimate(t *testing.T) {
	var w *queueWait
	if w.estimate() != 0 {
		t.Fatal("an estimate from no queue")
	}
	w = &queueWait{}
	for i, d := range []time.Duration{60 * time.Second, 60 * time.Second} {
		w.add(d)
		if w.estimate() != 0 {
			t.Fatalf("an estimate after %d chats", i+1)
		}
	}
	w.add(60 * time.Second)
	if w.estimate() != time.Minute {
		t.Fatalf("estimate %v, want 1m", w.estimate())
	}
	for range 30 {
		w.add(10 * time.Second)
	}
	if e := w.estimate(); e < 10*time.Second || e > 15*time.Second {
		t.Fatalf("estimate %v after waits of 10s, want near 10s", e)
	}
}
