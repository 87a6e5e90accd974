package hub

import (
	"github.com/agentdesk/agentdesk/session/upload"

	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// gatedReaderAt serves the first n bytes, then blocks until released and
// fails from then on: the upload stands still where the test wants it.
type gatedReaderAt struct {
	r       io.ReaderAt
	n       int64
	release chan struct{}
}

func (g *gatedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > g.n {
		if off >= g.n {
			<-g.release
			return 0, errors.New("gate: cut off")
		}
		p = p[:g.n-off]
	}
	return g.r.ReadAt(p, off)
}

// faultKillHubsink is the kill -9 fault with the desktop's real client,
// uploader/hubsink: after the restart the sink's Offset is the hub's, not
// 0, and the next Put sends the rest and gets the stored id.
func faultKillHubsink(t *testing.T, bin string, l *ledger) {
	h := newHubProc(t, bin, t.TempDir())
	h.start("127.0.0.1:0")
	ctx := testCtx(t, 60*time.Second)
	const size, cut = 32 << 20, 12 << 20
	f := l.newFile(t, size, "sink")
	src, err := os.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sink, err := hubsink.New(h.base(), "t-ada", hubsink.Options{ChunkSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var resume, stored string
	item := uploader.Item{ID: "q1", Name: f.meta[upload.MetaFilename], Size: f.size, SHA256: f.sha,
		Manifest:   uploader.Manifest{Version: 1, Recording: "r1", Interaction: "c-sink", Agent: "ada", Encrypted: true},
		SaveResume: func(tok string) error { resume = tok; return nil },
		Stored:     func(id string) { stored = id }}
	g := &gatedReaderAt{r: src, n: cut, release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- sink.Put(ctx, item, g, nil) }()
	await(t, "the hub to hold 8 MiB of the upload", 20*time.Second, func() bool { return uploadedBytes(h.store) >= 8<<20 })
	h.kill()
	close(g.release)
	if err := <-done; err == nil {
		t.Fatal("Put succeeded against a killed hub")
	}
	at := uploadedBytes(h.store)
	h.start(h.addr)
	item.Resume = resume
	off, err := sink.Offset(ctx, item)
	if err != nil || off <= 0 || off != at {
		t.Fatalf("Offset after restart %d %v; want the %d bytes the killed hub had written", off, err, at)
	}
	if err := sink.Put(ctx, item, src, nil); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	if stored == "" {
		t.Fatal("the sink reported no stored id")
	}
	id, err := sink.Verify(ctx, item)
	if err != nil || id != stored {
		t.Fatalf("Verify %q %v, want %q", id, err, stored)
	}
	t.Logf("hubsink: killed with %d of %d bytes on disk, resumed there, stored as %s", at, size, stored)
	l.confirm(t, h.base(), f)
}
