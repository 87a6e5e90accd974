// Package storetest is the contract every store.Store implementation
// passes: one suite, run against SQLite (hub/store/sqlite) and PostgreSQL
// (hub/store/postgres, on a real server the tests start), the way
// litestream tests its replica clients.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Opener makes a fresh, empty store for one test. Reopen closes s and
// opens the same store again (what a restarted hub sees); a store that
// cannot outlive Close returns nil, and the persistence checks are skipped
// for it.
type Opener interface {
	Open(t *testing.T) store.Store
	Reopen(t *testing.T, s store.Store) store.Store
}

// Run runs the whole contract.
func Run(t *testing.T, o Opener) {
	t.Run("Files", func(t *testing.T) { testFiles(t, o) })
	t.Run("FileRefusals", func(t *testing.T) { testFileRefusals(t, o) })
	t.Run("ChatsRoundTrip", func(t *testing.T) { testChatsRoundTrip(t, o) })
	t.Run("LastRowWins", func(t *testing.T) { testLastRowWins(t, o) })
	t.Run("AtomicBatch", func(t *testing.T) { testAtomicBatch(t, o) })
	t.Run("History", func(t *testing.T) { testHistory(t, o) })
	t.Run("Recordings", func(t *testing.T) { testRecordings(t, o) })
	t.Run("RecordingParts", func(t *testing.T) { testRecordingParts(t, o) })
	t.Run("SearchRecordings", func(t *testing.T) { testSearchRecordings(t, o) })
	t.Run("SearchWordsSplit", func(t *testing.T) { testSearchWordsSplit(t, o) })
	t.Run("SearchFilters", func(t *testing.T) { testSearchFilters(t, o) })
	t.Run("SortAndCount", func(t *testing.T) { testSortAndCount(t, o) })
	t.Run("Voice", func(t *testing.T) { testVoice(t, o) })
	t.Run("SavedSearches", func(t *testing.T) { testSavedSearches(t, o) })
	t.Run("Bookmarks", func(t *testing.T) { testBookmarks(t, o) })
	t.Run("AccessLog", func(t *testing.T) { testAccessLog(t, o) })
	t.Run("Stats", func(t *testing.T) { testStats(t, o) })
	t.Run("Retention", func(t *testing.T) { RunRetention(t, o) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, o) })
}

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
)

var t0 = time.Date(2026, 11, 21, 9, 5, 7, 123456789, time.UTC)

func reopen(t *testing.T, o Opener, s store.Store) store.Store {
	t.Helper()
	if r := o.Reopen(t, s); r != nil {
		return r
	}
	return s
}

