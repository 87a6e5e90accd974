package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// TestSchema5FillsEarlierRecordings (issue 12, R-V5): recordings finished
// before schema 5 get their contact and disposition from their chat, their
// duration from their parts, their voice from their files' manifests,
// their partitions searchable; they sort by finished time.
func TestSchema5FillsEarlierRecordings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	oldStore(t, path, 4, `INSERT INTO chats (id, seq, contact, state, created, disposition)
			VALUES ('chat-1', 1, 'bea-1', 'done', '2026-11-20T09:00:00Z', 'Resolved');
		INSERT INTO recordings (id, interaction, kind, state, delivery, produced, finished_at, partitions, parts) VALUES
			('r1', 'chat-1', 'record', 'final', 'store', 1, '2026-11-20T10:00:00.25Z', '["eu","sales"]',
			 '[{"start":"2026-11-20T09:00:00Z","end":"2026-11-20T09:01:30.5Z"},{"start":"2026-11-20T09:05:00.123456789Z","end":"2026-11-20T09:05:10.123456789Z"}]'),
			('r2', 'chat-2', 'snip', 'final', 'store', 0, '2026-11-20T08:00:00Z', '[]', '[]');
		INSERT INTO files (id, name, path, sha256, size, interaction, recording, manifest, created) VALUES
			('f1', 'a', 'a', 'aa', 1, 'chat-1', 'r1', '{"tracks":[{"type":"video"},{"type":"audio"}]}', '2026-11-20T10:01:00Z'),
			('f2', 'b', 'b', 'bb', 1, 'chat-2', 'r2', '{"tracks":[{"type":"video"}]}', '2026-11-20T10:01:00Z'),
			('f3', 'c', 'c', 'cc', 1, '', '', 'not json', '2026-11-20T10:01:00Z')`)
	db := openFile(t, path)
	ctx := context.Background()
	p, err := db.Recordings(ctx, store.RecordingFilter{Contact: "bea-1", Disposition: "Resolved", Partitions: []string{"sales"},
		Voice: store.With, MinDuration: 100 * time.Second, MaxDuration: 101 * time.Second})
	if err != nil || len(p.Recordings) != 1 {
		t.Fatalf("r1 by its new columns: %+v %v", p, err)
	}
	r := p.Recordings[0]
	if r.DurationSeconds != 100.5 || !r.Voice || r.Contact != "bea-1" || r.Disposition != "Resolved" {
		t.Fatalf("r1: duration %v voice %v contact %q disposition %q", r.DurationSeconds, r.Voice, r.Contact, r.Disposition)
	}
	p, err = db.Recordings(ctx, store.RecordingFilter{Sort: store.SortFinished, From: time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)})
	if err != nil || len(p.Recordings) != 2 || p.Recordings[0].ID != "r2" || p.Recordings[0].Voice {
		t.Fatalf("by finished time, r2 (no voice) first: %+v %v", p.Recordings, err)
	}
	if f, err := db.File(ctx, "f3"); err != nil || f.ID != "f3" {
		t.Fatalf("a file whose manifest is not JSON survives: %v", err)
	}
}

// TestDeletingARecordingLeavesNothing (for issue 13's retention and
// erasure): deleting a recording's row deletes its text index row, its
// partitions, its tags and its bookmarks; another recording's stay.
func TestDeletingARecordingLeavesNothing(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "index.db"))
	ctx := context.Background()
	b := &store.Batch{}
	for _, id := range []string{"chat-1", "chat-2"} {
		b.Lines = append(b.Lines, store.Line{Chat: id, MessageData: session.MessageData{ID: 1, From: session.FromCustomer, Text: "parcel", At: time.Now()}})
		b.Took = append(b.Took, store.Took{Chat: id, Recording: id + "-r", Line: 1})
		b.Recordings = append(b.Recordings, store.Recording{ID: id + "-r", Interaction: id, Kind: "record", State: "final",
			Delivery: "store", Produced: true, FinishedAt: time.Now(), Partitions: []string{"eu"}, Tags: map[string]string{"case": "1"}})
	}
	if err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"chat-1-r", "chat-2-r"} {
		if err := db.AddBookmark(ctx, &store.Bookmark{Recording: id, User: "sue", Comment: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.db.ExecContext(ctx, `DELETE FROM recordings WHERE id = 'chat-1-r'`); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"recordings_text": 1, "recording_partitions": 1, "recording_tags": 1, "bookmarks": 1} {
		var n int
		if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d rows %v, want %d (chat-2's)", table, n, err, want)
		}
	}
	p, err := db.Recordings(ctx, store.RecordingFilter{Text: "parcel", Partitions: []string{"eu"}, Tags: map[string]string{"case": "1"}})
	if err != nil || len(p.Recordings) != 1 || p.Recordings[0].ID != "chat-2-r" {
		t.Fatalf("after the delete: %+v %v", p.Recordings, err)
	}
}

// TestSearchBesideTheWriter: in a file, a search reads on its own
// connection: it answers while a write transaction holds the writer (a
// long search never holds up a commit the hub waits on, nor the reverse),
// and it sees what was committed before it.
func TestSearchBesideTheWriter(t *testing.T) {
	db := openFile(t, filepath.Join(t.TempDir(), "index.db"))
	ctx := context.Background()
	rec := store.Recording{ID: "r1", Interaction: "chat-1", Kind: "record", State: "final", Delivery: "store", Produced: true, FinishedAt: time.Now()}
	if err := db.Apply(ctx, &store.Batch{Recordings: []store.Recording{rec}}); err != nil {
		t.Fatal(err)
	}
	tx, err := db.db.BeginTx(ctx, nil) // the writer's one connection, held
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('held', '1')`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		p, err := db.Recordings(ctx, store.RecordingFilter{Count: true, Text: "x", Sort: store.SortAgent})
		if err == nil && p.Total != 0 {
			err = fmt.Errorf("total %d", p.Total)
		}
		if err == nil {
			p, err = db.Recordings(ctx, store.RecordingFilter{})
			if err == nil && (len(p.Recordings) != 1 || p.Recordings[0].ID != "r1") {
				err = fmt.Errorf("found %+v", p.Recordings)
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the search waited for the writer's transaction")
	}
}
