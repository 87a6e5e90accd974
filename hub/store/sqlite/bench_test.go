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

// BenchmarkApplyLines: the relay's write-through, as the hub's group
// commit makes it: batches of 1, 5 or 50 lines, each from another of 1,000
// live chats, in a SQLite file. One op is one batch (one commit); with the
// checkpoints on their own connection none of their copying and fsyncs is
// inside it. Metric: µs per line.
func BenchmarkApplyLines(b *testing.B) {
	for _, per := range []int{1, 5, 50} {
		b.Run(fmt.Sprintf("batch=%d", per), func(b *testing.B) { benchApplyLines(b, per) })
	}
}

func benchApplyLines(b *testing.B, per int) {
	path := filepath.Join(b.TempDir(), "index.db")
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
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
}
