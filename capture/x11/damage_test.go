package x11

import (
	"bytes"
	"image"
	"image/color"
	"log"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
)

// Issue 17: with X Damage only what was drawn on is read, and the frames
// are the very ones the polling path makes, byte for byte, over random
// paints (the cursor drawn in by both).
func TestDamageFramesAreThePollingOnes(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	paint(t, d, red)
	for _, o := range []Options{{Scale: 1}, {Scale: 2}, {NoShm: true}} {
		scale := max(o.Scale, 1)
		dmg := open(t, d, o)
		o.NoDamage = true
		poll := open(t, d, o)
		if dmg.Path() != PathDamage || poll.Path() != PathPolling {
			t.Fatalf("paths %q and %q, want damage and polling", dmg.Path(), poll.Path())
		}
		fd, fp := capture.NewFrame(dmg.Size()), capture.NewFrame(poll.Size())
		r := rand.New(rand.NewPCG(17, uint64(scale)))
		for i := range 40 {
			for range r.IntN(3) {
				c := color.RGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255}
				paint(t, d, c, r.IntN(320), r.IntN(240), 1+r.IntN(100), 1+r.IntN(60))
			}
			if r.IntN(5) == 0 {
				if err := d.WarpPointer(r.IntN(320), r.IntN(240)); err != nil {
					t.Fatal(err)
				}
			}
			cd, err := dmg.Grab(fd)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := poll.Grab(fp)
			if err != nil {
				t.Fatal(err)
			}
			if cd != cp {
				t.Errorf("1/%d step %d: damage says changed=%v, polling %v", scale, i, cd, cp)
			}
			samePlanes(t, "damage beside polling", fd, fp)
		}
	}
}

func TestDamageReadsNothingOnAStillScreen(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	paint(t, d, red)
	s := open(t, d, Options{})
	f, _ := grab(t, s)
	reads := s.reads
	for range 3 {
		if changed, err := s.Grab(f); err != nil || changed {
			t.Fatalf("still screen: changed=%v err=%v", changed, err)
		}
	}
	if s.reads != reads {
		t.Errorf("a still screen was read %d times in 3 grabs, want 0", s.reads-reads)
	}
	// One small paint: one band read (or two where it straddles).
	paint(t, d, blue, 100, 100, 10, 10)
	if changed, err := s.Grab(f); err != nil || !changed {
		t.Fatalf("after a paint: changed=%v err=%v", changed, err)
	}
	if n := s.reads - reads; n != 1 {
		t.Errorf("a 10x10 paint took %d reads, want 1", n)
	}
	if got := at(f, 105, 105); !near(got, blue) {
		t.Errorf("painted spot %v, want blue", got)
	}
	if got := at(f, 50, 50); !near(got, red) {
		t.Errorf("untouched spot %v, want red", got)
	}
}

func TestPollingWhenTheServerHasNoDamage(t *testing.T) {
	d := xvfb.StartConfig(t, xvfb.Config{Width: 160, Height: 120, Args: []string{"-extension", "DAMAGE"}})
	paint(t, d, green)
	var logged strings.Builder
	s := open(t, d, Options{Log: log.New(&logged, "", 0)})
	if s.Path() != PathPolling {
		t.Fatalf("path %q without DAMAGE, want polling", s.Path())
	}
	if !strings.Contains(logged.String(), "polling") {
		t.Errorf("the fallback is not logged: %q", logged.String())
	}
	f, _ := grab(t, s)
	paint(t, d, blue, 0, 0, 40, 40)
	if changed, err := s.Grab(f); err != nil || !changed {
		t.Fatalf("polling: changed=%v err=%v", changed, err)
	}
	if got := at(f, 20, 20); !near(got, blue) {
		t.Errorf("polling: %v, want blue", got)
	}
}

// The cursor is drawn where the pointer is, as x11grab draws it, and
// the place it left shows the screen again.
func TestCursorDrawnWhereThePointerIs(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	paint(t, d, white)
	with := open(t, d, Options{})
	without := open(t, d, Options{NoCursor: true})
	if !with.Cursor() || without.Cursor() {
		t.Fatalf("cursor drawn: %v and %v, want true and false", with.Cursor(), without.Cursor())
	}
	fw, fo := capture.NewFrame(with.Size()), capture.NewFrame(without.Size())
	for i, p := range []image.Point{{100, 80}, {220, 160}, {100, 80}} {
		if err := d.WarpPointer(p.X, p.Y); err != nil {
			t.Fatal(err)
		}
		changed, err := with.Grab(fw)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !changed {
			t.Errorf("step %d: the pointer moved, changed=false", i)
		}
		if _, err := without.Grab(fo); err != nil {
			t.Fatal(err)
		}
		box := diffBox(fw, fo)
		if box.Empty() {
			t.Fatalf("step %d: no cursor in the frame", i)
		}
		if !p.In(box.Inset(-2)) || box.Dx() > 64 || box.Dy() > 64 {
			t.Errorf("step %d: the cursor is drawn over %v, the pointer is at %v", i, box, p)
		}
	}
}

// diffBox is the bounding box of the luma samples where a and b differ.
func diffBox(a, b *capture.Frame) image.Rectangle {
	var box image.Rectangle
	for y := 0; y < a.Height; y++ {
		ra, rb := a.Y[y*a.Width:(y+1)*a.Width], b.Y[y*a.Width:(y+1)*a.Width]
		if bytes.Equal(ra, rb) {
			continue
		}
		for x := range ra {
			if ra[x] != rb[x] {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func TestBlendCursorClipsAndBlends(t *testing.T) {
	// A 2x2 picture: opaque red, transparent, half-white (premultiplied),
	// opaque blue, drawn at (-1, 3) over a 4x4 grey area at (0, 2): only
	// its right column lands, on area row 1.
	img := []byte{0, 0, 255, 255, 9, 9, 9, 0, 128, 128, 128, 128, 255, 0, 0, 255}
	px := bytes.Repeat([]byte{100, 100, 100, 0}, 16)
	blendCursor(px, 16, 0, 2, 4, 4, img, -1, 3, 2, 2)
	want := bytes.Repeat([]byte{100, 100, 100, 0}, 16)
	copy(want[(2*4+0)*4:], []byte{255, 0, 0, 0}) // row 2 col 0: blue, opaque
	for i := range 4 * 4 {
		got, w := px[i*4:i*4+3], want[i*4:i*4+3]
		if !bytes.Equal(got, w) {
			t.Errorf("pixel %d: %v, want %v", i, got, w)
		}
	}
	// Half-white over grey 100: 128 + 100*127/255 = 178.
	px = bytes.Repeat([]byte{100, 100, 100, 0}, 4)
	blendCursor(px, 8, 0, 0, 2, 2, img, 0, -1, 2, 2)
	if px[0] != 178 || px[4] != 255 {
		t.Errorf("blend: %v, want 178 then 255 (blue)", px[:8])
	}
}
