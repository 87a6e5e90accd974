package storetest

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
	"github.com/agentdesk/agentdesk/session"
)

// The stores' benchmarks, the same on SQLite and PostgreSQL so their
// figures stand side by side (docs/cluster.md): each store's test file
// opens its store and calls these.

// ApplyLines is the relay's write-through: batches of per lines, each
// from another of 1,000 live chats. One op is one batch (one commit).
// Metric: µs per line.
func ApplyLines(b *testing.B, st store.Store, per int) {
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
		if err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*per), "µs/line")
}

// SearchStart is when the search benchmark's 30 days of recordings begin.
var SearchStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// SearchRecordings is how many recordings a search benchmark makes:
// $SEARCH_RECORDINGS, or def.
func SearchRecordings(def int) int {
	if n, err := strconv.Atoi(os.Getenv("SEARCH_RECORDINGS")); err == nil && n > 0 {
		return n
	}
	return def
}

// SearchVocab is the 2,000 words of the search benchmark's transcripts.
func SearchVocab() []string {
	vocab := make([]string, 2000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%s", i, strings.Repeat("a", i%7))
	}
	return vocab
}

// MakeRecordings applies total finished recordings to st, in batches of
// 200, drawn from rng: 100 agents in 10 queues over the 30 days from
// SearchStart, each with a transcript of 6 lines of 8 words of vocab, a
// contact of 20,000, a disposition of 5, 0 to 2 partitions of 8, a length
// of 10 s to 30 min, the screen for half and two metadata tags (case:
// 50,000 values, prio: 3). The voiced files are each store's to add.
func MakeRecordings(b *testing.B, st store.Store, rng *rand.Rand, vocab []string, total int) {
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
				FinishedAt: SearchStart.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))),
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
		if err := st.Apply(ctx, &batch); err != nil {
			b.Fatal(err)
		}
	}
}

// SearchCase is one search of the benchmark.
type SearchCase struct {
	Name   string
	Filter store.RecordingFilter
}

// TimeSearches runs each case runs times for a page of 100 with its lines
// and files, and reports its p50 and p99 in ms. $SEARCH_CASES=a,b runs
// those alone.
func TimeSearches(b *testing.B, st store.Store, cases []SearchCase, runs int) {
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		for _, c := range cases {
			if only := os.Getenv("SEARCH_CASES"); only != "" && !slices.Contains(strings.Split(only, ","), c.Name) {
				continue
			}
			var took []time.Duration
			found := 0
			for range runs {
				t0 := time.Now()
				f := c.Filter
				f.Limit = 100
				page, err := st.Recordings(ctx, f)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				found = len(page.Recordings)
			}
			slices.Sort(took)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms-"+c.Name)
			b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms-"+c.Name)
			b.Logf("%-16s p50 %6.2f ms  p99 %6.2f ms  page %d", c.Name, ms(took[len(took)/2]), ms(took[len(took)*99/100]), found)
		}
	}
}
