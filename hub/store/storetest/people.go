package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// testSavedSearches (issue 12 point 3): each user's own, by name; a name
// used again is replaced; another user's id is not found; bounds in words.
func testSavedSearches(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	a := store.SavedSearch{User: "sue", Name: "late parcels", Query: "q=parcel+late&sort=finished&order=desc", Created: t0}
	b := store.SavedSearch{User: "sue", Name: "ada's snippets", Query: "agent=ada&kind=snip", Created: t0}
	other := store.SavedSearch{User: "quinn", Name: "late parcels", Query: "q=parcel", Created: t0}
	for _, ss := range []*store.SavedSearch{&a, &b, &other} {
		if err := s.SaveSearch(ctx, ss); err != nil {
			t.Fatal(err)
		}
		if ss.ID == "" {
			t.Fatal("SaveSearch gave no id")
		}
	}
	again := store.SavedSearch{User: "sue", Name: "late parcels", Query: "q=parcel", Created: t0.Add(time.Hour)}
	if err := s.SaveSearch(ctx, &again); err != nil || again.ID != a.ID {
		t.Fatalf("the same name again: id %q (was %q) %v", again.ID, a.ID, err)
	}
	s = reopen(t, o, s)
	got, err := s.SavedSearches(ctx, "sue")
	if err != nil {
		t.Fatal(err)
	}
	b.Created = t0
	eq(t, "sue's searches", got, []store.SavedSearch{b, again})
	if err := s.DeleteSavedSearch(ctx, "sue", other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting another user's search: %v", err)
	}
	if err := s.DeleteSavedSearch(ctx, "sue", b.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SavedSearches(ctx, "sue"); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("after delete: %+v", got)
	}
	if got, _ := s.SavedSearches(ctx, "quinn"); len(got) != 1 || got[0].Query != "q=parcel" {
		t.Fatalf("quinn's: %+v", got)
	}
	for _, c := range []struct {
		ss   store.SavedSearch
		want error
	}{
		{store.SavedSearch{Name: "x"}, store.ErrBadFilter},
		{store.SavedSearch{User: "sue"}, store.ErrBadFilter},
		{store.SavedSearch{User: "sue", Name: strings.Repeat("n", store.MaxSearchName+1)}, store.ErrTooLong},
		{store.SavedSearch{User: "sue", Name: "big", Query: strings.Repeat("q", store.MaxSearchQuery+1)}, store.ErrTooLong},
		{store.SavedSearch{User: "sue", Name: "bad", Query: "kind=webcam"}, store.ErrBadFilter},
		{store.SavedSearch{User: "sue", Name: "bad", Query: "%zz"}, store.ErrBadFilter},
	} {
		if err := s.SaveSearch(ctx, &c.ss); !errors.Is(err, c.want) || !strings.Contains(err.Error(), "saved search") {
			t.Errorf("SaveSearch(%.30v): %v, want %v in words", c.ss, err, c.want)
		}
	}
}

