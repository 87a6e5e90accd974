// Package synth holds synthetic capture sources for machines without a
// screen or a microphone, and for tests: a Screen of colour bars with a
// moving block and a frame counter, and a Mic playing a tone or silence.
// They are used only when asked for, or with a loud warning when no real
// device exists (the caller's decision).
package synth

import (
	"sync"

	"github.com/agentdesk/agentdesk/capture"
)

// Bar returns the RGB colour of bar i (0..7, left to right: 75% bars) of
// the synthetic screen.
func Bar(i int) (r, g, b uint8) {
	switch i & 7 {
	case 0:
		return 191, 191, 191
	case 1:
		return 191, 191, 0
	case 2:
		return 0, 191, 191
	case 3:
		return 0, 191, 0
	case 4:
		return 191, 0, 191
	case 5:
		return 191, 0, 0
	case 6:
		return 0, 0, 191
	}
	return 16, 16, 16
}

// FlipColour is the colour the whole screen shows while flipped.
func FlipColour() [3]uint8 { return [3]uint8{255, 255, 255} }

// ScreenOptions configure a synthetic Screen.
type ScreenOptions struct {
	Width, Height int  // 0: 320 x 240
	Static        bool // nothing moves: Grab reports a change only after Flip
}

// Screen is a synthetic capture.Screen: colour bars over the top two
// thirds, a block moving across the bottom third, and the frame counter
// as 16 binary blocks along the bottom edge (white is 1, most significant
// first). Flip turns the whole screen FlipColour and back.
type Screen struct {
	o       ScreenOptions
	mu      sync.Mutex
	frame   int
	flipped bool
	drawn   bool // the last Grab drew the current flip state
	closed  bool
}

// NewScreen makes a synthetic screen.
func NewScreen(o ScreenOptions) *Screen {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 320, 240
	}
	return &Screen{o: o}
}

// Size is the screen's size.
func (s *Screen) Size() (w, h int) { return s.o.Width, s.o.Height }

// Flip turns the screen FlipColour, or back to the bars.
func (s *Screen) Flip() {
	s.mu.Lock()
	s.flipped = !s.flipped
	s.drawn = false
	s.mu.Unlock()
}

// Flipped reports whether the screen shows FlipColour.
func (s *Screen) Flipped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flipped
}

// Grab draws the next picture into dst. It does not allocate.
func (s *Screen) Grab(dst *capture.Frame) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, capture.ErrClosed
	}
	changed := !s.drawn || !s.o.Static
	s.drawn = true
	w, h := s.o.Width, s.o.Height
	if s.flipped {
		c := FlipColour()
		dst.FillRect(0, 0, w, h, c[0], c[1], c[2])
		s.frame++
		return changed, nil
	}
	top := h * 2 / 3 &^ 1
	bw := (w/8 + 1) &^ 1
	for i := range 8 {
		r, g, b := Bar(i)
		dst.FillRect(i*bw, 0, bw, top, r, g, b)
	}
	dst.FillRect(0, top, w, h-top, 32, 32, 32)
	size := (h - top) / 2 &^ 1
	x := 0
	if !s.o.Static {
		x = (s.frame * 8) % max(w-size, 1) &^ 1
	}
	dst.FillRect(x, top+2, size, size, 235, 235, 235)
	cell := max(w/16&^1, 2)
	for bit := range 16 {
		var v uint8 = 16
		if !s.o.Static && s.frame>>(15-bit)&1 == 1 {
			v = 235
		}
		dst.FillRect(bit*cell, h-cell, cell, cell, v, v, v)
	}
	s.frame++
	return changed, nil
}

// Close is idempotent; Grab after it returns capture.ErrClosed.
func (s *Screen) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

var _ capture.Screen = (*Screen)(nil)
