package uploader_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/dirsink"
)

// The desktop's wiring: a queue in a folder that survives restarts, a sink,
// a worker, and the Uploads panel redrawn on Changes.
func Example() {
	tmp, _ := os.MkdirTemp("", "uploader-example-")
	defer os.RemoveAll(tmp)
	sink, err := dirsink.New(filepath.Join(tmp, "store")) // or hubsink.New, sftpsink.New
	if err != nil {
		fmt.Println(err)
		return
	}
	windows, _ := uploader.ParseWindows(nil) // e.g. []string{"01:00-05:00"} (R-V3)
	q, err := uploader.Open(filepath.Join(tmp, "queue"), uploader.Options{Sink: sink, Windows: windows, RateLimit: 50 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()

	rec := filepath.Join(tmp, "2026-11-21_090507_general_ada_c-42_record_r1.webm.age")
	os.WriteFile(rec, []byte("an encrypted recording"), 0o600)
	if _, err := q.Enqueue(context.Background(), rec, uploader.Manifest{Recording: "r1", Interaction: "c-42", Agent: "ada", Encrypted: true}); err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Run(ctx) }()
	for range q.Changes() { // the panel redraws here
		s := q.Snapshot()[0]
		if s.State == uploader.StateDone {
			fmt.Println(s.Name, s.Describe(time.Now()))
			break
		}
	}
	cancel()
	fmt.Println(<-done)
	// Output:
	// 2026-11-21_090507_general_ada_c-42_record_r1.webm.age done
	// context canceled
}
