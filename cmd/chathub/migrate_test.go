package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
	"github.com/agentdesk/agentdesk/session"
)

// populate fills a SQLite store with some of everything a hub keeps:
// live and done chats with their lines (one telling of a file), takes,
// agents, contacts, produced and dropped recordings with partitions and
// tags, a tombstone, stored files (one with voice), a saved search, a
// bookmark, accesses and an audit log with a signed checkpoint.
func populate(t *testing.T, dir string, signer audit.Options) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 123456789, time.UTC)
	b := &store.Batch{ChatSeq: 40}
	for i := 1; i <= 30; i++ {
		chat := fmt.Sprintf("chat-%d", i)
		state := session.Done
		if i > 25 {
			state = session.Connected
		}
		b.Chats = append(b.Chats, store.Chat{ID: chat, Seq: int64(i), Name: "Zoë " + chat, Contact: fmt.Sprintf("c-%d", i%4),
			Queue: "billing", State: state, Agent: "ada", Created: t0.Add(time.Duration(i) * time.Minute), CaseData: map[string]string{"order": chat},
			Tried: []string{"grace"}, Recorder: json.RawMessage(`{"chat":"` + chat + `"}`), DeleteAsk: i == 3})
		for j := int64(1); j <= 4; j++ {
			l := store.Line{Chat: chat, Private: j == 4, MessageData: session.MessageData{ID: j, From: session.FromCustomer, Name: "Zoë",
				Text: fmt.Sprintf("my parcel %d is late, café %d", i, j), At: t0.Add(time.Duration(i)*time.Minute + time.Duration(j)*time.Second)}}
			if j == 2 {
				l.File = &session.FileData{ID: "f-" + chat, Name: "photo.png", Size: 99}
			}
			b.Lines = append(b.Lines, l)
			b.Took = append(b.Took, store.Took{Chat: chat, Recording: chat + "-record-1", Line: j})
		}
		if i <= 25 {
			b.Recordings = append(b.Recordings, store.Recording{ID: chat + "-record-1", Name: chat + ".webm", Interaction: chat, Queue: "billing",
				Customer: "Zoë", Contact: fmt.Sprintf("c-%d", i%4), Agent: []string{"ada", "grace", "bob"}[i%3], Kind: "record",
				State: "final", Delivery: "store", Partitions: []string{"eu", fmt.Sprintf("p%d", i%2)}, Screen: i%2 == 0,
				Parts: []session.Part{{Start: t0, End: t0.Add(time.Duration(i) * time.Second)}}, Produced: i != 7, Why: map[bool]string{true: "declined consent"}[i == 7],
				FinishedAt: t0.Add(time.Duration(i) * time.Hour), Disposition: "Resolved", Tags: map[string]string{"case": fmt.Sprint(i)}, Agents: []string{"ada"}})
		}
	}
	b.Agents = []store.Agent{{ID: "ada", Ready: true, Idle: 3}, {ID: "grace", Idle: 9}}
	b.Contacts = []store.Contact{{ID: "c-1", Name: "Zoë", LastSeen: t0}}
	b.Tombstones = []store.Tombstone{{At: t0, Interaction: "chat-7", Recording: "chat-7-record-1", By: "agent ada", Why: "deletion request"}}
	if err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	voice := json.RawMessage(`{"tracks":[{"type":"audio"}]}`)
	for i := 1; i <= 5; i++ {
		chat := fmt.Sprintf("chat-%d", i)
		f := store.File{Name: chat + ".webm", Path: "files/" + chat + ".webm", SHA256: strings.Repeat(fmt.Sprint(i), 64), Size: int64(1000 * i),
			Interaction: chat, Recording: chat + "-record-1", Agent: "ada", Partitions: []string{"eu"}, Created: t0.Add(time.Duration(i) * time.Hour)}
		if i == 2 {
			f.Manifest = voice
		}
		if err := db.PutFile(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveSearch(ctx, &store.SavedSearch{User: "sue", Name: "late parcels", Query: "q=parcel+late"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddBookmark(ctx, &store.Bookmark{Recording: "chat-1-record-1", User: "sue", Offset: 3 * time.Second, Comment: "listen"}); err != nil {
		t.Fatal(err)
	}
	hold := store.Hold{Recording: "chat-2-record-1", Interaction: "chat-2", PlacedBy: "compliance cora", Reason: "matter 7"}
	if err := db.PlaceHold(ctx, &hold); err != nil {
		t.Fatal(err)
	}
	lifted := store.Hold{Matter: "old", Query: "agent=ada", PlacedBy: "compliance cora", Reason: "matter 1"}
	if err := db.PlaceHold(ctx, &lifted); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LiftHold(ctx, lifted.ID, "compliance cora", "settled", t0); err != nil {
		t.Fatal(err)
	}
	fs, err := db.SearchFiles(ctx, store.FileFilter{Interaction: "chat-3"})
	if err != nil || len(fs) != 1 {
		t.Fatal(fs, err)
	}
	if err := db.SetArchived(ctx, fs[0].ID, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, db, signer)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		a := store.Access{User: "sue", Role: "supervisor", Action: store.ActionPlay, Recording: fmt.Sprintf("chat-%d-record-1", i+1), Outcome: store.OutcomeOK}
		if err := db.LogAccess(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, audit.FromAccess(a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil { // a signed checkpoint
		t.Fatal(err)
	}
}

// everything reads what a store holds through the store interface, as
// JSON: the same text from two stores means the same content.
func everything(t *testing.T, s store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	js := func(k string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		b, _ := json.Marshal(v)
		out[k] = string(b)
	}
	live, err := s.Load(ctx)
	js("load", live, err)
	for _, sort := range store.SortColumns {
		p, err := s.Recordings(ctx, store.RecordingFilter{Sort: sort, Count: true})
		js("recordings by "+sort, p, err)
	}
	p, err := s.Recordings(ctx, store.RecordingFilter{Text: "cafe late", Partitions: []string{"p1"}, Tags: map[string]string{"case": "5"}})
	js("search", p, err)
	p, err = s.Recordings(ctx, store.RecordingFilter{Voice: store.With})
	js("voice", p, err)
	c, err := s.Chat(ctx, "chat-3")
	js("chat", c, err)
	h, more, err := s.History(ctx, store.HistoryQuery{Contact: "c-1", Sessions: 3})
	js("history", []any{h, more}, err)
	fs, err := s.SearchFiles(ctx, store.FileFilter{})
	js("files", fs, err)
	ts, err := s.Tombstones(ctx, "chat-7")
	js("tombstones", ts, err)
	ss, err := s.SavedSearches(ctx, "sue")
	js("saved searches", ss, err)
	bs, err := s.Bookmarks(ctx, "chat-1-record-1")
	js("bookmarks", bs, err)
	as, err := s.Accesses(ctx, store.AccessFilter{})
	js("accesses", as, err)
	hs, err := s.Holds(ctx, true)
	js("holds", hs, err)
	var csv bytes.Buffer
	n, err := store.ExportCSV(ctx, s, store.RecordingFilter{Sort: store.SortAgent, Desc: true}, &csv, store.MaxExport)
	js("csv export", []any{n, csv.String()}, err)
	st, err := s.Stats(ctx, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	js("stats", st, err)
	if al, ok := s.(store.AuditLog); ok {
		cks, err := al.AuditCheckpoints(ctx)
		js("audit checkpoints", cks, err)
		var leaves []store.AuditLeaf
		err = al.ScanAudit(ctx, 0, func(l store.AuditLeaf) error { leaves = append(leaves, l); return nil })
		js("audit leaves", leaves, err)
	}
	return out
}

// TestMigrateSQLiteToPostgres (issue 16): chathub migrate moves a
// populated SQLite store into PostgreSQL: every table's count and checksum
// printed and matching, everything read through the store interface the
// same from both, the audit log verifying on PostgreSQL (R-V9), the
// copied store written on (its sequences follow the copied rows); a second
// run refuses the full target unless --replace; a store a hub holds is
// refused.
func TestMigrateSQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.StartT(t).Database(t)
	dir := t.TempDir()
	signer, vkey, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile), audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	populate(t, dir, audit.Options{Signer: signer, Every: time.Hour})

	var out, errb bytes.Buffer
	t.Setenv("AGENTDESK_MIGRATE_TEST_DSN", dsn)
	if code := run(ctx, []string{"migrate", "--from", dir, "--to-env", "AGENTDESK_MIGRATE_TEST_DSN"}, &out, &errb); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, table := range []string{"chats", "lines", "took", "recordings", "recording_partitions", "recording_tags", "files",
		"accesses", "holds", "audit_leaves", "audit_hashes", "audit_checkpoints", "saved_searches", "bookmarks", "tombstones", "meta", "agents", "contacts"} {
		if !regexpLine(out.String(), table) {
			t.Errorf("the report has no matching line for %s:\n%s", table, out.String())
		}
	}
	t.Logf("chathub migrate:\n%s", out.String())
	if strings.Contains(out.String(), "DIFFERS") || !strings.Contains(out.String(), "every table's rows and checksum match") {
		t.Fatalf("report:\n%s", out.String())
	}
	if strings.Contains(out.String()+errb.String(), "host=") {
		t.Fatalf("the report shows the raw DSN:\n%s", out.String())
	}

	src, err := sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	want := everything(t, src)
	src.Close()
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got := everything(t, pg)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s differs after the copy:\n got %.600s\nwant %.600s", k, got[k], w)
		}
	}
	if !strings.Contains(got["files"], `"archived"`) || !strings.Contains(got["holds"], "settled") {
		t.Errorf("the copy lost an archived file or a lifted hold: %s %s", got["files"], got["holds"])
	}
	if _, err := pg.PurgeRecording(ctx, store.Purge{Interaction: "chat-2", Recording: "chat-2-record-1", By: "x", Why: "y"}); !errors.Is(err, store.ErrHeld) {
		t.Errorf("a recording on hold purged on the copy: %v", err)
	}
	if !strings.Contains(got["csv export"], "chat-25-record-1") {
		t.Errorf("the CSV export of the copy: %.300s", got["csv export"])
	}
	if !strings.Contains(got["search"], "chat-5-record-1") {
		t.Errorf("the full text search on the copy found %s", got["search"])
	}
	v, err := audit.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, pg, v, nil); err != nil || !rep.OK() || rep.Size != 12 {
		t.Fatalf("the audit log on PostgreSQL: %+v %v", rep, err)
	}
	// chathub audit verify, on the hub's config that names PostgreSQL.
	cfg := filepath.Join(t.TempDir(), "chathub.yaml")
	yml := strings.Replace(string(configs.ChatHub), "  dir: agentdesk-store",
		"  dir: "+dir+"\n  driver: postgres\n  dsn_env: AGENTDESK_MIGRATE_TEST_DSN", 1)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runAuditCmd(t, "verify", "--config", cfg); code != 0 || !strings.Contains(out, "12 entries") {
		t.Fatalf("audit verify on PostgreSQL: exit %d\n%s", code, out)
	}
	// Written on: new rows take numbers after the copied ones.
	if err := pg.Apply(ctx, &store.Batch{Recordings: []store.Recording{{ID: "new-r", Interaction: "chat-99", Kind: "record",
		State: "final", Delivery: "store", Produced: true, FinishedAt: time.Now()}}}); err != nil {
		t.Fatalf("a recording after the copy: %v", err)
	}
	if err := pg.LogAccess(ctx, &store.Access{User: "sue", Action: store.ActionView, Outcome: store.OutcomeOK}); err != nil {
		t.Fatalf("an access after the copy: %v", err)
	}
	if p, err := pg.Accesses(ctx, store.AccessFilter{Limit: 1}); err != nil || p.Accesses[0].Action != store.ActionView {
		t.Fatalf("the newest access after the copy: %+v %v", p, err)
	}

	// Again: the target is full.
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"migrate", "--from", dir, "--to", dsn}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "already holds a store") {
		t.Fatalf("a second migrate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"migrate", "--from", dir, "--to", dsn, "--replace"}, &out, &errb); code != 0 {
		t.Fatalf("migrate --replace: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if got := everything(t, pg); got["recordings by finished"] != want["recordings by finished"] {
		t.Fatalf("after --replace the copy differs:\n%.300s", got["recordings by finished"])
	}

	// A hub running on the store: refused, nothing read.
	held, err := sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	errb.Reset()
	if code := run(ctx, []string{"migrate", "--from", dir, "--to", dsn, "--replace"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "in use") {
		t.Fatalf("migrate beside a running hub: exit %d %s", code, errb.String())
	}
}

// regexpLine reports whether out has a report line for table whose rows
// and checksums match ("table  n  n  sum  sum  ok").
func regexpLine(out, table string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == table && f[1] == f[2] && f[3] == f[4] && f[5] == "ok" && f[1] != "0" {
			return true
		}
	}
	return false
}

// TestMigrateArguments: bad arguments are exit 2 with words saying what
// is wrong; a folder without a store is exit 1.
func TestMigrateArguments(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"migrate", "--to", "postgres://x@y/z"}, 2, "--from"},
		{[]string{"migrate", "--from", "d"}, 2, "--to DSN"},
		{[]string{"migrate", "--from", "d", "--to", "a", "--to-env", "B"}, 2, "once"},
		{[]string{"migrate", "--from", "d", "--to-env", "AGENTDESK_UNSET_FOR_TEST"}, 2, "not set"},
		{[]string{"migrate", "--from", t.TempDir(), "--to", "postgres://x@127.0.0.1:1/z"}, 1, "index.db"},
		{[]string{"migrate", "--bogus"}, 2, "bogus"},
	} {
		var out, errb bytes.Buffer
		if code := run(ctx, c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.says) {
			t.Errorf("%q: exit %d %q, want %d saying %q", c.args, code, errb.String(), c.code, c.says)
		}
	}
	var out bytes.Buffer
	if code := run(ctx, []string{"migrate", "--help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "--replace") {
		t.Errorf("help: %d %s", code, out.String())
	}
}
