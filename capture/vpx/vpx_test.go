package vpx

import (
	"errors"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// pattern draws a screen-like picture: a light page, dark text-like
// strokes shifted by step (scrolling), coloured blocks.
func pattern(w, h, step int) *capture.Frame {
	f := capture.NewFrame(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte(220)
			line := (y + step*4) % 16
			if line > 3 && line < 12 && (x/3+(y+step*4)/16)%5 != 0 && x%40 < 34 {
				v = byte(40 + (x*7+y*3)%50)
			}
			f.Y[y*w+x] = v
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			f.U[y*cw+x], f.V[y*cw+x] = 128, 128
			if x < cw/4 && y < ch/4 {
				f.U[y*cw+x], f.V[y*cw+x] = 90, 240 // a red block
			}
		}
	}
	return f
}

func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(len(a))))
}

func newEnc(t testing.TB, o Options) *Encoder {
	t.Helper()
	e, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func newDec(t testing.TB, c Codec) *Decoder {
	t.Helper()
	d, err := NewDecoder(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestRoundTripQuality(t *testing.T) {
	for _, codec := range []Codec{VP8, VP9} {
		t.Run(codec.String(), func(t *testing.T) {
			const w, h = 320, 240
			e := newEnc(t, Options{Width: w, Height: h, Codec: codec})
			d := newDec(t, codec)
			for i := 0; i < 10; i++ {
				src := pattern(w, h, i)
				pkts, err := e.Encode(src, time.Duration(i)*200*time.Millisecond, false)
				if err != nil {
					t.Fatal(err)
				}
				if len(pkts) != 1 {
					t.Fatalf("frame %d: %d packets, want 1", i, len(pkts))
				}
				got, err := d.Decode(pkts[0].Data)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if got.Width != w || got.Height != h {
					t.Fatalf("decoded %dx%d", got.Width, got.Height)
				}
				if p := psnr(src.Y, got.Y); p < 30 {
					t.Errorf("frame %d: Y PSNR %.1f dB, want > 30", i, p)
				}
				// The red block stays red: V high, U low.
				if u, v := got.U[10*(w/2)+10], got.V[10*(w/2)+10]; v < 220 || u > 110 {
					t.Errorf("frame %d: red block decoded as U %d V %d", i, u, v)
				}
			}
		})
	}
}

func TestKeyframes(t *testing.T) {
	const w, h = 160, 120
	e := newEnc(t, Options{Width: w, Height: h})
	steps := []struct {
		name  string
		pts   time.Duration
		force bool
		key   bool
	}{
		{"first is key", 0, false, true},
		{"next is not", 200 * time.Millisecond, false, false},
		{"forced", 400 * time.Millisecond, true, true},
		{"after forced", 600 * time.Millisecond, false, false},
		{"skipped frames, 5 s later", 5600 * time.Millisecond, false, false},
		{"10 s of media time after the last key", 10400 * time.Millisecond, false, true},
		{"then not", 10600 * time.Millisecond, false, false},
	}
	for i, st := range steps {
		pkts, err := e.Encode(pattern(w, h, i), st.pts, st.force)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(pkts) != 1 || pkts[0].Key != st.key || pkts[0].PTS != st.pts || pkts[0].Track != capture.TrackVideo {
			t.Errorf("%s: %+v, want one video packet at %v key=%v", st.name, pkts, st.pts, st.key)
		}
	}
}

func TestBadInput(t *testing.T) {
	e := newEnc(t, Options{Width: 64, Height: 48})
	if _, err := e.Encode(pattern(64, 48, 0), time.Second, false); err != nil {
		t.Fatal(err)
	}
	short := pattern(64, 48, 0)
	short.V = short.V[:10]
	cases := []struct {
		name string
		f    *capture.Frame
		pts  time.Duration
		want error
	}{
		{"wrong size", pattern(32, 48, 0), 2 * time.Second, ErrFrameSize},
		{"nil frame", nil, 2 * time.Second, ErrFrameSize},
		{"short plane", short, 2 * time.Second, ErrFrameSize},
		{"pts not increasing", pattern(64, 48, 1), time.Second, ErrPTS},
		{"negative pts", pattern(64, 48, 1), -time.Second, ErrPTS},
	}
	for _, tc := range cases {
		if _, err := e.Encode(tc.f, tc.pts, false); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	opts := []Options{{Width: 0, Height: 10}, {Width: 64, Height: 48, FPS: -1}, {Width: 64, Height: 48, Codec: 7}}
	for _, o := range opts {
		if e, err := NewEncoder(o); err == nil {
			e.Close()
			t.Errorf("NewEncoder(%+v): no error", o)
		}
	}
	d := newDec(t, VP8)
	for _, data := range [][]byte{nil, {1, 2, 3}, []byte(strings.Repeat("garbage!", 100))} {
		if _, err := d.Decode(data); err == nil {
			t.Errorf("Decode(%d bytes of junk): no error", len(data))
		}
	}
}

func TestPacketsBelongToTheCaller(t *testing.T) {
	const w, h = 160, 120
	e := newEnc(t, Options{Width: w, Height: h})
	first, err := e.Encode(pattern(w, h, 0), 0, false)
	if err != nil || len(first) != 1 {
		t.Fatalf("%d packets, %v", len(first), err)
	}
	kept := append([]byte(nil), first[0].Data...)
	for i := 1; i < 5; i++ {
		if _, err := e.Encode(pattern(w, h, i), time.Duration(i)*200*time.Millisecond, false); err != nil {
			t.Fatal(err)
		}
	}
	if string(first[0].Data) != string(kept) || !first[0].Key {
		t.Fatal("a packet changed after later Encode calls")
	}
	d := newDec(t, VP8)
	if _, err := d.Decode(first[0].Data); err != nil {
		t.Fatalf("the kept keyframe no longer decodes: %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	e, err := NewEncoder(Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(VP8)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Encode(pattern(64, 48, 0), 0, false); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if _, err := d.Decode([]byte{1}); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
}

// rss is the process's resident memory in bytes (C heap included).
func rss(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	pages, err := strconv.Atoi(strings.Fields(string(b))[1])
	if err != nil {
		t.Fatal(err)
	}
	return pages * os.Getpagesize()
}

func TestNoLeaks(t *testing.T) {
	// The C heap (libvpx's memory) in use before and after 1,000 frames
	// encoded and decoded and 50 encoders opened and closed: steady.
	const w, h = 320, 240
	frames := [4]*capture.Frame{pattern(w, h, 0), pattern(w, h, 1), pattern(w, h, 2), pattern(w, h, 3)}
	e := newEnc(t, Options{Width: w, Height: h})
	d := newDec(t, VP8)
	i := 0
	run := func(nFrames, nEncoders int) {
		for n := 0; n < nFrames; n++ {
			pkts, err := e.Encode(frames[i%4], time.Duration(i)*200*time.Millisecond, false)
			if err != nil {
				t.Fatal(err)
			}
			i++
			for _, p := range pkts {
				if _, err := d.Decode(p.Data); err != nil {
					t.Fatal(err)
				}
			}
		}
		for n := 0; n < nEncoders; n++ {
			x, err := NewEncoder(Options{Width: w, Height: h})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := x.Encode(frames[0], 0, false); err != nil {
				t.Fatal(err)
			}
			x.Close()
		}
	}
	run(50, 2) // warm up
	before := cHeapInUse()
	run(1000, 50)
	if grew := cHeapInUse() - before; grew > 64<<10 {
		t.Errorf("C heap grew %d KB over 1,000 frames and 50 encoders", grew>>10)
	}
	// The Go side: resident memory stays in bounds too.
	debug.FreeOSMemory()
	if r := rss(t); r > 256<<20 {
		t.Errorf("resident memory %d MB", r>>20)
	}
}

func TestEncodeAllocations(t *testing.T) {
	const w, h = 160, 120
	e := newEnc(t, Options{Width: w, Height: h})
	f := pattern(w, h, 0)
	pts := time.Duration(0)
	enc := func() {
		pts += 200 * time.Millisecond
		if _, err := e.Encode(f, pts, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		enc()
	}
	// The packet slice and its data, nothing more.
	if a := testing.AllocsPerRun(20, enc); a > 2 {
		t.Errorf("%.1f allocations per Encode, want at most 2", a)
	}
}

func TestSmallChangeShows(t *testing.T) {
	// A static page, then one glyph-sized mark appears (a chat line's
	// first letter): the static threshold must not swallow it.
	const w, h = 320, 240
	for _, codec := range []Codec{VP8, VP9} {
		e := newEnc(t, Options{Width: w, Height: h, Codec: codec})
		d := newDec(t, codec)
		page := capture.NewFrame(w, h)
		for i := range page.Y {
			page.Y[i] = 235
		}
		for i := range page.U {
			page.U[i], page.V[i] = 128, 128
		}
		mark := capture.NewFrame(w, h)
		copy(mark.Y, page.Y)
		copy(mark.U, page.U)
		copy(mark.V, page.V)
		for y := 100; y < 110; y++ {
			for x := 150; x < 156; x++ {
				mark.Y[y*w+x] = 16
			}
		}
		var last *capture.Frame
		for i := 0; i < 12; i++ {
			f := page
			if i >= 8 {
				f = mark
			}
			if got := encodeDecode(t, e, d, f, time.Duration(i)*200*time.Millisecond); got != nil {
				last = got
			}
		}
		var sum int
		for y := 100; y < 110; y++ {
			for x := 150; x < 156; x++ {
				sum += int(last.Y[y*w+x])
			}
		}
		if mean := sum / 60; mean > 100 {
			t.Errorf("%v: the mark decodes with mean luma %d, want dark (< 100)", codec, mean)
		}
	}
}

func TestOddSize(t *testing.T) {
	const w, h = 161, 121
	e := newEnc(t, Options{Width: w, Height: h})
	d := newDec(t, VP8)
	src := pattern(w, h, 0)
	pkts, err := e.Encode(src, 0, false)
	if err != nil || len(pkts) != 1 {
		t.Fatalf("%d packets, %v", len(pkts), err)
	}
	got, err := d.Decode(pkts[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != w || got.Height != h {
		t.Fatalf("decoded %dx%d, want %dx%d", got.Width, got.Height, w, h)
	}
	if p := psnr(src.Y, got.Y); p < 30 {
		t.Errorf("Y PSNR %.1f dB", p)
	}
}

// Issue 17 point 3: an active map limits VP8 to the macroblocks it marks:
// a mark inside them shows after decoding, a mark outside them does not
// (so the map is really applied), and a wrong map size is an error.
func TestActiveMap(t *testing.T) {
	const w, h = 320, 240
	page := capture.NewFrame(w, h)
	for i := range page.Y {
		page.Y[i] = 235
	}
	for i := range page.U {
		page.U[i], page.V[i] = 128, 128
	}
	withMark := func(x0, y0 int) *capture.Frame {
		f := capture.NewFrame(w, h)
		copy(f.Y, page.Y)
		copy(f.U, page.U)
		copy(f.V, page.V)
		for y := y0; y < y0+10; y++ {
			for x := x0; x < x0+10; x++ {
				f.Y[y*w+x] = 16
			}
		}
		return f
	}
	cols, rows := (w+15)/16, (h+15)/16
	for _, c := range []struct {
		name  string
		mb    [2]int // the macroblock marked active (column, row)
		shows bool
	}{{"mark inside the map", [2]int{9, 6}, true}, {"mark outside the map", [2]int{2, 2}, false}} {
		e := newEnc(t, Options{Width: w, Height: h})
		d := newDec(t, VP8)
		var last *capture.Frame
		for i := 0; i < 4; i++ {
			f := page
			if i > 0 {
				active := make([]byte, cols*rows)
				active[c.mb[1]*cols+c.mb[0]] = 1
				if err := e.SetActive(active); err != nil {
					t.Fatal(err)
				}
				f = withMark(9*16+3, 6*16+3)
			}
			if got := encodeDecode(t, e, d, f, time.Duration(i)*200*time.Millisecond); got != nil {
				last = got
			}
		}
		dark := last.Y[(6*16+8)*w+9*16+8] < 100
		if dark != c.shows {
			t.Errorf("%s: the mark shows %v, want %v", c.name, dark, c.shows)
		}
	}
	e := newEnc(t, Options{Width: w, Height: h})
	if err := e.SetActive(make([]byte, 3)); err == nil {
		t.Error("a map of the wrong size is taken")
	}
	if err := e.SetActive(nil); err != nil {
		t.Errorf("clearing the map: %v", err)
	}
}

// encodeDecode encodes f at pts and decodes what came out: the last
// picture decoded (nil when no packet came).
func encodeDecode(t *testing.T, e *Encoder, d *Decoder, f *capture.Frame, pts time.Duration) *capture.Frame {
	t.Helper()
	pkts, err := e.Encode(f, pts, false)
	if err != nil {
		t.Fatal(err)
	}
	var last *capture.Frame
	for _, p := range pkts {
		if last, err = d.Decode(p.Data); err != nil {
			t.Fatal(err)
		}
	}
	return last
}
