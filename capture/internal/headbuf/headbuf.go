// Package headbuf keeps the first bytes a helper process writes (the
// complaint an X server or audio daemon prints when it fails to start) and
// drops the rest, so a long-running helper cannot grow the test's memory.
package headbuf

import (
	"strings"
	"sync"
)

// Buffer is an io.Writer that keeps the first N bytes. It is safe for
// concurrent use; its zero value keeps nothing.
type Buffer struct {
	N  int
	mu sync.Mutex
	w  strings.Builder
}

// New returns a Buffer keeping the first n bytes.
func New(n int) *Buffer { return &Buffer{N: n} }

// Write keeps what fits and reports the whole of p written.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rest := b.N - b.w.Len(); rest > 0 {
		b.w.Write(p[:min(len(p), rest)])
	}
	return len(p), nil
}

// String returns what was kept.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.String()
}