// testFiles: every field of a file survives a reopen; checksum lookups are
// any case, oldest first, per agent when asked (R-V7, R-G3).
func testFiles(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	in := store.File{
		Name: "2026-11-21_090507_general_ada_c-42_record_r1.webm.age", Path: "billing/x.webm.age",
		SHA256: shaA, Size: 1234, Interaction: "c-42", Recording: "r1", Agent: "ada", Customer: "Bea",
		Queue: "general", Kind: "record", Disposition: "Resolved", Partitions: []string{"sales", "eu"},
		Metadata: json.RawMessage(`{"case":"77"}`), Manifest: json.RawMessage(`{"version":1}`), Encrypted: true,
		Created: t0,
	}
	if err := s.PutFile(ctx, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.ID) != 26 {
		t.Fatalf("id %q: want a 26-character time-ordered id", in.ID)
	}
	s = reopen(t, o, s)
	got, err := s.File(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("round trip\n got %s\nwant %s", b, a)
	}
	more := []store.File{
		{Name: "b", Path: "b", SHA256: shaB, Size: 2, Interaction: "c-1", Agent: "grace", Created: t0.Add(time.Second)},
		{Name: "c", Path: "sub/c", SHA256: shaA, Size: 1, Interaction: "c-2", Recording: "r9", Agent: "grace", Created: t0.Add(2 * time.Second)},
	}
	for i := range more {
		if err := s.PutFile(ctx, &more[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ sha, agent, want string }{
		{strings.ToUpper(shaA), "", in.Name}, {shaA, "grace", "c"}, {shaB, "", "b"}, {shaB, "ada", ""},
		{strings.Repeat("0", 64), "", ""},
	} {
		f, err := s.FileBySHA(ctx, c.sha, c.agent)
		switch {
		case c.want == "" && !errors.Is(err, store.ErrNotFound):
			t.Fatalf("FileBySHA(%.6s, %q) = %s %v, want ErrNotFound", c.sha, c.agent, f.Name, err)
		case c.want != "" && (err != nil || f.Name != c.want):
			t.Fatalf("FileBySHA(%.6s, %q) = %s %v, want %s", c.sha, c.agent, f.Name, err, c.want)
		}
	}
	for _, c := range []struct {
		f    store.FileFilter
		want string
	}{
		{store.FileFilter{}, in.Name + " b c"}, {store.FileFilter{Interaction: "c-1"}, "b"},
		{store.FileFilter{Agent: "grace"}, "b c"}, {store.FileFilter{Agent: "grace", Interaction: "c-2"}, "c"},
		{store.FileFilter{Recording: "r9"}, "c"}, {store.FileFilter{Limit: 2}, in.Name + " b"},
		{store.FileFilter{Agent: "nobody"}, ""},
	} {
		got, err := s.SearchFiles(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range got {
			names = append(names, f.Name)
		}
		if n := strings.Join(names, " "); n != c.want {
			t.Fatalf("SearchFiles(%+v) = %q, want %q", c.f, n, c.want)
		}
	}
}

func testFileRefusals(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	ok := store.File{ID: "one", Name: "n", Path: "p", SHA256: shaA, Size: 3}
	if err := s.PutFile(ctx, &ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    store.File
		want error
	}{
		{"same id", store.File{ID: "one", Name: "n", Path: "q", SHA256: shaA}, store.ErrExists},
		{"same path", store.File{Name: "n", Path: "p", SHA256: shaA}, store.ErrExists},
		{"no name", store.File{Path: "r", SHA256: shaA}, store.ErrBadFile},
		{"no path", store.File{Name: "r", SHA256: shaA}, store.ErrBadFile},
		{"short sha", store.File{Name: "r", Path: "r", SHA256: "abc"}, store.ErrBadFile},
		{"negative size", store.File{Name: "r", Path: "r", SHA256: shaA, Size: -1}, store.ErrBadFile},
		{"bad metadata", store.File{Name: "r", Path: "r", SHA256: shaA, Metadata: json.RawMessage(`{`)}, store.ErrBadFile},
	} {
		if err := s.PutFile(ctx, &c.f); !errors.Is(err, c.want) {
			t.Fatalf("%s: PutFile err %v, want %v", c.name, err, c.want)
		}
	}
	if err := s.DeleteFile(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.File(ctx, "one"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("File after DeleteFile: %v", err)
	}
	if err := s.DeleteFile(ctx, "one"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteFile twice: %v", err)
	}
}

// sampleChat is a chat with every field set.
func sampleChat(id string, seq int64, state session.State) store.Chat {
	return store.Chat{
		ID: id, Seq: seq, ResumeHash: strings.Repeat("ab", 32), Name: "Bea Ü", Contact: "bea-1", Queue: "billing",
		State: state, Reason: "", Agent: "ada", Created: t0, OfferedAt: t0.Add(time.Second),
		OfferExpiry: t0.Add(21 * time.Second), ConnectedAt: t0.Add(2 * time.Second), ACWDeadline: t0.Add(time.Hour),
		AwayUntil: t0.Add(30 * time.Second), Disposition: "Resolved", Note: "called back",
		CaseData: map[string]string{"case": "77"}, Tried: []string{"grace", "ada"}, Consent: "yes",
		DeleteAsk: true, Recorder: json.RawMessage(`{"chat":"` + id + `","state":"connected"}`),
		Names: map[string]string{id + "-record-1": "x.webm"}, Told: session.NoticeRecording,
	}
}

func line(chat string, id int64, from, text string, private bool) store.Line {
	return store.Line{Chat: chat, Private: private, MessageData: session.MessageData{
		ID: id, From: from, Name: "Bea", Text: text, At: t0.Add(time.Duration(id) * time.Second)}}
}

// testChatsRoundTrip: a live chat with its transcript, takes, agents and
// the id counter comes back from Load after a reopen, field for field; a
// done chat does not (but Chat still finds it).
func testChatsRoundTrip(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	live := sampleChat("chat-7", 7, session.Connected)
	done := sampleChat("chat-3", 3, session.Done)
	done.EndedAt = t0.Add(time.Minute)
	b := &store.Batch{
		Chats: []store.Chat{live, done},
		Lines: []store.Line{line("chat-7", 1, session.FromCustomer, "hi ✓", false),
			line("chat-7", 2, session.FromSystem, "Recording started (Record)", true),
			{Chat: "chat-7", MessageData: session.MessageData{ID: 3, From: session.FromAgent, Name: "Ada", Text: "see", URL: "https://example.org/x", At: t0}},
			line("chat-3", 1, session.FromCustomer, "old", false)},
		Took:     []store.Took{{Chat: "chat-7", Recording: "chat-7-record-1", Line: 2}, {Chat: "chat-7", Recording: "chat-7-record-1", Line: 3}},
		Agents:   []store.Agent{{ID: "ada", Ready: true, Idle: 12}, {ID: "grace", Idle: 3}},
		Contacts: []store.Contact{{ID: "bea-1", Name: "Bea", LastSeen: t0}},
		ChatSeq:  9,
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, &store.Batch{ChatSeq: 8}); err != nil { // the counter never goes back
		t.Fatal(err)
	}
	s = reopen(t, o, s)
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l.ChatSeq != 9 {
		t.Fatalf("ChatSeq %d, want 9", l.ChatSeq)
	}
	if len(l.Chats) != 1 {
		t.Fatalf("Load: %d live chats, want 1 (the done one stays out)", len(l.Chats))
	}
	got := l.Chats[0]
	eq(t, "chat", got.Chat, live)
	eq(t, "lines", got.Lines, b.Lines[:3])
	eq(t, "took", got.Took, map[string][]int64{"chat-7-record-1": {2, 3}})
	eq(t, "agents", l.Agents, b.Agents)
	c, err := s.Chat(ctx, "chat-3")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "done chat", c, done)
	if lines, err := s.Transcript(ctx, "chat-3"); err != nil {
		t.Fatal(err)
	} else {
		eq(t, "a done chat's transcript", lines, b.Lines[3:])
	}
	if lines, err := s.Transcript(ctx, "chat-404"); err != nil || len(lines) != 0 {
		t.Fatalf("an unknown chat's transcript: %v %v", lines, err)
	}
	if _, err := s.Chat(ctx, "chat-99"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Chat(unknown): %v", err)
	}
}

// testLastRowWins: a batch may carry one chat several times; the last row
// is what is stored.
func testLastRowWins(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	a := sampleChat("chat-1", 1, session.Queued)
	b := a
	b.State, b.Note = session.Offered, "later"
	if err := s.Apply(ctx, &store.Batch{Chats: []store.Chat{a, b}}); err != nil {
		t.Fatal(err)
	}
	c, err := s.Chat(ctx, "chat-1")
	if err != nil || c.State != session.Offered || c.Note != "later" {
		t.Fatalf("got %v %q %v", c.State, c.Note, err)
	}
}

// testAtomicBatch: a batch that fails in its middle writes nothing.
func testAtomicBatch(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	if err := s.Apply(ctx, &store.Batch{Chats: []store.Chat{sampleChat("chat-1", 1, session.Connected)},
		Lines: []store.Line{line("chat-1", 1, session.FromCustomer, "one", false)}}); err != nil {
		t.Fatal(err)
	}
	bad := &store.Batch{
		Chats: []store.Chat{sampleChat("chat-2", 2, session.Queued)},
		Lines: []store.Line{line("chat-1", 2, session.FromCustomer, "two", false), line("chat-1", 1, session.FromCustomer, "again", false)},
	}
	if err := s.Apply(ctx, bad); err == nil {
		t.Fatal("a batch repeating a line id was applied")
	}
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Chats) != 1 || len(l.Chats[0].Lines) != 1 || l.Chats[0].Lines[0].Text != "one" {
		t.Fatalf("after a failed batch: %+v", l.Chats)
	}
}

// testHistory: a contact's done sessions, newest first, bounded by count
// and bytes; Before pages back; the newest session alone over budget comes
// as its newest lines, marked partial (R-I2).
func testHistory(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	b := &store.Batch{}
	for i := int64(1); i <= 5; i++ {
		id := fmt.Sprintf("chat-%d", i)
		c := sampleChat(id, i, session.Done)
		c.Created = t0.Add(time.Duration(i) * time.Hour)
		if i == 5 {
			c.State = session.Connected // the live one: never history
		}
		b.Chats = append(b.Chats, c)
		for j := int64(1); j <= 3; j++ {
			b.Lines = append(b.Lines, line(id, j, session.FromCustomer, fmt.Sprintf("%s line %d", id, j), false))
		}
	}
	other := sampleChat("chat-6", 6, session.Done)
	other.Contact = "someone-else"
	empty := sampleChat("chat-0", 0, session.Done) // no lines: not a session
	b.Chats = append(b.Chats, other, empty)
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	ids := func(ss []session.Session) string {
		var out []string
		for _, x := range ss {
			out = append(out, fmt.Sprintf("%s:%d", x.Chat, len(x.Transcript)))
			if x.Partial {
				out[len(out)-1] += "p"
			}
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		name string
		q    store.HistoryQuery
		want string
		more bool
	}{
		{"newest first", store.HistoryQuery{Contact: "bea-1", Exclude: "chat-5", Sessions: 10}, "chat-4:3 chat-3:3 chat-2:3 chat-1:3", false},
		{"by count", store.HistoryQuery{Contact: "bea-1", Sessions: 2}, "chat-4:3 chat-3:3", true},
		{"before", store.HistoryQuery{Contact: "bea-1", Before: "chat-3", Sessions: 10}, "chat-2:3 chat-1:3", false},
		{"by bytes", store.HistoryQuery{Contact: "bea-1", Sessions: 10, MaxBytes: 2*3*(16+3+96) + 10}, "chat-4:3 chat-3:3", true},
		{"newest alone over budget", store.HistoryQuery{Contact: "bea-1", Sessions: 10, MaxBytes: 2 * (16 + 3 + 96)}, "chat-4:2p", true},
		{"unknown contact", store.HistoryQuery{Contact: "nobody", Sessions: 10}, "", false},
		{"no contact", store.HistoryQuery{Sessions: 10}, "", false},
	} {
		got, more, err := s.History(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != c.want || more != c.more {
			t.Fatalf("%s: got %q more=%v, want %q more=%v", c.name, ids(got), more, c.want, c.more)
		}
	}
	got, _, _ := s.History(ctx, store.HistoryQuery{Contact: "bea-1", Sessions: 1})
	if len(got) != 1 || !got[0].Start.Equal(t0.Add(4*time.Hour)) || got[0].Transcript[2].Text != "chat-4 line 3" {
		t.Fatalf("session content: %+v", got)
	}
}

// testRecordings: finished recordings come back in the order they
// finished, with the lines they took, their files, and by page; names are
// known taken (R-H4).
func testRecordings(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	rec := func(chat, id, name string, produced bool) store.Recording {
		return store.Recording{ID: id, Name: name, Interaction: chat, Queue: "general", Customer: "Bea", Agent: "ada",
			Kind: "record", State: "final", Delivery: "agent", Side: "destination", Dest: "d", Partitions: []string{"p1"},
			Screen: true, Parts: []session.Part{{Start: t0, End: t0.Add(time.Minute), Pauses: []session.Span{{From: t0.Add(time.Second), To: t0.Add(2 * time.Second)}}}},
			Log:      []session.RecChange{{At: t0, Op: "start", From: "stopped", To: "on", By: session.Actor{Role: "agent", ID: "ada", Reason: "Record pressed"}}},
			Produced: produced, FinishedAt: t0.Add(time.Hour), Contact: "bea-1", Disposition: "Resolved",
			Tags: map[string]string{"case": "77"}}
	}
	r1, r2, r3 := rec("chat-1", "chat-1-record-1", "one.webm", true), rec("chat-1", "chat-1-snip-2", "", false), rec("chat-2", "chat-2-record-1", "two.webm", true)
	r2.Why = "the customer asked for deletion"
	b := &store.Batch{
		Chats: []store.Chat{sampleChat("chat-1", 1, session.Done), sampleChat("chat-2", 2, session.Done)},
		Lines: []store.Line{line("chat-1", 1, session.FromCustomer, "a", false), line("chat-1", 2, session.FromCustomer, "b", false),
			line("chat-2", 1, session.FromCustomer, "c", false)},
		Took:       []store.Took{{Chat: "chat-1", Recording: "chat-1-record-1", Line: 2}, {Chat: "chat-2", Recording: "chat-2-record-1", Line: 1}},
		Recordings: []store.Recording{r1, r2, r3},
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	f := store.File{Name: "one.webm", Path: "one.webm", SHA256: shaA, Size: 10, Interaction: "chat-1", Recording: "chat-1-record-1", Agent: "ada"}
	if err := s.PutFile(ctx, &f); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, o, s)
	page, err := s.Recordings(ctx, store.RecordingFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Recordings) != 3 || page.Next != "" {
		t.Fatalf("%d recordings, next %q", len(page.Recordings), page.Next)
	}
	want := r1
	want.DurationSeconds = 60 // its part, the pause padded in (R-G4)
	want.Lines = []session.MessageData{b.Lines[1].MessageData}
	want.Files = []store.FileRef{{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size, Agent: "ada", Made: f.Created.UTC()}}
	eq(t, "recording", page.Recordings[0], want)
	if d := page.Recordings[1]; d.Produced || d.Why == "" || len(d.Lines) != 0 || d.Files != nil {
		t.Fatalf("dropped recording %+v", d)
	}
	p1, err := s.Recordings(ctx, store.RecordingFilter{Limit: 2})
	if err != nil || len(p1.Recordings) != 2 || p1.Next == "" {
		t.Fatalf("page 1: %d, next %q, %v", len(p1.Recordings), p1.Next, err)
	}
	p2, err := s.Recordings(ctx, store.RecordingFilter{Limit: 2, Cursor: p1.Next})
	if err != nil || len(p2.Recordings) != 1 || p2.Recordings[0].ID != "chat-2-record-1" || p2.Next != "" {
		t.Fatalf("page 2: %+v, %v", p2, err)
	}
	one, err := s.Recordings(ctx, store.RecordingFilter{Interaction: "chat-2"})
	if err != nil || len(one.Recordings) != 1 || one.Recordings[0].Lines[0].Text != "c" {
		t.Fatalf("by interaction: %+v %v", one, err)
	}
	if _, err := s.Recordings(ctx, store.RecordingFilter{Cursor: "x"}); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	stone := store.Tombstone{At: t0, Interaction: "chat-1", Recording: "chat-1-snip-2", File: "01ABC", SHA256: shaA, Size: 9,
		By: "agent ada", Why: "the customer asked for deletion"}
	if err := s.Apply(ctx, &store.Batch{Tombstones: []store.Tombstone{stone}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Tombstones(ctx, "chat-1"); err != nil || len(got) != 1 {
		t.Fatalf("tombstones %+v %v", got, err)
	} else {
		eq(t, "tombstone", got[0], stone)
	}
	if got, err := s.Tombstones(ctx, "chat-2"); err != nil || len(got) != 0 {
		t.Fatalf("tombstones of another chat %+v %v", got, err)
	}
	for name, want := range map[string]bool{"one.webm": true, "two.webm": true, "three.webm": false} {
		if got, err := s.NameTaken(ctx, name); err != nil || got != want {
			t.Fatalf("NameTaken(%s) = %v %v", name, got, err)
		}
	}
}

// eq fails when got and want differ, comparing times as instants.
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) || (reflect.TypeOf(got) != reflect.TypeOf(want)) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// testSearchRecordings (issue 12, R-V5): each filter narrows the list, they
// combine, the full text finds words of what a recording took (whatever
// their case and accents, never a line it did not take, never in a
// recording that was not produced), words typed are never query syntax,
// and the search survives a reopen.
func testSearchRecordings(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	mk := func(n int, agent, queue, kind string, finished time.Time, produced bool) store.Recording {
		chat := fmt.Sprintf("chat-%d", n)
		return store.Recording{ID: chat + "-" + kind + "-1", Interaction: chat, Queue: queue, Customer: fmt.Sprintf("Cust %d", n), Agent: agent,
			Kind: kind, State: "final", Delivery: "store", Parts: []session.Part{}, Log: []session.RecChange{}, Produced: produced, FinishedAt: finished}
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	recs := []store.Recording{
		mk(1, "ada", "billing", "record", day.Add(9*time.Hour), true),
		mk(2, "grace", "billing", "snip", day.Add(10*time.Hour+500*time.Millisecond), true),
		mk(3, "ada", "general", "automatic", day.Add(34*time.Hour), true),
		mk(4, "ada", "general", "record", day.Add(35*time.Hour), false),
	}
	texts := map[int][]string{1: {"My PARCEL is late", "Sorry about that"}, 2: {"Le café était froid"}, 3: {"parcel tracking number"}, 4: {"parcel lost"}}
	b := &store.Batch{ChatSeq: 4}
	for n := 1; n <= 4; n++ {
		chat := fmt.Sprintf("chat-%d", n)
		b.Chats = append(b.Chats, sampleChat(chat, int64(n), session.Done))
		for i, text := range texts[n] {
			b.Lines = append(b.Lines, line(chat, int64(i+1), session.FromCustomer, text, false))
			b.Took = append(b.Took, store.Took{Chat: chat, Recording: recs[n-1].ID, Line: int64(i + 1)})
		}
	}
	b.Lines = append(b.Lines, line("chat-3", 9, session.FromAgent, "an untaken secret", false)) // said but not recorded
	b.Recordings = recs
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, o, s)
	for _, c := range []struct {
		name string
		f    store.RecordingFilter
		want []string // interactions, in order
	}{
		{"all", store.RecordingFilter{}, []string{"chat-1", "chat-2", "chat-3", "chat-4"}},
		{"agent", store.RecordingFilter{Agent: "ada"}, []string{"chat-1", "chat-3", "chat-4"}},
		{"queue", store.RecordingFilter{Queue: "billing"}, []string{"chat-1", "chat-2"}},
		{"kind", store.RecordingFilter{Kind: "snip"}, []string{"chat-2"}},
		{"customer", store.RecordingFilter{Customer: "Cust 3"}, []string{"chat-3"}},
		{"agent and queue", store.RecordingFilter{Agent: "ada", Queue: "general"}, []string{"chat-3", "chat-4"}},
		{"from", store.RecordingFilter{From: day.Add(10 * time.Hour)}, []string{"chat-2", "chat-3", "chat-4"}},
		{"to (before, not at)", store.RecordingFilter{To: day.Add(10*time.Hour + 500*time.Millisecond)}, []string{"chat-1"}},
		{"one day", store.RecordingFilter{From: day, To: day.Add(24 * time.Hour)}, []string{"chat-1", "chat-2"}},
		{"a word, any case", store.RecordingFilter{Text: "parcel"}, []string{"chat-1", "chat-3"}},
		{"every word", store.RecordingFilter{Text: "parcel late"}, []string{"chat-1"}},
		{"accents folded", store.RecordingFilter{Text: "cafe etait"}, []string{"chat-2"}},
		{"not a line it did not take", store.RecordingFilter{Text: "secret"}, nil},
		{"text and agent", store.RecordingFilter{Text: "parcel", Agent: "grace"}, nil},
		{"syntax is words", store.RecordingFilter{Text: `parcel" OR "sorry NEAR(`}, nil},
		{"a quote alone", store.RecordingFilter{Text: `"`}, nil},
		{"agents in a set", store.RecordingFilter{AgentIn: []string{"grace", "nobody"}}, []string{"chat-2"}},
		{"kinds in a set", store.RecordingFilter{KindIn: []string{"record", "automatic"}}, []string{"chat-1", "chat-3", "chat-4"}},
		{"an empty set matches nothing", store.RecordingFilter{AgentIn: []string{}}, nil},
		{"sets and fields", store.RecordingFilter{AgentIn: []string{"ada"}, KindIn: []string{"record"}, Queue: "general"}, []string{"chat-4"}},
		{"newest first", store.RecordingFilter{Desc: true}, []string{"chat-4", "chat-3", "chat-2", "chat-1"}},
		{"newest first, searched", store.RecordingFilter{Agent: "ada", Desc: true, Text: "parcel"}, []string{"chat-3", "chat-1"}},
	} {
		page, err := s.Recordings(ctx, c.f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []string
		for _, r := range page.Recordings {
			got = append(got, r.Interaction)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	p1, err := s.Recordings(ctx, store.RecordingFilter{Agent: "ada", Limit: 2})
	if err != nil || len(p1.Recordings) != 2 || p1.Next == "" {
		t.Fatalf("a search by page: %+v %v", p1, err)
	}
	p2, err := s.Recordings(ctx, store.RecordingFilter{Agent: "ada", Limit: 2, Cursor: p1.Next})
	if err != nil || len(p2.Recordings) != 1 || p2.Recordings[0].Interaction != "chat-4" || p2.Next != "" {
		t.Fatalf("the search's second page: %+v %v", p2, err)
	}
	// newest first, the cursor pages back in time (the desktop's My Recordings)
	n1, err := s.Recordings(ctx, store.RecordingFilter{Agent: "ada", Desc: true, Limit: 2})
	if err != nil || len(n1.Recordings) != 2 || n1.Recordings[0].Interaction != "chat-4" || n1.Next == "" {
		t.Fatalf("newest first by page: %+v %v", n1, err)
	}
	n2, err := s.Recordings(ctx, store.RecordingFilter{Agent: "ada", Desc: true, Limit: 2, Cursor: n1.Next})
	if err != nil || len(n2.Recordings) != 1 || n2.Recordings[0].Interaction != "chat-1" || n2.Next != "" {
		t.Fatalf("newest first, the second page: %+v %v", n2, err)
	}
	if _, err := s.Recordings(ctx, store.RecordingFilter{Text: strings.Repeat("a", store.MaxTextQuery+1)}); !errors.Is(err, store.ErrBadFilter) {
		t.Fatalf("a text too long: %v", err)
	}
}

// testRecordingParts (issue 14, R-G1): a recording two desktops captured
// (its chat was transferred) lists both files as its parts, in the order
// the desktops made them (not the order they were uploaded), each with the
// agent who uploaded it.
func testRecordingParts(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	defer s.Close()
	r := store.Recording{ID: "chat-1-dynamic-1", Name: "parts", Interaction: "chat-1", Queue: "general", Agent: "ada",
		Kind: "dynamic", State: "final", Delivery: "store", Produced: true, FinishedAt: t0, Agents: []string{"ada", "alan"},
		Parts: []session.Part{{Start: t0.Add(-time.Hour), End: t0}}}
	if err := s.Apply(ctx, &store.Batch{Chats: []store.Chat{sampleChat("chat-1", 1, session.Done)}, Recordings: []store.Recording{r}}); err != nil {
		t.Fatal(err)
	}
	manifest := func(made time.Time) json.RawMessage {
		return json.RawMessage(`{"created":"` + made.Format(time.RFC3339Nano) + `"}`)
	}
	// Alan's desktop uploads first, though Ada's part came first: her
	// desktop was offline until after the chat.
	alan := store.File{Name: "alan.webm", Path: "alan.webm", SHA256: shaA, Size: 20, Interaction: "chat-1", Recording: r.ID,
		Agent: "alan", Manifest: manifest(t0.Add(-time.Second))}
	ada := store.File{Name: "ada.webm", Path: "ada.webm", SHA256: shaB, Size: 10, Interaction: "chat-1", Recording: r.ID,
		Agent: "ada", Manifest: manifest(t0.Add(-30 * time.Minute)), Created: time.Now().Add(time.Minute)}
	for _, f := range []*store.File{&alan, &ada} {
		if err := s.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.Recordings(ctx, store.RecordingFilter{ID: r.ID})
	if err != nil || len(page.Recordings) != 1 {
		t.Fatalf("recordings %+v %v", page, err)
	}
	got := page.Recordings[0]
	eq(t, "parts", got.Files, []store.FileRef{
		{ID: ada.ID, Name: "ada.webm", SHA256: strings.ToLower(shaB), Size: 10, Agent: "ada", Made: t0.Add(-30 * time.Minute)},
		{ID: alan.ID, Name: "alan.webm", SHA256: shaA, Size: 20, Agent: "alan", Made: t0.Add(-time.Second)},
	})
	eq(t, "agents", got.Agents, []string{"ada", "alan"})
}
