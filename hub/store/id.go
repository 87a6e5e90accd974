package store

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is Crockford's base-32 alphabet (no I, L, O, U): ids read
// aloud or typed by hand survive.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ids hands out time-ordered ids; within one millisecond the random part
// counts up, so ids from one process sort in the order they were made.
type ids struct {
	mu   sync.Mutex
	ms   uint64
	hi   uint16 // the random part: 16 + 64 bits
	lo   uint64
	read func([]byte) (int, error)
}

var gen = ids{read: rand.Read}

// NewID returns a fresh id: 26 characters of Crockford base 32, a ULID (48
// bits of Unix milliseconds, then 80 random bits). Ids never repeat, across
// restarts too, and sort by the time they were made.
func NewID() string { return gen.next(time.Now()) }

func (g *ids) next(now time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(now.UnixMilli())
	if ms <= g.ms {
		ms = g.ms // the clock stood still or stepped back: count up within the last millisecond
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		_, _ = g.read(b[:])
		g.ms, g.hi, g.lo = ms, binary.BigEndian.Uint16(b[:2]), binary.BigEndian.Uint64(b[2:])
	}
	return encode(g.ms, g.hi, g.lo)
}

// encode writes 48 bits of time and 80 bits of randomness as 26 characters.
func encode(ms uint64, hi uint16, lo uint64) string {
	var out [26]byte
	// 128 bits as two words: t (top 64: 48 ms + 16 hi) and lo.
	t := ms<<16 | uint64(hi)
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | t<<59
		t >>= 5
	}
	return string(out[:])
}
