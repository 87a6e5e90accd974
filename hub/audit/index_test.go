package audit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

var (
	indexUsers    = []string{"sue", "ada", "cleo", "ivan", "max"}
	indexActions  = []string{store.ActionView, store.ActionPlay, store.ActionSearch, store.ActionDownload, ActionLogin}
	indexOutcomes = []string{store.OutcomeOK, store.OutcomeOK, store.OutcomeOK, store.OutcomeDenied}
	indexStart    = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// indexEntry is the i-th entry of the index tests: users, actions,
// outcomes and 1,000 recordings in turn, a minute apart.
func indexEntry(i int) Entry {
	return Entry{Action: indexActions[i%len(indexActions)], At: stamp(indexStart.Add(time.Duration(i) * time.Minute)),
		User: indexUsers[i%len(indexUsers)], Role: "supervisor", From: "192.0.2.7", Recording: "rec-" + strconv.Itoa(i%1000),
		Outcome: indexOutcomes[i%len(indexOutcomes)], ID: fmt.Sprintf("acc-%d", i)}
}

func indexLog(t testing.TB, n int) (*Log, string) {
	t.Helper()
	ctx := context.Background()
	signer, _ := testKey(t)
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	l, err := Open(ctx, db, Options{Signer: signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(ctx) })
	appendIndexed(t, l, 0, n)
	return l, path
}

func appendIndexed(t testing.TB, l *Log, from, n int) {
	t.Helper()
	batch := make([]Entry, 0, 10000)
	for i := from; i < from+n; i++ {
		batch = append(batch, indexEntry(i))
		if len(batch) == cap(batch) || i == from+n-1 {
			if _, err := l.AppendBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// TestIndexFind (R-V9, issue 13 point 3): the index finds what a scan of
// the whole log finds, for each filter, newest first; its pages cover
// every match once; it catches up with entries appended after it was
// built; Latest names the newest checkpoint.
func TestIndexFind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 1200
	l, dbPath := indexLog(t, n)
	x := NewIndex(l.Store())
	// Before the timer made one, Latest signs one.
	if c, ok, err := l.Latest(ctx); !ok || err != nil || c.Size != n || c.At.IsZero() {
		t.Fatalf("the first checkpoint: %+v %v %v", c, ok, err)
	}
	cases := []struct {
		name string
		f    Filter
	}{
		{"all", Filter{}},
		{"user", Filter{User: "ada"}},
		{"recording", Filter{Recording: "rec-17"}},
		{"action and outcome", Filter{Action: store.ActionPlay, Outcome: store.OutcomeDenied}},
		{"time", Filter{From: indexStart.Add(100 * time.Minute), To: indexStart.Add(250 * time.Minute)}},
		{"user and time", Filter{User: "sue", From: indexStart.Add(time.Hour)}},
		{"nobody", Filter{User: "nobody"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []int64
			err := l.Scan(ctx, 0, func(e Entry) error {
				at, _ := time.Parse(time.RFC3339Nano, e.At)
				f := c.f
				if (f.User == "" || e.User == f.User) && (f.Recording == "" || e.Recording == f.Recording) &&
					(f.Action == "" || e.Action == f.Action) && (f.Outcome == "" || e.Outcome == f.Outcome) &&
					(f.From.IsZero() || !at.Before(f.From)) && (f.To.IsZero() || at.Before(f.To)) {
					want = append(want, e.Seq)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(want)
			var got []int64
			f := c.f
			f.Limit, f.Count = 40, true
			for pages := 0; ; pages++ {
				p, err := x.Find(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total != len(want) {
					t.Fatalf("page %d: total %d, want %d", pages, p.Total, len(want))
				}
				for _, e := range p.Entries {
					if e.ID != indexEntry(int(e.Seq)).ID {
						t.Fatalf("entry %d read as %+v", e.Seq, e)
					}
					got = append(got, e.Seq)
				}
				if p.Next == 0 {
					break
				}
				f.Before = p.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("found %d entries %v…, want %d %v…", len(got), head(got), len(want), head(want))
			}
			var each []int64
			if err := x.Each(ctx, c.f, func(e Entry) error { each = append(each, e.Seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(each, want) {
				t.Fatalf("Each gave %d entries, want %d", len(each), len(want))
			}
		})
	}
	// A row deleted behind the log's back: the index skips it, and says
	// nothing of it (Verify does), and still finds the rest.
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM audit_leaves WHERE n = 3`); err != nil {
		t.Fatal(err)
	}
	y := NewIndex(l.Store())
	var seqs []int64
	if err := y.Each(ctx, Filter{From: indexStart, To: indexStart.Add(6 * time.Minute)}, func(e Entry) error { seqs = append(seqs, e.Seq); return nil }); err != nil ||
		!slices.Equal(seqs, []int64{5, 4, 2, 1, 0}) || y.Size() != n {
		t.Fatalf("with entry 3 deleted: %v %v (indexed %d)", seqs, err, y.Size())
	}
	// Entries appended later are found by the next query.
	appendIndexed(t, l, n, 10)
	p, err := x.Find(ctx, Filter{Limit: 1})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Seq != n+9 || x.Size() != n+10 {
		t.Fatalf("after appending: %+v %v (indexed %d)", p, err, x.Size())
	}
	if _, _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := l.Latest(ctx); !ok || err != nil || c.Size != n+10 || c.At.IsZero() {
		t.Fatalf("latest checkpoint: %+v %v %v", c, ok, err)
	}
	// A log opened again signs the same tree: the same root.
	mine, _, _ := l.Latest(ctx)
	l2, err := Open(ctx, l.Store(), Options{Signer: l.o.Signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close(ctx)
	if c, ok, err := l2.Latest(ctx); !ok || err != nil || c.Size != n+10 || c.Root != mine.Root || c.Origin != DefaultOrigin {
		t.Fatalf("latest checkpoint read again: %+v %v %v, want root %x", c, ok, err, mine.Root)
	}
}

func head(s []int64) []int64 { return s[:min(len(s), 5)] }

// TestIndexMeasure measures the index on AGENTDESK_AUDIT_INDEX_N entries
// (docs/audit.md: 100,000): building it, its memory, and queries.
func TestIndexMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("AGENTDESK_AUDIT_INDEX_N"))
	if n <= 0 {
		t.Skip("set AGENTDESK_AUDIT_INDEX_N=100000 to measure")
	}
	ctx := context.Background()
	l, _ := indexLog(t, n)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	x := NewIndex(l.Store())
	start := time.Now()
	if err := x.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	t.Logf("indexed %d entries in %v, %d bytes held (%.1f an entry)", n, build, m1.HeapAlloc-m0.HeapAlloc, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(n))
	for _, f := range []Filter{{}, {User: "ada"}, {Recording: "rec-17"}, {Action: store.ActionPlay, Outcome: store.OutcomeDenied},
		{From: indexStart.Add(time.Duration(n/2) * time.Minute), To: indexStart.Add(time.Duration(n/2+500) * time.Minute)}} {
		f.Count, f.Limit = true, 50
		start := time.Now()
		const runs = 20
		var p Page
		for range runs {
			var err error
			if p, err = x.Find(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("find %+v: %d of %d in %v", f, len(p.Entries), p.Total, time.Since(start)/runs)
	}
	runtime.KeepAlive(x)
}
