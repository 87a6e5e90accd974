package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// searchRecordings is how many recordings BenchmarkSearchRecordings makes
// (SEARCH_RECORDINGS overrides it).
var searchRecordings = func() int {
	if n, err := strconv.Atoi(os.Getenv("SEARCH_RECORDINGS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}()

// BenchmarkSearchRecordings (issue 12's benchmark): a SQLite file holding
// 100,000 finished recordings of 100 agents in 10 queues over 30 days,
// each with a transcript of 6 lines from a 2,000-word vocabulary, a
// contact of 20,000, a disposition of 5, 0 to 2 partitions of 8, a length
// of 10 s to 30 min, the screen for half, two metadata tags (case: 50,000
// values, prio: 3) and, for a third of them, a stored file with voice;
// then each filter, the full text, sorts and counts run 200 times each
// for a page of 100 (the API's default) with each recording's lines and
// files. Metrics: p50 and p99 of each, in ms (aim: p99 < 50 ms).
func BenchmarkSearchRecordings(b *testing.B) {
	// SEARCH_DB keeps the database in that file and reuses it next time
	// (made once, for trying query plans); otherwise a temporary one.
	path := os.Getenv("SEARCH_DB")
	if path == "" {
		dir, err := os.MkdirTemp("", "search-bench-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "index.db")
	}
	_, statErr := os.Stat(path)
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 2000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%s", i, strings.Repeat("a", i%7))
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if statErr != nil {
		makeRecordings(b, db, rng, vocab, start)
	}
	if err := db.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	day := start.Add(12 * 24 * time.Hour)
	filters := []struct {
		name string
		f    store.RecordingFilter
	}{
		{"all", store.RecordingFilter{}},
		{"agent", store.RecordingFilter{Agent: "agent42"}},
		{"queue", store.RecordingFilter{Queue: "queue3"}},
		{"kind", store.RecordingFilter{Kind: "snip"}},
		{"customer", store.RecordingFilter{Customer: "Customer 777"}},
		{"day", store.RecordingFilter{From: day, To: day.Add(24 * time.Hour)}},
		{"agent+day", store.RecordingFilter{Agent: "agent42", From: day, To: day.Add(24 * time.Hour)}},
		{"text-common", store.RecordingFilter{Text: vocab[10]}},
		{"text-2-words", store.RecordingFilter{Text: vocab[10] + " " + vocab[1234]}},
		{"text-rare+agent", store.RecordingFilter{Text: vocab[1999], Agent: "agent7"}},
		{"text-none", store.RecordingFilter{Text: "nosuchword"}},
		{"contact", store.RecordingFilter{Contact: "contact-777"}},
		{"disposition", store.RecordingFilter{Disposition: "Callback"}},
		{"partition", store.RecordingFilter{Partitions: []string{"legal"}}},
		{"partitions-any", store.RecordingFilter{Partitions: []string{"legal", "vip"}}},
		{"duration", store.RecordingFilter{MinDuration: 10 * time.Minute, MaxDuration: 11 * time.Minute}},
		{"screen", store.RecordingFilter{Screen: store.With}},
		{"voice", store.RecordingFilter{Voice: store.With}},
		{"no-voice+agent", store.RecordingFilter{Voice: store.Without, Agent: "agent42"}},
		{"tag-rare", store.RecordingFilter{Tags: map[string]string{"case": "4242"}}},
		{"tag-common", store.RecordingFilter{Tags: map[string]string{"prio": "high"}}},
		{"tags+queue+day", store.RecordingFilter{Tags: map[string]string{"prio": "high"}, Queue: "queue3", From: day, To: day.Add(24 * time.Hour)}},
		{"team-of-10", store.RecordingFilter{AgentIn: []string{"agent1", "agent2", "agent3", "agent4", "agent5", "agent6", "agent7", "agent8", "agent9", "agent10"}}},
		{"sort-agent-desc", store.RecordingFilter{Sort: store.SortAgent, Desc: true}},
		{"sort-duration", store.RecordingFilter{Sort: store.SortDuration, Desc: true}},
		{"sort-customer", store.RecordingFilter{Sort: store.SortCustomer}},
		{"sort-duration+queue", store.RecordingFilter{Sort: store.SortDuration, Desc: true, Queue: "queue3"}},
		{"sort-disposition+text", store.RecordingFilter{Sort: store.SortDisposition, Text: vocab[10]}},
		{"count-all", store.RecordingFilter{Count: true}},
		{"count+text", store.RecordingFilter{Count: true, Text: vocab[10]}},
		{"count+queue+screen", store.RecordingFilter{Count: true, Queue: "queue3", Screen: store.With}},
	}
	b.ResetTimer()
	for range b.N {
		for _, c := range filters {
			if only := os.Getenv("SEARCH_CASES"); only != "" && !slices.Contains(strings.Split(only, ","), c.name) {
				continue // SEARCH_CASES=a,b runs those alone
			}
			var took []time.Duration
			found := 0
			for range 200 {
				t0 := time.Now()
				f := c.f
				f.Limit = 100
				page, err := db.Recordings(ctx, f)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				found = len(page.Recordings)
			}
			slices.Sort(took)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms-"+c.name)
			b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms-"+c.name)
			b.Logf("%-16s p50 %6.2f ms  p99 %6.2f ms  page %d", c.name, ms(took[len(took)/2]), ms(took[len(took)*99/100]), found)
		}
	}
}

// makeRecordings fills db with searchRecordings recordings.
func makeRecordings(b *testing.B, db *DB, rng *rand.Rand, vocab []string, start time.Time) {
	ctx := context.Background()
	kinds := []string{"record", "snip", "auto", "fulltime", "selective", "dynamic", "abuse"}
	dispositions := []string{"Resolved", "Escalated", "Callback", "Sale", "No answer"}
	partitions := []string{"eu", "us", "apac", "sales", "support", "vip", "legal", "training"}
	prios := []string{"low", "normal", "high"}
	made := time.Now()
	for n := 0; n < searchRecordings; {
		var batch store.Batch
		for k := 0; k < 200 && n < searchRecordings; k, n = k+1, n+1 {
			chat := fmt.Sprintf("chat-%d", n)
			rec := store.Recording{ID: chat + "-r1", Interaction: chat, Agent: fmt.Sprintf("agent%d", rng.IntN(100)),
				Queue: fmt.Sprintf("queue%d", rng.IntN(10)), Customer: fmt.Sprintf("Customer %d", rng.IntN(20000)),
				Kind: kinds[rng.IntN(len(kinds))], State: "final", Delivery: "store", Produced: true,
				FinishedAt: start.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))),
				Contact:    fmt.Sprintf("contact-%d", rng.IntN(20000)), Disposition: dispositions[rng.IntN(len(dispositions))],
				Screen: rng.IntN(2) == 0, Tags: map[string]string{"case": strconv.Itoa(rng.IntN(50000)), "prio": prios[rng.IntN(3)]}}
			for range rng.IntN(3) {
				rec.Partitions = append(rec.Partitions, partitions[rng.IntN(len(partitions))])
			}
			length := 10*time.Second + time.Duration(rng.Int64N(int64(30*time.Minute)))
			rec.Parts = []session.Part{{Start: rec.FinishedAt.Add(-length), End: rec.FinishedAt}}
			for l := range 6 {
				words := make([]string, 8)
				for w := range words {
					words[w] = vocab[rng.IntN(len(vocab))]
				}
				batch.Lines = append(batch.Lines, store.Line{Chat: chat, MessageData: session.MessageData{ID: int64(l + 1),
					From: session.FromCustomer, Text: strings.Join(words, " "), At: rec.FinishedAt}})
				batch.Took = append(batch.Took, store.Took{Chat: chat, Recording: rec.ID, Line: int64(l + 1)})
			}
			batch.Recordings = append(batch.Recordings, rec)
		}
		if err := db.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	// A stored file with voice for a third of them, as the ingest indexes it.
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, path, sha256, size, interaction, recording, manifest, created, voice)
		SELECT 'f' || n, id || '.webm', id || '.webm', 'aa', 100000 + n, interaction, id, '{"tracks":[{"type":"audio"}]}', finished_at, 1
		FROM recordings WHERE n % 3 = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE recordings SET voice = 1 WHERE n % 3 = 0`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d recordings made in %v", searchRecordings, time.Since(made).Round(time.Second))
}