// testBookmarks (issue 12 point 4): by offset, a comment bounded, only
// the maker deletes one.
func testBookmarks(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	late := store.Bookmark{Recording: "chat-1-r", User: "sue", At: t0, Offset: 93 * time.Second, Comment: "promised a refund"}
	early := store.Bookmark{Recording: "chat-1-r", User: "quinn", At: t0.Add(time.Minute), Offset: 1500 * time.Millisecond, Comment: "greeting ✓"}
	elsewhere := store.Bookmark{Recording: "chat-2-r", User: "sue", At: t0, Offset: 0}
	for _, b := range []*store.Bookmark{&late, &early, &elsewhere} {
		if err := s.AddBookmark(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	s = reopen(t, o, s)
	got, err := s.Bookmarks(ctx, "chat-1-r")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "bookmarks by offset", got, []store.Bookmark{early, late})
	if err := s.DeleteBookmark(ctx, late.ID, "quinn"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting another's bookmark: %v", err)
	}
	if err := s.DeleteBookmark(ctx, late.ID, "sue"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Bookmarks(ctx, "chat-1-r"); len(got) != 1 || got[0].ID != early.ID {
		t.Fatalf("after delete: %+v", got)
	}
	for _, c := range []struct {
		b    store.Bookmark
		want error
		says string
	}{
		{store.Bookmark{User: "sue"}, store.ErrBadFilter, "needs a recording"},
		{store.Bookmark{Recording: "r", User: "sue", Offset: -time.Second}, store.ErrBadFilter, "moment"},
		{store.Bookmark{Recording: "r", User: "sue", Comment: strings.Repeat("c", store.MaxComment+1)}, store.ErrTooLong, "at most 2000 bytes"},
	} {
		if err := s.AddBookmark(ctx, &c.b); !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("AddBookmark(%.30v): %v, want %v saying %q", c.b, err, c.want, c.says)
		}
	}
}

// testAccessLog (issue 12 point 8, R-V9): every field kept, newest first,
// by user, recording, action and time, a page at a time.
func testAccessLog(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	var all []store.Access
	for i, a := range []store.Access{
		{User: "sue", Role: "supervisor", From: "10.0.0.7", Action: store.ActionSearch, Query: "agent=ada", Outcome: store.OutcomeOK},
		{User: "sue", Role: "supervisor", From: "10.0.0.7", Action: store.ActionPlay, Recording: "chat-1-r", Interaction: "chat-1",
			Customer: "Bea", Kind: "snip", Reason: "QA-7", Outcome: store.OutcomeOK},
		{User: "ada", Role: "agent", From: "10.0.0.9", Action: store.ActionView, Recording: "chat-1-r", Outcome: store.OutcomeNotFound},
		{User: "cory", Role: "compliance", From: "10.0.0.5", Action: store.ActionExport, Query: "queue=billing", Outcome: store.OutcomeOK},
	} {
		a.At = t0.Add(time.Duration(i) * time.Minute)
		if err := s.LogAccess(ctx, &a); err != nil {
			t.Fatal(err)
		}
		all = append([]store.Access{a}, all...)
	}
	s = reopen(t, o, s)
	p, err := s.Accesses(ctx, store.AccessFilter{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "accesses", p.Accesses, all)
	ids := func(f store.AccessFilter) string {
		t.Helper()
		p, err := s.Accesses(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range p.Accesses {
			out = append(out, a.User+"/"+a.Action)
		}
		return strings.Join(out, " ") + map[bool]string{true: " +", false: ""}[p.Next != ""]
	}
	for _, c := range []struct {
		f    store.AccessFilter
		want string
	}{
		{store.AccessFilter{User: "sue"}, "sue/play sue/search"},
		{store.AccessFilter{Recording: "chat-1-r"}, "ada/view sue/play"},
		{store.AccessFilter{Action: store.ActionExport}, "cory/export"},
		{store.AccessFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, "ada/view sue/play"},
		{store.AccessFilter{Limit: 3}, "cory/export ada/view sue/play +"},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("Accesses(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	p, _ = s.Accesses(ctx, store.AccessFilter{Limit: 3})
	if got := ids(store.AccessFilter{Limit: 3, Cursor: p.Next}); got != "sue/search" {
		t.Errorf("the next page: %q", got)
	}
	if _, err := s.Accesses(ctx, store.AccessFilter{Cursor: "x"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	if err := s.LogAccess(ctx, &store.Access{User: "sue"}); !errors.Is(err, store.ErrBadFilter) {
		t.Errorf("an access without action: %v", err)
	}
}

// testStats (issue 12 point 7, R-V10): a constructed day and the one
// after it: recordings by kind and queue, bytes that day and in all, and
// coverage with every gap and its cause.
func testStats(t *testing.T, o Opener) {
	ctx := context.Background()
	s := o.Open(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	rec := func(n int, kind, queue string, at time.Time, why string) store.Recording {
		chat := fmt.Sprintf("chat-%d", n)
		return store.Recording{ID: chat + "-r", Interaction: chat, Agent: "ada", Queue: queue, Kind: kind, State: "final",
			Delivery: "store", Produced: why == "", Why: why, FinishedAt: at}
	}
	recs := []store.Recording{
		rec(1, "record", "billing", day.Add(9*time.Hour), ""),                                // stored
		rec(2, "snip", "billing", day.Add(10*time.Hour), ""),                                 // stored
		rec(3, "auto", "general", day.Add(11*time.Hour), ""),                                 // no file uploaded
		rec(4, "auto", "general", day.Add(12*time.Hour), session.ErrConsentDeclined.Error()), // declined consent
		rec(5, "auto", "general", day.Add(13*time.Hour), session.ErrDeleted.Error()),         // deletion request
		rec(6, "auto", "billing", day.Add(14*time.Hour), session.ErrNotPermitted.Error()),    // its own why
		rec(7, "auto", "general", day.Add(15*time.Hour), ""),                                 // produced, then erased
		rec(8, "record", "general", day.Add(33*time.Hour), ""),                               // the next day, stored
		rec(9, "record", "general", day.Add(-time.Hour), ""),                                 // the day before: outside
	}
	b := &store.Batch{Recordings: recs, Tombstones: []store.Tombstone{{At: day.Add(16 * time.Hour), Interaction: "chat-7", Why: session.ErrDeleted.Error()}}}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		n    int
		size int64
		at   time.Time
	}{{1, 100, day.Add(9 * time.Hour)}, {2, 20, day.Add(10 * time.Hour)}, {8, 5, day.Add(34 * time.Hour)}, {9, 1000, day.Add(-time.Hour)}} {
		chat := fmt.Sprintf("chat-%d", c.n)
		f := store.File{Name: chat, Path: chat, SHA256: shaA, Size: c.size, Interaction: chat, Recording: chat + "-r", Created: c.at}
		if err := s.PutFile(ctx, &f); err != nil {
			t.Fatalf("file %d: %v", i, err)
		}
	}
	s = reopen(t, o, s)
	st, err := s.Stats(ctx, day, day.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Days) != 2 {
		t.Fatalf("%d days, want 2", len(st.Days))
	}
	d := st.Days[0]
	if !d.Day.Equal(day) || fmt.Sprint(d.ByKind) != "map[auto:2 record:1 snip:1]" || fmt.Sprint(d.ByQueue) != "map[billing:2 general:2]" {
		t.Errorf("day 1: %v by kind %v by queue %v", d.Day, d.ByKind, d.ByQueue)
	}
	if d.Bytes != 120 || d.Total != 1120 || d.Required != 7 || d.Stored != 2 {
		t.Errorf("day 1: bytes %d total %d, coverage %d of %d; want 120, 1120, 2 of 7", d.Bytes, d.Total, d.Stored, d.Required)
	}
	d = st.Days[1]
	if d.Bytes != 5 || d.Total != 1125 || d.Required != 1 || d.Stored != 1 || d.ByKind["record"] != 1 {
		t.Errorf("day 2: %+v", d)
	}
	var gaps []string
	for _, g := range st.Gaps {
		gaps = append(gaps, g.Interaction+": "+g.Cause)
		if g.Agent != "ada" || g.FinishedAt.IsZero() {
			t.Errorf("gap %+v: want its agent and when it finished", g)
		}
	}
	want := []string{"chat-3: " + store.CauseNoFile, "chat-4: " + store.CauseConsent, "chat-5: " + store.CauseDeletion,
		"chat-6: " + session.ErrNotPermitted.Error(), "chat-7: " + store.CauseDeletion}
	if strings.Join(gaps, "\n") != strings.Join(want, "\n") || st.MoreGaps {
		t.Errorf("gaps:\n%s\nwant\n%s", strings.Join(gaps, "\n"), strings.Join(want, "\n"))
	}
	if st, err := s.Stats(ctx, day, day); err != nil || len(st.Days) != 0 {
		t.Errorf("an empty span: %+v %v", st, err)
	}
	if st, err := s.Stats(ctx, day.Add(time.Hour), day.Add(25*time.Hour)); err != nil || len(st.Days) != 2 {
		t.Errorf("a span between noons covers both days: %d %v", len(st.Days), err)
	}
}
