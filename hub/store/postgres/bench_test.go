package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/session"
)

// BenchmarkApplyLines is the SQLite store's benchmark of the same name on
// PostgreSQL (side by side in docs/cluster.md): the relay's
// write-through, batches of 1, 5 or 50 lines, each from another of 1,000
// live chats. One op is one batch (one commit, one round trip). Metric:
// µs per line. The test server runs with fsync off: a real one's commit
// adds its disk's flush.
func BenchmarkApplyLines(b *testing.B) {
	for _, per := range []int{1, 5, 50} {
		b.Run(fmt.Sprintf("batch=%d", per), func(b *testing.B) {
			db := openDSN(b, pgtest.Need(b, srv).Database(b))
			ctx := context.Background()
			const chats = 1000
			ids := make([]int64, chats)
			at := time.Now()
			b.ResetTimer()
			for i := range b.N {
				var batch store.Batch
				for k := range per {
					c := (i*per + k) * 7919 % chats
					ids[c]++
					batch.Lines = append(batch.Lines, store.Line{Chat: fmt.Sprintf("chat-%d", c), MessageData: session.MessageData{
						ID: ids[c], From: "customer", Name: "Customer", Text: "Hello, I have a question about my order", At: at}})
				}
				if err := db.Apply(ctx, &batch); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*per), "µs/line")
		})
	}
}

// BenchmarkSearchRecordings is a part of the SQLite store's search
// benchmark on PostgreSQL: SEARCH_RECORDINGS (20,000 unless set) finished
// recordings made alike (100 agents, 10 queues, 30 days, 6 lines each of a
// 2,000-word vocabulary, tags, partitions, a third with a voiced file),
// then each search 100 times for a page of 100 with lines and files.
// Metrics: p50 and p99 in ms.
func BenchmarkSearchRecordings(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("SEARCH_RECORDINGS")); err == nil && v > 0 {
		n = v
	}
	db := openDSN(b, pgtest.Need(b, srv).Database(b))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 2000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%s", i, strings.Repeat("a", i%7))
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	made := time.Now()
	makeRecordings(b, db, rng, vocab, start, n)
	b.Logf("%d recordings made in %v", n, time.Since(made).Round(time.Millisecond))
	day := start.Add(12 * 24 * time.Hour)
	filters := []struct {
		name string
		f    store.RecordingFilter
	}{
		{"all", store.RecordingFilter{}},
		{"agent", store.RecordingFilter{Agent: "agent42"}},
		{"day", store.RecordingFilter{From: day, To: day.Add(24 * time.Hour)}},
		{"text-common", store.RecordingFilter{Text: vocab[10]}},
		{"text-2-words", store.RecordingFilter{Text: vocab[10] + " " + vocab[1234]}},
		{"text-rare+agent", store.RecordingFilter{Text: vocab[1999], Agent: "agent7"}},
		{"partition", store.RecordingFilter{Partitions: []string{"legal"}}},
		{"tag-rare", store.RecordingFilter{Tags: map[string]string{"case": "4242"}}},
		{"tag-common", store.RecordingFilter{Tags: map[string]string{"prio": "high"}}},
		{"voice", store.RecordingFilter{Voice: store.With}},
		{"sort-duration", store.RecordingFilter{Sort: store.SortDuration, Desc: true}},
		{"count+text", store.RecordingFilter{Count: true, Text: vocab[10]}},
	}
	b.ResetTimer()
	for range b.N {
		for _, c := range filters {
			var took []time.Duration
			found := 0
			for range 100 {
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

// makeRecordings fills db with n recordings, in batches of 200 as the
// SQLite benchmark makes them.
func makeRecordings(b *testing.B, db *DB, rng *rand.Rand, vocab []string, start time.Time, total int) {
	ctx := context.Background()
	kinds := []string{"record", "snip", "auto", "fulltime", "selective", "dynamic", "abuse"}
	dispositions := []string{"Resolved", "Escalated", "Callback", "Sale", "No answer"}
	partitions := []string{"eu", "us", "apac", "sales", "support", "vip", "legal", "training"}
	prios := []string{"low", "normal", "high"}
	for n := 0; n < total; {
		var batch store.Batch
		for k := 0; k < 200 && n < total; k, n = k+1, n+1 {
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
	if _, err := db.pool.Exec(ctx, `INSERT INTO files (id, name, path, sha256, size, interaction, recording, manifest, created, voice)
		SELECT 'f' || n, id || '.webm', id || '.webm', 'aa', 100000 + n, interaction, id, '{"tracks":[{"type":"audio"}]}', finished_at, true
		FROM recordings WHERE n % 3 = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE recordings SET voice = true WHERE n % 3 = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil { // what autovacuum does in time
		b.Fatal(err)
	}
}
