package x11

import (
	"bytes"

	"github.com/agentdesk/agentdesk/capture"
)

// bandRows is the height, in output rows, of the bands compared and
// converted apart: a chat line typed changes one or two of them.
const bandRows = 16

// colPx is the width, in output pixels, of the columns a band's change is
// measured in: each band converts only the columns from its leftmost to
// its rightmost changed one (a terminal's text fills half the screen).
const colPx = 16

// span is the output columns [x0, x1) of a band that changed; empty when
// x0 >= x1.
type span struct{ x0, x1 int }

// initChange makes the buffers of change detection for a source of
// s.rect, s.outW, s.outH and s.scale.
func (s *Source) initChange() {
	s.dirty = make([]span, (s.outH+bandRows-1)/bandRows)
	s.need = make([]bool, len(s.dirty))
	for b := range s.need {
		s.need[b] = true
	}
	s.prev = make([]byte, s.rect.Dx()*s.rect.Dy()*4)
	s.shadow = capture.NewFrame(s.outW, s.outH)
}

// update brings dst up to the grabbed pixels px (stride bytes a row) and
// reports whether they differ from the last grab's. Into the frame of the
// last grab, untouched since, only what changed is converted; otherwise
// all of it.
func (s *Source) update(dst *capture.Frame, px []byte, stride int) bool {
	first := !s.primed
	changed := s.compare(px, stride)
	if !first && dst == s.lastDst && s.untouched(dst) {
		for b, sp := range s.dirty {
			if sp.x0 < sp.x1 {
				y0 := b * bandRows
				y1 := min(y0+bandRows, s.outH)
				convertRect(dst, px, stride, s.scale, y0, y1, sp.x0, sp.x1)
				copyRect(s.shadow, dst, y0, y1, sp.x0, sp.x1)
			}
		}
		return changed
	}
	convertRect(dst, px, stride, s.scale, 0, s.outH, 0, s.outW)
	copyRect(s.shadow, dst, 0, s.outH, 0, s.outW)
	s.lastDst = dst
	return changed
}

// compare compares each band of the grabbed pixels that was read (s.need)
// with the last grab's, sets its changed span in s.dirty (empty for the
// bands not read), copies what changed into s.prev and reports whether
// anything did. The first grab changes everything.
func (s *Source) compare(px []byte, stride int) bool {
	if !s.primed {
		copy(s.prev, px)
		for b := range s.dirty {
			s.dirty[b] = span{0, s.outW}
		}
		s.primed = true
		return true
	}
	rows := bandRows * s.scale  // source rows a band
	colB := colPx * s.scale * 4 // source bytes a column
	ncol := (stride + colB - 1) / colB
	// block is column k of a source row.
	block := func(row []byte, k int) []byte { return row[k*colB : min((k+1)*colB, len(row))] }
	changed := false
	for b := range s.dirty {
		if !s.need[b] {
			s.dirty[b] = span{}
			continue
		}
		lo, hi := ncol, 0 // the changed columns [lo, hi)
		end := min((b+1)*rows*stride, len(px))
		for o := b * rows * stride; o < end; o += stride {
			a, p := px[o:o+stride], s.prev[o:o+stride]
			if bytes.Equal(a, p) {
				continue
			}
			for k := 0; k < lo; k++ {
				if !bytes.Equal(block(a, k), block(p, k)) {
					lo = k
					break
				}
			}
			for k := ncol - 1; k >= hi; k-- {
				if !bytes.Equal(block(a, k), block(p, k)) {
					hi = k + 1
					break
				}
			}
		}
		if lo >= hi {
			s.dirty[b] = span{}
			continue
		}
		changed = true
		c0, c1 := lo*colB, min(hi*colB, stride)
		for o := b * rows * stride; o < end; o += stride {
			copy(s.prev[o+c0:o+c1], px[o+c0:o+c1])
		}
		s.dirty[b] = span{lo * colPx, min(hi*colPx, s.outW)}
	}
	return changed
}

// untouched reports whether f still holds what the last conversion left
// in it (the shadow copy): nobody drew over it since.
func (s *Source) untouched(f *capture.Frame) bool {
	return bytes.Equal(f.Y, s.shadow.Y) && bytes.Equal(f.U, s.shadow.U) && bytes.Equal(f.V, s.shadow.V)
}

// copyRect copies output rows [y0, y1) and columns [x0, x1) (y0 and x0
// even) of src's planes into dst's.
func copyRect(dst, src *capture.Frame, y0, y1, x0, x1 int) {
	w, cw := src.Width, src.Width/2
	for y := y0; y < y1; y++ {
		copy(dst.Y[y*w+x0:y*w+x1], src.Y[y*w+x0:y*w+x1])
	}
	c0, c1 := x0/2, (x1+1)/2
	for y := y0 / 2; y < (y1+1)/2; y++ {
		copy(dst.U[y*cw+c0:y*cw+c1], src.U[y*cw+c0:y*cw+c1])
		copy(dst.V[y*cw+c0:y*cw+c1], src.V[y*cw+c0:y*cw+c1])
	}
}
