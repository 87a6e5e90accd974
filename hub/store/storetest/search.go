package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// filterDay is the day of the recordings the filter tests search.
var filterDay = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// filterRecordings writes four finished recordings that differ in every
// searchable column (see the table in testSearchFilters).
func filterRecordings(t *testing.T, s store.Store) {
	t.Helper()
	type row struct {
		agent, queue, kind, contact, disposition string
		partitions                               []string
		length                                   time.Duration
		screen, produced                         bool
		tags                                     map[string]string
	}
	rows := []row{
		{"ada", "billing", "record", "c-1", "Resolved", []string{"eu", "sales"}, 30 * time.Second, true, true, map[string]string{"case": "77", "prio": "high"}},
		{"grace", "billing", "snip", "c-2", "Escalated", []string{"us"}, 90 * time.Second, false, true, map[string]string{"case": "78"}},
		{"ada", "general", "auto", "c-1", "Resolved", nil, 5 * time.Minute, true, true, map[string]string{"prio": "high"}},
		{"bob", "general", "fulltime", "c-3", "", []string{"eu"}, 0, false, false, nil},
	}
	b := &store.Batch{}
	for i, r := range rows {
		n := i + 1
		chat := fmt.Sprintf("chat-%d", n)
		fin := filterDay.Add(time.Duration(n) * time.Hour)
		var parts []session.Part
		if r.length > 0 { // two parts: the length is their sum
			parts = []session.Part{{Start: fin.Add(-time.Hour), End: fin.Add(-time.Hour + r.length/3)},
				{Start: fin.Add(-r.length * 2 / 3), End: fin}}
		}
		b.Recordings = append(b.Recordings, store.Recording{ID: chat + "-r", Interaction: chat, Queue: r.queue,
			Customer: fmt.Sprintf("Cust %d", n), Contact: r.contact, Agent: r.agent, Kind: r.kind, State: "final",
			Delivery: "store", Partitions: r.partitions, Screen: r.screen, Parts: parts, Produced: r.produced,
			FinishedAt: fin, Disposition: r.disposition, Tags: r.tags})
	}
	if err := s.Apply(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

// found lists the chat numbers of a page: "1 3".
func found(p store.RecordingPage) string {
	var out []string
	for _, r := range p.Recordings {
		out = append(out, strings.TrimPrefix(r.Interaction, "chat-"))
	}
	return strings.Join(out, " ")
}

// testSearchFilters (issue 12 point 3, R-V5, R-V7): contact, disposition,
// partitions (any one), duration, screen, voice, metadata tags and the
// scope's agent and kind sets each narrow the list, and combine.
func testSearchFilters(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	filterRecordings(t, s)
	s = reopen(t, o, s)
	for _, c := range []struct {
		name string
		f    store.RecordingFilter
		want string
	}{
		{"one by its id", store.RecordingFilter{ID: "chat-2-r"}, "2"},
		{"contact", store.RecordingFilter{Contact: "c-1"}, "1 3"},
		{"disposition", store.RecordingFilter{Disposition: "Resolved"}, "1 3"},
		{"a partition", store.RecordingFilter{Partitions: []string{"eu"}}, "1 4"},
		{"any one partition", store.RecordingFilter{Partitions: []string{"us", "sales"}}, "1 2"},
		{"no such partition", store.RecordingFilter{Partitions: []string{"apac"}}, ""},
		{"at least a minute", store.RecordingFilter{MinDuration: time.Minute}, "2 3"},
		{"at most a minute", store.RecordingFilter{MaxDuration: time.Minute}, "1 4"},
		{"bounds included", store.RecordingFilter{MinDuration: 30 * time.Second, MaxDuration: 90 * time.Second}, "1 2"},
		{"with screen", store.RecordingFilter{Screen: store.With}, "1 3"},
		{"without screen", store.RecordingFilter{Screen: store.Without}, "2 4"},
		{"no voice without files", store.RecordingFilter{Voice: store.With}, ""},
		{"a tag (R-V7)", store.RecordingFilter{Tags: map[string]string{"prio": "high"}}, "1 3"},
		{"every tag", store.RecordingFilter{Tags: map[string]string{"prio": "high", "case": "77"}}, "1"},
		{"a tag's exact value", store.RecordingFilter{Tags: map[string]string{"case": "7"}}, ""},
		{"agent set", store.RecordingFilter{AgentIn: []string{"ada", "bob"}}, "1 3 4"},
		{"empty agent set", store.RecordingFilter{AgentIn: []string{}}, ""},
		{"kind set", store.RecordingFilter{KindIn: []string{"snip", "auto"}}, "2 3"},
		{"empty kind set", store.RecordingFilter{KindIn: []string{}}, ""},
		{"combined", store.RecordingFilter{Agent: "ada", Partitions: []string{"eu", "us"}, Screen: store.With}, "1"},
		{"agent set and agent", store.RecordingFilter{AgentIn: []string{"grace"}, Agent: "ada"}, ""},
	} {
		page, err := s.Recordings(ctx, c.f)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := found(page); got != c.want {
			t.Errorf("%s: found %q, want %q", c.name, got, c.want)
		}
	}
	page, err := s.Recordings(ctx, store.RecordingFilter{Interaction: "chat-1"})
	if err != nil || len(page.Recordings) != 1 {
		t.Fatalf("chat-1: %+v %v", page, err)
	}
	r := page.Recordings[0]
	if r.Contact != "c-1" || r.Disposition != "Resolved" || r.DurationSeconds != 30 || !sameMap(r.Tags, map[string]string{"case": "77", "prio": "high"}) {
		t.Fatalf("chat-1's new columns: contact %q disposition %q duration %v tags %v", r.Contact, r.Disposition, r.DurationSeconds, r.Tags)
	}
}

func sameMap(a, b map[string]string) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// testSortAndCount (issue 12 point 3): every column sorts both ways, ties
// in the order recordings finished; paging one at a time under each sort
// gives the same order (the cursor carries the sort value); a cursor of
// another sort is refused; Total counts every page, only when asked.
func testSortAndCount(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	filterRecordings(t, s)
	for _, c := range []struct {
		sort      string
		asc, desc string
	}{
		{"", "1 2 3 4", "4 3 2 1"},
		{store.SortFinished, "1 2 3 4", "4 3 2 1"},
		{store.SortAgent, "1 3 4 2", "2 4 3 1"},
		{store.SortQueue, "1 2 3 4", "4 3 2 1"},
		{store.SortKind, "3 4 1 2", "2 1 4 3"},
		{store.SortCustomer, "1 2 3 4", "4 3 2 1"},
		{store.SortDuration, "4 1 2 3", "3 2 1 4"},
		{store.SortDisposition, "4 2 1 3", "3 1 2 4"},
	} {
		for _, desc := range []bool{false, true} {
			want := c.asc
			if desc {
				want = c.desc
			}
			f := store.RecordingFilter{Sort: c.sort, Desc: desc}
			page, err := s.Recordings(ctx, f)
			if err != nil {
				t.Fatalf("sort %q desc=%v: %v", c.sort, desc, err)
			}
			if got := found(page); got != want {
				t.Errorf("sort %q desc=%v: %q, want %q", c.sort, desc, got, want)
			}
			// One at a time, counting.
			f.Limit, f.Count = 1, true
			var paged []string
			for i := 0; ; i++ {
				p, err := s.Recordings(ctx, f)
				if err != nil {
					t.Fatalf("sort %q desc=%v page %d: %v", c.sort, desc, i, err)
				}
				if p.Total != 4 {
					t.Errorf("sort %q page %d: total %d, want 4", c.sort, i, p.Total)
				}
				paged = append(paged, found(p))
				if p.Next == "" || i > 5 {
					break
				}
				f.Cursor = p.Next
			}
			if got := strings.Join(paged, " "); got != want {
				t.Errorf("sort %q desc=%v by pages: %q, want %q", c.sort, desc, got, want)
			}
		}
	}
	p, err := s.Recordings(ctx, store.RecordingFilter{Sort: store.SortAgent, Limit: 1})
	if err != nil || p.Total != 0 {
		t.Fatalf("no count asked: total %d %v", p.Total, err)
	}
	for _, f := range []store.RecordingFilter{
		{Sort: store.SortDuration, Limit: 1, Cursor: p.Next},
		{Sort: store.SortAgent, Desc: true, Limit: 1, Cursor: p.Next},
		{Cursor: "bm90IGEgY3Vyc29y"},
		{Cursor: "%%%"},
	} {
		if _, err := s.Recordings(ctx, f); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q under sort %q desc=%v: %v, want ErrBadCursor", f.Cursor, f.Sort, f.Desc, err)
		}
	}
	if _, err := s.Recordings(ctx, store.RecordingFilter{Sort: "colour"}); !errors.Is(err, store.ErrBadFilter) {
		t.Errorf("sort by an unknown column: %v", err)
	}
	if p, err := s.Recordings(ctx, store.RecordingFilter{Agent: "ada", Count: true, Limit: 1}); err != nil || p.Total != 2 {
		t.Errorf("count of a filter: %d %v", p.Total, err)
	}
}

// testVoice: a recording has voice when a stored file of it carries an
// audio track (its manifest says so), whether the file came before or
// after its row, and no longer when that file is deleted.
func testVoice(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	voice := json.RawMessage(`{"version":1,"tracks":[{"type":"video","codec":"vp8"},{"type":"audio","codec":"opus"}]}`)
	mute := json.RawMessage(`{"version":1,"tracks":[{"type":"video","codec":"vp8"}]}`)
	early := store.File{Name: "e", Path: "e", SHA256: shaA, Size: 1, Interaction: "chat-2", Recording: "chat-2-r", Manifest: voice}
	if err := s.PutFile(ctx, &early); err != nil { // before its recording finished
		t.Fatal(err)
	}
	filterRecordings(t, s)
	voiced := func(want string) {
		t.Helper()
		p, err := s.Recordings(ctx, store.RecordingFilter{Voice: store.With})
		if err != nil || found(p) != want {
			t.Fatalf("with voice: %q %v, want %q", found(p), err, want)
		}
		for _, r := range p.Recordings {
			if !r.Voice {
				t.Fatalf("%s found by voice says voice=false", r.ID)
			}
		}
	}
	voiced("2")
	late := store.File{Name: "l", Path: "l", SHA256: shaA, Size: 1, Interaction: "chat-1", Recording: "chat-1-r", Manifest: voice}
	silent := store.File{Name: "s", Path: "s", SHA256: shaB, Size: 1, Interaction: "chat-3", Recording: "chat-3-r", Manifest: mute}
	for _, f := range []*store.File{&late, &silent} {
		if err := s.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	voiced("1 2")
	s = reopen(t, o, s)
	if p, err := s.Recordings(ctx, store.RecordingFilter{Voice: store.Without}); err != nil || found(p) != "3 4" {
		t.Fatalf("without voice: %q %v", found(p), err)
	}
	if err := s.DeleteFile(ctx, early.ID); err != nil {
		t.Fatal(err)
	}
	voiced("1")
}

// testSearchWordsSplit (R-V5): words are split at punctuation, so a word
// inside an address, a hyphenated word or a number finds the recording
// that took it; a word it did not take finds nothing.
func testSearchWordsSplit(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	rec := store.Recording{ID: "chat-1-r", Interaction: "chat-1", Kind: "record", State: "final", Delivery: "store",
		Produced: true, FinishedAt: filterDay}
	b := &store.Batch{Chats: []store.Chat{sampleChat("chat-1", 1, session.Done)},
		Lines: []store.Line{line("chat-1", 1, session.FromAgent, "see example.org/track?id=A-77 or e-mail me: ada@shop.example", false)},
		Took:  []store.Took{{Chat: "chat-1", Recording: "chat-1-r", Line: 1}}, Recordings: []store.Recording{rec}}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want string
	}{
		{"example", "1"}, {"track", "1"}, {"A-77", "1"}, {"77", "1"}, {"mail", "1"}, {"shop", "1"}, {"ada", "1"},
		{"example.org", "1"}, {"EXAMPLE ORG", "1"}, {"exampl", ""}, {"tracking", ""},
	} {
		p, err := s.Recordings(ctx, store.RecordingFilter{Text: c.text})
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if got := found(p); got != c.want {
			t.Errorf("text %q: found %q, want %q", c.text, got, c.want)
		}
	}
}
