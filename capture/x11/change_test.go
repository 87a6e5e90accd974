package x11

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
)

// changeSource is a Source without a display: change detection and
// conversion only, for a w x h screen at 1/scale.
func changeSource(w, h, scale int) *Source {
	s := &Source{scale: scale, rect: image.Rect(0, 0, w, h)}
	s.outW, s.outH = (w/scale)&^1, (h/scale)&^1
	s.rect = image.Rect(0, 0, s.outW*scale, s.outH*scale)
	s.initChange()
	return s
}

// edit paints a random rectangle (sometimes one pixel, often at a column
// or band edge) of the BGRX picture px in one random colour.
func edit(r *rand.Rand, px []byte, w, h int) {
	x, y := r.IntN(w), r.IntN(h)
	if r.IntN(3) == 0 { // on a column edge
		x = min(x/16*16+r.IntN(2)*15, w-1)
	}
	ew, eh := 1+r.IntN(w/3), 1+r.IntN(h/4)
	if r.IntN(4) == 0 {
		ew, eh = 1, 1
	}
	c := r.Uint32()
	for yy := y; yy < min(y+eh, h); yy++ {
		for xx := x; xx < min(x+ew, w); xx++ {
			i := (yy*w + xx) * 4
			px[i], px[i+1], px[i+2] = byte(c), byte(c>>8), byte(c>>16)
		}
	}
}

// samePlanes fails t when the frames' planes differ anywhere.
func samePlanes(t *testing.T, what string, got, want *capture.Frame) {
	t.Helper()
	for _, p := range []struct {
		name      string
		got, want []byte
	}{{"Y", got.Y, want.Y}, {"U", got.U, want.U}, {"V", got.V, want.V}} {
		if i := firstDiff(p.got, p.want); i >= 0 {
			t.Fatalf("%s: %s[%d] = %d, a whole conversion gives %d", what, p.name, i, p.got[i], p.want[i])
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestPartialConversionIsTheWholeOne(t *testing.T) {
	// Random edits of a screen: after each grab the frame is byte for byte
	// what converting the whole picture gives, and changed says whether
	// any pixel the output uses changed. Widths not a multiple of a column
	// and heights not of a band included.
	cases := []struct {
		name        string
		w, h, scale int
	}{
		{"full size", 200, 100, 1},
		{"full size, whole columns", 256, 64, 1},
		{"half", 262, 134, 2},
		{"third", 200, 101, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tc.scale)))
			s := changeSource(tc.w, tc.h, tc.scale)
			w, h := s.rect.Dx(), s.rect.Dy()
			px := make([]byte, w*h*4)
			for i := range px {
				px[i] = byte(r.Uint32())
			}
			f, other, whole := capture.NewFrame(s.Size()), capture.NewFrame(s.Size()), capture.NewFrame(s.Size())
			if !s.update(f, px, w*4) {
				t.Fatal("first grab: not changed")
			}
			last := bytes.Clone(px)
			for step := range 300 {
				dst := f
				switch step % 50 {
				case 17: // another frame
					dst = other
				case 33: // the frame drawn over (a slate)
					clear(f.V[len(f.V)/2:])
				}
				for range r.IntN(4) {
					edit(r, px, w, h)
				}
				changed := s.update(dst, px, w*4)
				if want := !bytes.Equal(px, last); changed != want {
					t.Fatalf("step %d: changed=%v, want %v", step, changed, want)
				}
				copy(last, px)
				ConvertBGRA(whole, px, w*4, tc.scale)
				samePlanes(t, fmt.Sprintf("step %d", step), dst, whole)
			}
		})
	}
}

func TestChangedSpans(t *testing.T) {
	// One pixel changed converts only its band and its column.
	s := changeSource(128, 64, 1)
	px := make([]byte, 128*64*4)
	f := capture.NewFrame(s.Size())
	s.update(f, px, 128*4)
	px[(20*128+40)*4] = 255 // row 20 (band 1), column 40 (column 2)
	if !s.update(f, px, 128*4) {
		t.Fatal("one pixel changed: not changed")
	}
	want := []span{{}, {32, 48}, {}, {}}
	for b, sp := range s.dirty {
		if sp != want[b] {
			t.Errorf("band %d: span %v, want %v", b, sp, want[b])
		}
	}
	if s.update(f, px, 128*4) {
		t.Error("nothing changed: changed")
	}
	for b, sp := range s.dirty {
		if sp.x0 < sp.x1 {
			t.Errorf("nothing changed: band %d span %v", b, sp)
		}
	}
}

func TestUpdateAllocatesNothing(t *testing.T) {
	s := changeSource(640, 360, 1)
	px := make([]byte, 640*360*4)
	f := capture.NewFrame(s.Size())
	s.update(f, px, 640*4)
	i := 0
	if a := testing.AllocsPerRun(10, func() {
		i++
		px[(i%360*640+i%640)*4] ^= 0xff
		s.update(f, px, 640*4)
	}); a != 0 {
		t.Errorf("%.0f allocations a grab", a)
	}
}
