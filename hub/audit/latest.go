package audit

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
)

// Latest is a signed checkpoint and when it was made.
type Latest struct {
	Checkpoint
	At time.Time
}

// Latest is the newest signed checkpoint: the last one this Log made, or
// before it made any, the newest the store keeps (ok false when there is
// none yet). For the audit page: its signature is the Log's own, not
// checked again here.
func (l *Log) Latest(ctx context.Context) (c Latest, ok bool, err error) {
	l.mu.Lock()
	c = l.latest
	l.mu.Unlock()
	if c.Note != nil {
		return c, true, nil
	}
	all, err := l.st.AuditCheckpoints(ctx)
	if err != nil || len(all) == 0 {
		return Latest{}, false, err
	}
	last := all[len(all)-1]
	c = Latest{Checkpoint: Checkpoint{Size: last.Size, Note: last.Note}, At: last.At}
	if text, _, found := strings.Cut(string(last.Note), "\n\n"); found {
		if lines := strings.Split(text, "\n"); len(lines) == 3 {
			c.Origin = lines[0]
			if r, err := base64.StdEncoding.DecodeString(lines[2]); err == nil && len(r) == len(c.Root) {
				copy(c.Root[:], r)
			}
		}
	}
	l.mu.Lock()
	if l.latest.Note == nil {
		l.latest = c
	}
	l.mu.Unlock()
	return c, true, nil
}

// Index is the log's index of its entries, for the audit page: Open
// starts reading the entries already stored into it in the background,
// and each query catches up with what was appended since.
func (l *Log) Index() *Index { return l.idx }

// warm builds the index of the entries stored before the log opened,
// until Close.
func (l *Log) warm() {
	defer close(l.warmed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-l.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	if err := l.idx.CatchUp(ctx); err != nil && ctx.Err() == nil {
		l.log.Error("audit: index", "err", err)
		return
	}
	if n := l.idx.Size(); n > 10000 {
		l.log.Info("audit: entries indexed for the audit page", "entries", n, "took", time.Since(start).Round(time.Millisecond))
	}
}
