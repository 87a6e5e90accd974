package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// RunRetention runs the contract of store.Retention (issue 13 points 4-6,
// R-V6): legal holds placed, listed and lifted; files archived and
// restored; a recording purged with what is only its, tombstones kept,
// and refused while a hold of its own stands.
func RunRetention(t *testing.T, o Opener) {
	t.Run("Holds", func(t *testing.T) { testHolds(t, o) })
	t.Run("Archive", func(t *testing.T) { testArchive(t, o) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, o) })
}

// testHolds: both kinds of hold round-trip; bad ones are refused in
// words; a lift is kept with who and why, and only once.
func testHolds(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	one := store.Hold{Recording: "r1", Interaction: "chat-1", PlacedBy: "compliance cora", Reason: "subpoena 12", PlacedAt: t0}
	matter := store.Hold{Matter: "Smith v. Acme", Query: "agent=ada&queue=general", Search: "s1", PlacedBy: "admin al", Reason: "litigation", PlacedAt: t0.Add(time.Second)}
	for _, h := range []*store.Hold{&one, &matter} {
		if err := s.PlaceHold(ctx, h); err != nil {
			t.Fatal(err)
		}
		if h.ID == "" {
			t.Fatal("no id given")
		}
	}
	for name, bad := range map[string]store.Hold{
		"no reason":      {Recording: "r1", Interaction: "chat-1", PlacedBy: "compliance cora"},
		"no recording":   {Interaction: "chat-1", PlacedBy: "compliance cora", Reason: "x"},
		"both":           {Matter: "m", Query: "agent=ada", Recording: "r1", Interaction: "chat-1", PlacedBy: "compliance cora", Reason: "x"},
		"not a search":   {Matter: "m", Query: "kind=video", PlacedBy: "compliance cora", Reason: "x"},
		"reason too big": {Recording: "r1", Interaction: "chat-1", PlacedBy: "compliance cora", Reason: strings.Repeat("x", store.MaxHoldText+1)},
	} {
		if err := s.PlaceHold(ctx, &bad); !errors.Is(err, store.ErrBadFilter) && !errors.Is(err, store.ErrTooLong) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s = reopen(t, o, s)
	hs, err := s.Holds(ctx, false)
	if err != nil || len(hs) != 2 {
		t.Fatalf("holds: %+v %v", hs, err)
	}
	eq(t, "recording hold", hs[0], one)
	eq(t, "matter hold", hs[1], matter)
	lifted, err := s.LiftHold(ctx, one.ID, "compliance cora", "subpoena withdrawn", t0.Add(time.Hour))
	if err != nil || lifted.Active() || lifted.LiftedBy != "compliance cora" || lifted.LiftReason != "subpoena withdrawn" || !lifted.LiftedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("lift: %+v %v", lifted, err)
	}
	if _, err := s.LiftHold(ctx, one.ID, "compliance cora", "again", t0); !errors.Is(err, store.ErrLifted) {
		t.Fatalf("lift twice: %v", err)
	}
	if _, err := s.LiftHold(ctx, "nope", "compliance cora", "x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lift unknown: %v", err)
	}
	if _, err := s.LiftHold(ctx, matter.ID, "compliance cora", " ", t0); !errors.Is(err, store.ErrBadFilter) {
		t.Fatalf("lift without a reason: %v", err)
	}
	active, err := s.Holds(ctx, false)
	if err != nil || len(active) != 1 || active[0].ID != matter.ID {
		t.Fatalf("active after a lift: %+v %v", active, err)
	}
	all, err := s.Holds(ctx, true)
	if err != nil || len(all) != 2 || all[0].Active() {
		t.Fatalf("all holds: %+v %v", all, err)
	}
}

