package x11

import (
	"image"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/kbinani/screenshot"
)

// busy paints a pattern so the frames are not trivially uniform.
func busy(b *testing.B, d *xvfb.Display) {
	b.Helper()
	paint(b, d, white)
	for i := 0; i < 64; i++ {
		paint(b, d, blue, (i*97)%1200, (i*53)%680, 80, 40)
	}
}

// BenchmarkGrab1280x720 is the hot path on a changing screen:
// shared-memory grab, change hash and BGRA to I420 conversion (two frames
// in turn, so every grab converts).
func BenchmarkGrab1280x720(b *testing.B) {
	benchGrab(b, Options{})
}

// BenchmarkGrab1280x720Static is the hot path on a static screen into the
// same frame: grab and hashes, no conversion.
func BenchmarkGrab1280x720Static(b *testing.B) {
	d := xvfb.Start(b, 1280, 720)
	busy(b, d)
	s := open(b, d, Options{})
	f := capture.NewFrame(s.Size())
	b.SetBytes(1280 * 720 * 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Grab(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGrab1280x720Plain is the fallback without MIT-SHM.
func BenchmarkGrab1280x720Plain(b *testing.B) {
	benchGrab(b, Options{NoShm: true})
}

// BenchmarkGrab1280x720Half is the hot path at scale 1/2.
func BenchmarkGrab1280x720Half(b *testing.B) {
	benchGrab(b, Options{Scale: 2})
}

func benchGrab(b *testing.B, opts Options) {
	d := xvfb.Start(b, 1280, 720)
	busy(b, d)
	s := open(b, d, opts)
	f := [2]*capture.Frame{capture.NewFrame(s.Size()), capture.NewFrame(s.Size())}
	b.SetBytes(1280 * 720 * 4)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Grab(f[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKbinaniCaptureRect is the library call per frame (a new
// connection and segment each time, RGBA out, no I420), for comparison.
func BenchmarkKbinaniCaptureRect(b *testing.B) {
	d := xvfb.Start(b, 1280, 720)
	busy(b, d)
	b.Setenv("DISPLAY", d.Name())
	b.SetBytes(1280 * 720 * 4)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := screenshot.CaptureRect(image.Rect(0, 0, 1280, 720)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainCopy copies the bytes of one 1280x720 BGRA frame: the
// floor any grab stands beside.
func BenchmarkPlainCopy(b *testing.B) {
	src := make([]byte, 1280*720*4)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, src)
	}
}

// BenchmarkConvert1280x720 is the BGRA to I420 conversion alone.
func BenchmarkConvert1280x720(b *testing.B) {
	src := make([]byte, 1280*720*4)
	f := capture.NewFrame(1280, 720)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ConvertBGRA(f, src, 1280*4, 1)
	}
}

// BenchmarkConvert1280x720Half is the conversion at scale 1/2.
func BenchmarkConvert1280x720Half(b *testing.B) {
	src := make([]byte, 1280*720*4)
	f := capture.NewFrame(640, 360)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ConvertBGRA(f, src, 1280*4, 2)
	}
}

// terminalPictures are two 1280x720 BGRX pictures that differ where a
// scrolling terminal's text is (600 px wide at the left, every row), as
// the busy desk of capture/internal/screenbench.
func terminalPictures() [2][]byte {
	var p [2][]byte
	for k := range p {
		p[k] = make([]byte, 1280*720*4)
		for y := 0; y < 720; y++ {
			for x := 0; x < 1280; x++ {
				i := (y*1280 + x) * 4
				if x < 600 && (x*7+y*13+k*5)%11 < 3 {
					p[k][i], p[k][i+1], p[k][i+2] = 255, 255, 255
				}
			}
		}
	}
	return p
}

// BenchmarkUpdate1280x720Terminal is what a grab does after the server
// has filled the segment, on the busy desk: into the same frame, the text
// area changed in every band.
func BenchmarkUpdate1280x720Terminal(b *testing.B) {
	p := terminalPictures()
	s := changeSource(1280, 720, 1)
	f := capture.NewFrame(1280, 720)
	b.SetBytes(1280 * 720 * 4)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		s.update(f, p[i&1], 1280*4)
	}
}

// BenchmarkUpdate1280x720Static is the same on a screen that did not
// change: the comparisons alone.
func BenchmarkUpdate1280x720Static(b *testing.B) {
	p := terminalPictures()
	s := changeSource(1280, 720, 1)
	f := capture.NewFrame(1280, 720)
	b.SetBytes(1280 * 720 * 4)
	b.ReportAllocs()
	for b.Loop() {
		s.update(f, p[0], 1280*4)
	}
}
