package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// seedMany stores n recordings finished three years ago, each with a
// transcript line and a small file on disk, in batches.
func seedMany(b *testing.B, s *Server, dir string, n int) {
	b.Helper()
	ctx := context.Background()
	done := time.Now().UTC().Add(-3 * retention.Year)
	for i := 0; i < n; i += 500 {
		bt := &store.Batch{}
		var files []store.File
		for j := i; j < min(n, i+500); j++ {
			chat, id := fmt.Sprintf("c-%d", j), fmt.Sprintf("r-%d", j)
			queue := "general"
			if j%10 == 0 {
				queue = "legal" // a tenth are under the matter's hold
			}
			bt.Chats = append(bt.Chats, store.Chat{ID: chat, Seq: int64(j + 1), Queue: queue, State: session.Done, Created: done, EndedAt: done})
			bt.Lines = append(bt.Lines, store.Line{Chat: chat, MessageData: session.MessageData{ID: 1, From: session.FromCustomer, Text: "words " + id, At: done}})
			bt.Took = append(bt.Took, store.Took{Chat: chat, Recording: id, Line: 1})
			bt.Recordings = append(bt.Recordings, store.Recording{ID: id, Interaction: chat, Queue: queue, Agent: "ada", Kind: "auto",
				State: "final", Delivery: "store", Produced: true, FinishedAt: done})
			data := []byte(id)
			sum := sha256.Sum256(data)
			files = append(files, store.File{Name: id + ".webm", Path: id + ".webm", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
				Interaction: chat, Recording: id, Agent: "ada", Kind: "auto", Created: done})
			if err := os.WriteFile(filepath.Join(dir, "files", id+".webm"), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Store().Apply(ctx, bt); err != nil {
			b.Fatal(err)
		}
		for k := range files {
			if err := s.Store().PutFile(ctx, &files[k]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRetention measures, on a real SQLite store of
// RETENTION_BENCH_N recordings (default 10,000), a tenth of them under a
// matter's hold: the dry run, then the run that purges the rest (each
// purge: the file, the rows, a tombstone, an audit entry).
func BenchmarkRetention(b *testing.B) {
	n := 10000
	if v := os.Getenv("RETENTION_BENCH_N"); v != "" {
		_, _ = fmt.Sscan(v, &n)
	}
	for range b.N {
		dir := b.TempDir()
		cfg, err := ParseConfig([]byte(testYAML))
		if err != nil {
			b.Fatal(err)
		}
		cfg.Store.Dir = dir
		cfg.Retention.Rules = retention.Rules{{Name: "two-years", Age: retention.Age(2 * retention.Year), Action: retention.Purge}}
		s := newHub(b, cfg)
		seedMany(b, s, dir, n)
		ctx := context.Background()
		if err := s.Store().PlaceHold(ctx, &store.Hold{Matter: "m", Query: "queue=legal", PlacedBy: "compliance cora", Reason: "bench"}); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		rep, err := s.RunRetention(ctx, true, scheduled)
		if err != nil || rep.Purged != n-n/10 || rep.Skipped != n/10 {
			b.Fatalf("dry run: %+v %v", rep.Purged, err)
		}
		dry := time.Since(t0)
		t0 = time.Now()
		rep, err = s.RunRetention(ctx, false, scheduled)
		if err != nil || rep.Purged != n-n/10 || rep.Failed != 0 {
			b.Fatalf("run: %d purged, %d failed, %v", rep.Purged, rep.Failed, err)
		}
		run := time.Since(t0)
		b.ReportMetric(float64(dry.Milliseconds()), "dry-run-ms")
		b.ReportMetric(float64(rep.Purged)/run.Seconds(), "purges/s")
	}
}
