package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store/storetest"
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
	db, err := Open(filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.ApplyLines(b, db, per)
}
