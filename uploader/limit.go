package uploader

import (
	"context"
	"io"
	"sync"
	"time"
)

// bucket is a token bucket of bytes: rate bytes a second, at most burst
// saved up.
type bucket struct {
	clock  Clock
	rate   float64
	burst  int
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBucket(clock Clock, rate int64) *bucket {
	burst := int(rate / 8)
	burst = max(burst, 4096)
	burst = min(burst, 1<<20)
	return &bucket{clock: clock, rate: float64(rate), burst: burst, tokens: float64(burst), last: clock.Now()}
}

// wait takes n (<= burst) tokens, waiting on the clock until there are
// enough or ctx is done.
func (b *bucket) wait(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		now := b.clock.Now()
		if el := now.Sub(b.last); el > 0 {
			b.tokens = min(float64(b.burst), b.tokens+el.Seconds()*b.rate)
			b.last = now
		}
		if b.tokens >= float64(n) {
			b.tokens -= float64(n)
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((float64(n) - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.clock.After(max(need, time.Millisecond)):
		}
	}
}

// limitedReaderAt caps the rate at which an io.ReaderAt is read.
type limitedReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
	b   *bucket
}

// ReadAt fills p (io.ReaderAt's contract) in pieces of at most the burst,
// each after waiting for its tokens.
func (l *limitedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		piece := min(len(p)-done, l.b.burst)
		if err := l.b.wait(l.ctx, piece); err != nil {
			return done, err
		}
		n, err := l.r.ReadAt(p[done:done+piece], off+int64(done))
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