// retentionFixture stores chat-1 with two recordings that share a line
// and each took one of their own, each with a file.
func retentionFixture(t *testing.T, s store.Store) (r1, r2 store.File) {
	t.Helper()
	ctx := context.Background()
	rec := func(id string) store.Recording {
		return store.Recording{ID: id, Interaction: "chat-1", Queue: "general", Customer: "Bea", Agent: "ada", Kind: "auto",
			State: "final", Delivery: "store", Produced: true, FinishedAt: t0, Partitions: []string{"p1"}, Tags: map[string]string{"case": "77"},
			Parts: []session.Part{{Start: t0.Add(-time.Minute), End: t0}}}
	}
	b := &store.Batch{
		Chats: []store.Chat{sampleChat("chat-1", 1, session.Done)},
		Lines: []store.Line{line("chat-1", 1, session.FromCustomer, "shared words", false),
			line("chat-1", 2, session.FromCustomer, "only hers", false), line("chat-1", 3, session.FromCustomer, "only his", false)},
		Took: []store.Took{{Chat: "chat-1", Recording: "r1", Line: 1}, {Chat: "chat-1", Recording: "r1", Line: 2},
			{Chat: "chat-1", Recording: "r2", Line: 1}, {Chat: "chat-1", Recording: "r2", Line: 3}},
		Recordings: []store.Recording{rec("r1"), rec("r2")},
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	r1 = store.File{Name: "r1.webm", Path: "r1.webm", SHA256: shaA, Size: 10, Interaction: "chat-1", Recording: "r1", Agent: "ada"}
	r2 = store.File{Name: "r2.webm", Path: "r2.webm", SHA256: strings.ToLower(shaB), Size: 20, Interaction: "chat-1", Recording: "r2", Agent: "ada"}
	for _, f := range []*store.File{&r1, &r2} {
		if err := s.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	return r1, r2
}

// testArchive: a file marked archived says so, in the file and in its
// recording's list; restored, it no longer does.
func testArchive(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	f, _ := retentionFixture(t, s)
	if err := s.SetArchived(ctx, f.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, o, s)
	got, err := s.File(ctx, f.ID)
	if err != nil || !got.Archived.Equal(t0.Add(time.Hour)) {
		t.Fatalf("archived file: %+v %v", got, err)
	}
	page, err := s.Recordings(ctx, store.RecordingFilter{ID: "r1"})
	if err != nil || len(page.Recordings) != 1 || len(page.Recordings[0].Files) != 1 || !page.Recordings[0].Files[0].Archived {
		t.Fatalf("listed: %+v %v", page, err)
	}
	if err := s.SetArchived(ctx, f.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.File(ctx, f.ID); err != nil || !got.Archived.IsZero() {
		t.Fatalf("restored: %+v %v", got, err)
	}
	if err := s.SetArchived(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown file: %v", err)
	}
}

// testPurge: a purge deletes the recording's row, its files' rows, its
// full text and the lines only it took (a line another recording took
// stays), keeps a tombstone per file with the hash, and is refused while
// a hold on that recording stands.
func testPurge(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	f1, f2 := retentionFixture(t, s)
	hold := store.Hold{Recording: "r2", Interaction: "chat-1", PlacedBy: "compliance cora", Reason: "subpoena"}
	if err := s.PlaceHold(ctx, &hold); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgeRecording(ctx, store.Purge{Interaction: "chat-1", Recording: "r2", By: "retention", Why: "rule 1"}); !errors.Is(err, store.ErrHeld) {
		t.Fatalf("purge under hold: %v", err)
	}
	if _, err := s.File(ctx, f2.ID); err != nil {
		t.Fatalf("the held recording's file went: %v", err)
	}
	stones, err := s.PurgeRecording(ctx, store.Purge{Interaction: "chat-1", Recording: "r1", At: t0, By: "compliance cora", Why: "GDPR art. 17"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Tombstone{At: t0, Interaction: "chat-1", Recording: "r1", File: f1.ID, SHA256: f1.SHA256, Size: 10, By: "compliance cora", Why: "GDPR art. 17"}
	if len(stones) != 1 {
		t.Fatalf("tombstones: %+v", stones)
	}
	eq(t, "tombstone", stones[0], want)
	s = reopen(t, o, s)
	kept, err := s.Tombstones(ctx, "chat-1")
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept tombstones: %+v %v", kept, err)
	}
	eq(t, "kept tombstone", kept[0], want)
	if _, err := s.File(ctx, f1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("purged file's row: %v", err)
	}
	page, err := s.Recordings(ctx, store.RecordingFilter{Interaction: "chat-1"})
	if err != nil || len(page.Recordings) != 1 || page.Recordings[0].ID != "r2" {
		t.Fatalf("left: %+v %v", page, err)
	}
	if got := page.Recordings[0].Lines; len(got) != 2 || got[0].Text != "shared words" {
		t.Fatalf("r2's lines: %+v", got)
	}
	for q, n := range map[string]int{"hers": 0, "shared": 1, "his": 1} {
		p, err := s.Recordings(ctx, store.RecordingFilter{Text: q})
		if err != nil || len(p.Recordings) != n {
			t.Errorf("full text %q: %d recordings (want %d) %v", q, len(p.Recordings), n, err)
		}
	}
	lines, err := s.Transcript(ctx, "chat-1")
	if err != nil || len(lines) != 2 || lines[0].Text != "shared words" || lines[1].Text != "only his" {
		t.Fatalf("transcript: %+v %v", lines, err)
	}
	if p, err := s.Recordings(ctx, store.RecordingFilter{Partitions: []string{"p1"}, Tags: map[string]string{"case": "77"}}); err != nil || len(p.Recordings) != 1 {
		t.Fatalf("partition and tag rows: %+v %v", p, err)
	}
	if _, err := s.PurgeRecording(ctx, store.Purge{Interaction: "chat-1", Recording: "r1", By: "x", Why: "y"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("purge twice: %v", err)
	}
	if _, err := s.LiftHold(ctx, hold.ID, "compliance cora", "done", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgeRecording(ctx, store.Purge{Interaction: "chat-1", Recording: "r2", By: "retention", Why: "rule 1"}); err != nil {
		t.Fatalf("purge after the lift: %v", err)
	}
}
