package audit

import (
	"context"
	"time"
)

// Latest is a signed checkpoint and when it was made.
type Latest struct {
	Checkpoint
	At time.Time
}

// Latest is the newest signed checkpoint this Log made; before it made
// any (in the first interval after it opened), it signs one now, as the
// timer would have: the store's own list of checkpoints may be long (one
// a minute while entries arrive) and is not read for this. For the audit
// page. ok is false only when the checkpoint could not be made.
func (l *Log) Latest(ctx context.Context) (c Latest, ok bool, err error) {
	l.mu.Lock()
	c = l.latest
	l.mu.Unlock()
	if c.Note != nil {
		return c, true, nil
	}
	if _, _, err := l.Checkpoint(ctx); err != nil {
		return Latest{}, false, err
	}
	l.mu.Lock()
	c = l.latest
	l.mu.Unlock()
	return c, c.Note != nil, nil
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
