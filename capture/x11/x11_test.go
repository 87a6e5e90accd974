package x11

import (
	"errors"
	"image"
	"image/color"
	"io"
	"log"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/kbinani/screenshot"
)

var (
	red   = color.RGBA{R: 255, A: 255}
	blue  = color.RGBA{B: 255, A: 255}
	green = color.RGBA{G: 255, A: 255}
	white = color.RGBA{R: 255, G: 255, B: 255, A: 255}
)

// open opens d for the test and closes it at the end.
func open(t testing.TB, d *xvfb.Display, opts Options) *Source {
	t.Helper()
	if opts.Log == nil {
		opts.Log = log.New(io.Discard, "", 0)
	}
	s, err := Open(d.Name(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// grab grabs one frame.
func grab(t testing.TB, s *Source) (*capture.Frame, bool) {
	t.Helper()
	f := capture.NewFrame(s.Size())
	changed, err := s.Grab(f)
	if err != nil {
		t.Fatalf("Grab: %v", err)
	}
	return f, changed
}

// at is the colour of frame pixel (x, y) converted back to RGB.
func at(f *capture.Frame, x, y int) color.RGBA {
	cw := (f.Width + 1) / 2
	r, g, b := RGB(f.Y[y*f.Width+x], f.U[y/2*cw+x/2], f.V[y/2*cw+x/2])
	return color.RGBA{r, g, b, 255}
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) < 8 && int(y)-int(x) < 8 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

func paint(t testing.TB, d *xvfb.Display, c color.Color, rect ...int) {
	t.Helper()
	var err error
	if len(rect) == 4 {
		err = d.FillRect(rect[0], rect[1], rect[2], rect[3], c)
	} else {
		err = d.Fill(c)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestColoursAtKnownPlaces(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	paint(t, d, red)
	paint(t, d, blue, 160, 0, 160, 240)
	paint(t, d, white, 0, 200, 40, 40)
	cases := []struct {
		name string
		opts Options
	}{
		{"shared memory", Options{}},
		{"plain GetImage", Options{NoShm: true}},
		{"half size", Options{Scale: 2}},
		{"half size plain", Options{Scale: 2, NoShm: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, d, tc.opts)
			if s.Shm() == tc.opts.NoShm {
				t.Fatalf("Shm() = %v with NoShm %v", s.Shm(), tc.opts.NoShm)
			}
			sc := max(tc.opts.Scale, 1)
			if w, h := s.Size(); w != 320/sc || h != 240/sc {
				t.Fatalf("size %dx%d, want %dx%d", w, h, 320/sc, 240/sc)
			}
			f, _ := grab(t, s)
			points := []struct {
				x, y int
				want color.RGBA
			}{
				{10, 10, red}, {150, 100, red}, {170, 100, blue}, {310, 230, blue}, {20, 220, white},
			}
			for _, p := range points {
				if got := at(f, p.x/sc, p.y/sc); !near(got, p.want) {
					t.Errorf("(%d,%d): got %v, want %v", p.x, p.y, got, p.want)
				}
			}
		})
	}
}

func TestChangedOnlyWhenTheScreenChanges(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	paint(t, d, green)
	s := open(t, d, Options{})
	steps := []struct {
		name  string
		paint func()
		want  bool
	}{
		{"first grab", nil, true},
		{"static", nil, false},
		{"still static", nil, false},
		{"one small square", func() { paint(t, d, red, 300, 220, 2, 2) }, true},
		{"static again", nil, false},
		{"repainted the same", func() { paint(t, d, red, 300, 220, 2, 2) }, false},
	}
	for _, st := range steps {
		if st.paint != nil {
			st.paint()
		}
		if _, changed := grab(t, s); changed != st.want {
			t.Errorf("%s: changed=%v, want %v", st.name, changed, st.want)
		}
	}
}

func TestGrabAllocatesNothing(t *testing.T) {
	d := xvfb.Start(t, 640, 360)
	for _, opts := range []Options{{}, {NoShm: true}, {Scale: 2}} {
		s := open(t, d, opts)
		f := capture.NewFrame(s.Size())
		if _, err := s.Grab(f); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := s.Grab(f); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%+v: %.1f allocations per Grab, want 0", opts, allocs)
		}
	}
}

func TestCloseIdempotentGrabAfterClose(t *testing.T) {
	d := xvfb.Start(t, 64, 64)
	s := open(t, d, Options{})
	f := capture.NewFrame(s.Size())
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Grab(f); !errors.Is(err, capture.ErrClosed) {
		t.Fatalf("Grab after Close: %v, want ErrClosed", err)
	}
}

func TestBadInput(t *testing.T) {
	d := xvfb.Start(t, 64, 64)
	s := open(t, d, Options{})
	if _, err := s.Grab(capture.NewFrame(32, 32)); err == nil {
		t.Error("Grab into a frame of the wrong size: no error")
	}
	if _, err := s.Grab(nil); err == nil {
		t.Error("Grab into nil: no error")
	}
	cases := []struct {
		name    string
		display string
		opts    Options
		want    string
	}{
		{"no server", ":59999", Options{}, "cannot open display :59999"},
		{"bad name", "nocolon", Options{}, "cannot open display nocolon"},
		{"monitor out of range", d.Name(), Options{Monitors: []int{3}}, "no such monitor"},
		{"negative scale", d.Name(), Options{Scale: -1}, "bad options"},
		{"scale too coarse", d.Name(), Options{Scale: 64}, "too small"},
	}
	for _, tc := range cases {
		_, err := Open(tc.display, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestNoDisplaySet(t *testing.T) {
	t.Setenv("DISPLAY", "")
	if _, err := Open("", Options{}); !errors.Is(err, ErrNoDisplay) || err.Error() != "x11: no DISPLAY set" {
		t.Errorf("Open: %v, want %q", err, ErrNoDisplay)
	}
	if _, err := Displays(""); !errors.Is(err, ErrNoDisplay) {
		t.Errorf("Displays: %v, want ErrNoDisplay", err)
	}
}

func TestFallbackIsLogged(t *testing.T) {
	d := xvfb.Start(t, 64, 64)
	var buf strings.Builder
	s := open(t, d, Options{NoShm: true, Log: log.New(&buf, "", 0)})
	if s.Shm() {
		t.Fatal("Shm() with NoShm")
	}
	if !strings.Contains(buf.String(), "MIT-SHM not available") {
		t.Fatalf("log %q does not say MIT-SHM is not used", buf.String())
	}
}

func TestMonitors(t *testing.T) {
	d := xvfb.StartConfig(t, xvfb.Config{Width: 480, Height: 240,
		Monitors: []image.Rectangle{image.Rect(0, 0, 320, 240), image.Rect(320, 0, 480, 120)}})
	mons, err := Displays(d.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := []image.Rectangle{image.Rect(0, 0, 320, 240), image.Rect(320, 0, 480, 120)}
	if len(mons) != len(want) {
		t.Fatalf("Displays: %+v, want bounds %v", mons, want)
	}
	for i, m := range mons {
		if m.Index != i || m.Bounds != want[i] {
			t.Errorf("monitor %d: %+v, want %v", i, m, want[i])
		}
	}
	paint(t, d, red)
	paint(t, d, blue, 320, 0, 160, 120)
	cases := []struct {
		name     string
		monitors []int
		w, h     int
		probe    image.Point
		want     color.RGBA
	}{
		{"all: the union", nil, 480, 240, image.Pt(400, 60), blue},
		{"first", []int{0}, 320, 240, image.Pt(310, 60), red},
		{"second", []int{1}, 160, 120, image.Pt(10, 10), blue},
	}
	for _, tc := range cases {
		s := open(t, d, Options{Monitors: tc.monitors})
		if w, h := s.Size(); w != tc.w || h != tc.h {
			t.Errorf("%s: size %dx%d, want %dx%d", tc.name, w, h, tc.w, tc.h)
			continue
		}
		f, _ := grab(t, s)
		if got := at(f, tc.probe.X, tc.probe.Y); !near(got, tc.want) {
			t.Errorf("%s: %v at %v, want %v", tc.name, got, tc.probe, tc.want)
		}
	}
}

func TestDisplaysAgreesWithKbinani(t *testing.T) {
	d := xvfb.StartConfig(t, xvfb.Config{Width: 640, Height: 240,
		Monitors: []image.Rectangle{image.Rect(0, 0, 320, 240), image.Rect(320, 0, 640, 240)}})
	t.Setenv("DISPLAY", d.Name())
	mons, err := Displays("")
	if err != nil {
		t.Fatal(err)
	}
	if n := screenshot.NumActiveDisplays(); n != len(mons) {
		t.Fatalf("kbinani sees %d displays, Displays %d", n, len(mons))
	}
	for _, m := range mons {
		if kb := screenshot.GetDisplayBounds(m.Index); kb != m.Bounds {
			t.Errorf("display %d: kbinani %v, Displays %v", m.Index, kb, m.Bounds)
		}
	}
}

func TestStaticScreenStillFillsTheFrame(t *testing.T) {
	d := xvfb.Start(t, 64, 64)
	paint(t, d, red)
	s := open(t, d, Options{})
	f, _ := grab(t, s)
	cases := []struct {
		name  string
		frame func() *capture.Frame
	}{
		{"same frame, untouched", func() *capture.Frame { return f }},
		{"same frame, drawn over (a slate)", func() *capture.Frame { clear(f.Y); clear(f.U); return f }},
		{"another frame", func() *capture.Frame { return capture.NewFrame(s.Size()) }},
	}
	for _, tc := range cases {
		g := tc.frame()
		changed, err := s.Grab(g)
		if err != nil || changed {
			t.Fatalf("%s: changed=%v err=%v on a static screen", tc.name, changed, err)
		}
		if got := at(g, 30, 30); !near(got, red) {
			t.Errorf("%s: %v, want red", tc.name, got)
		}
	}
}

func TestOnlyChangedBandsConvertedYetFrameWhole(t *testing.T) {
	// The frame must always hold the whole screen, whichever bands were
	// converted: probe a spot in every band that matters after each step.
	d := xvfb.Start(t, 128, 96)
	paint(t, d, red)
	for _, scale := range []int{1, 2} {
		s := open(t, d, Options{Scale: scale})
		f := capture.NewFrame(s.Size())
		other := capture.NewFrame(s.Size())
		paint(t, d, red)
		steps := []struct {
			name    string
			before  func()
			dst     *capture.Frame
			changed bool
			probes  map[[2]int]color.RGBA
		}{
			{"first", nil, f, true, map[[2]int]color.RGBA{{8, 8}: red, {100, 80}: red}},
			{"bottom band changes", func() { paint(t, d, blue, 96, 72, 16, 16) }, f, true,
				map[[2]int]color.RGBA{{8, 8}: red, {100, 80}: blue, {90, 80}: red}},
			{"top band changes, frame scribbled", func() { clear(f.Y); paint(t, d, green, 0, 0, 16, 16) }, f, true,
				map[[2]int]color.RGBA{{8, 8}: green, {100, 80}: blue, {60, 40}: red}},
			{"another frame, no change", nil, other, false,
				map[[2]int]color.RGBA{{8, 8}: green, {100, 80}: blue, {60, 40}: red}},
			{"back to the first frame after a change", func() { paint(t, d, white, 48, 32, 16, 16) }, f, true,
				map[[2]int]color.RGBA{{8, 8}: green, {100, 80}: blue, {56, 40}: white, {20, 60}: red}},
		}
		for _, st := range steps {
			if st.before != nil {
				st.before()
			}
			changed, err := s.Grab(st.dst)
			if err != nil {
				t.Fatal(err)
			}
			if changed != st.changed {
				t.Errorf("1/%d %s: changed=%v, want %v", scale, st.name, changed, st.changed)
			}
			for p, want := range st.probes {
				if got := at(st.dst, p[0]/scale, p[1]/scale); !near(got, want) {
					t.Errorf("1/%d %s: %v at %v, want %v", scale, st.name, got, p, want)
				}
			}
		}
	}
}
