package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/hub/store/storetest"
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
			storetest.ApplyLines(b, openDSN(b, pgtest.Need(b, srv).Database(b)), per)
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
	n := storetest.SearchRecordings(20_000)
	db := openDSN(b, pgtest.Need(b, srv).Database(b))
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := storetest.SearchVocab()
	start := storetest.SearchStart
	made := time.Now()
	makeRecordings(b, db, rng, vocab, n)
	b.Logf("%d recordings made in %v", n, time.Since(made).Round(time.Millisecond))
	day := start.Add(12 * 24 * time.Hour)
	filters := []storetest.SearchCase{
		{Name: "all", Filter: store.RecordingFilter{}},
		{Name: "agent", Filter: store.RecordingFilter{Agent: "agent42"}},
		{Name: "day", Filter: store.RecordingFilter{From: day, To: day.Add(24 * time.Hour)}},
		{Name: "text-common", Filter: store.RecordingFilter{Text: vocab[10]}},
		{Name: "text-2-words", Filter: store.RecordingFilter{Text: vocab[10] + " " + vocab[1234]}},
		{Name: "text-rare+agent", Filter: store.RecordingFilter{Text: vocab[1999], Agent: "agent7"}},
		{Name: "partition", Filter: store.RecordingFilter{Partitions: []string{"legal"}}},
		{Name: "tag-rare", Filter: store.RecordingFilter{Tags: map[string]string{"case": "4242"}}},
		{Name: "tag-common", Filter: store.RecordingFilter{Tags: map[string]string{"prio": "high"}}},
		{Name: "voice", Filter: store.RecordingFilter{Voice: store.With}},
		{Name: "sort-duration", Filter: store.RecordingFilter{Sort: store.SortDuration, Desc: true}},
		{Name: "count+text", Filter: store.RecordingFilter{Count: true, Text: vocab[10]}},
	}
	storetest.TimeSearches(b, db, filters, 100)
}

// makeRecordings fills db with n recordings (storetest.MakeRecordings)
// and a voiced file for a third of them.
func makeRecordings(b *testing.B, db *DB, rng *rand.Rand, vocab []string, n int) {
	ctx := context.Background()
	storetest.MakeRecordings(b, db, rng, vocab, n)
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
