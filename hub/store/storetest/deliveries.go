package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// testDeliveries (issue 13 point 7, R-C7): deliveries of ad hoc
// recordings to their agents are queued once per file, come due in the
// order of their next try, keep every field of their progress across a
// reopen (a restarted hub goes on retrying), and are listed by recording.
func testDeliveries(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	ds, ok := s.(store.Deliveries)
	if !ok {
		t.Fatalf("%T keeps no deliveries (store.Deliveries)", s)
	}
	mk := func(file, rec string, next time.Time) store.Delivery {
		return store.Delivery{File: file, Recording: rec, Interaction: "c-1", Agent: "ada", State: store.DeliveryPending, Next: next, Created: t0}
	}
	for _, d := range []store.Delivery{mk("f1", "r1", t0.Add(2*time.Second)), mk("f2", "r2", t0.Add(time.Second)), mk("f3", "r2", t0.Add(time.Hour))} {
		if err := ds.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.AddDelivery(ctx, mk("f1", "r1", t0)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second delivery of a file: %v, want ErrExists", err)
	}
	due := func(now time.Time, limit int) string {
		t.Helper()
		got, err := ds.DueDeliveries(ctx, now, limit)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, d := range got {
			out += d.File + " "
		}
		return out
	}
	if got := due(t0.Add(2*time.Second), 0); got != "f2 f1 " {
		t.Fatalf("due: %q, want f2 then f1 (the earliest first; f3 not yet)", got)
	}
	if got := due(t0.Add(2*time.Second), 1); got != "f2 " {
		t.Fatalf("due with limit 1: %q", got)
	}
	retry := mk("f2", "r2", t0.Add(30*time.Second))
	retry.Tries, retry.Why = 1, "mail: dial tcp 127.0.0.1:25: connection refused"
	sent := mk("f1", "r1", time.Time{})
	sent.State, sent.Tries, sent.Link, sent.Sent = store.DeliverySent, 2, true, t0.Add(3*time.Second)
	failed := mk("f3", "r2", time.Time{})
	failed.State, failed.Tries, failed.Why = store.DeliveryFailed, 1, "mail: RCPT TO: 550 no such user"
	for _, d := range []store.Delivery{retry, sent, failed} {
		if err := ds.UpdateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.UpdateDelivery(ctx, mk("nope", "r9", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("updating a delivery that is not there: %v, want ErrNotFound", err)
	}
	s = reopen(t, o, s)
	ds = s.(store.Deliveries)
	if got := due(t0.Add(time.Hour), 0); got != "f2 " {
		t.Fatalf("due after the updates: %q, want f2 (f1 sent, f3 failed)", got)
	}
	got, err := ds.DeliveriesOf(ctx, []string{"r1", "r2", "r-none"})
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]store.Delivery{}
	for _, d := range got {
		byFile[d.File] = d
	}
	eq(t, "deliveries", byFile, map[string]store.Delivery{"f1": sent, "f2": retry, "f3": failed})
	if got, err := ds.DeliveriesOf(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("deliveries of no recording: %v %v", got, err)
	}
}
