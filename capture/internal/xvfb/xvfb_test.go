package xvfb

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// pixel reads one pixel of d's root window through its own connection.
func pixel(t *testing.T, d *Display, x, y int) (r, g, b byte) {
	t.Helper()
	c, err := xgb.NewConnDisplay(d.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root
	img, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(root), int16(x), int16(y), 1, 1, 0xffffffff).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return img.Data[2], img.Data[1], img.Data[0]
}

func TestFillIsSeenByAnotherClient(t *testing.T) {
	d := Start(t, 320, 200)
	if w, h := d.Size(); w != 320 || h != 200 {
		t.Fatalf("size %dx%d, want 320x200", w, h)
	}
	if err := d.Fill(color.RGBA{R: 255, A: 255}); err != nil {
		t.Fatal(err)
	}
	if err := d.FillRect(160, 0, 160, 200, color.RGBA{B: 255, A: 255}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		x, y    int
		r, g, b byte
	}{
		{"left is red", 10, 10, 255, 0, 0},
		{"right is blue", 300, 190, 0, 0, 255},
	}
	for _, tc := range cases {
		r, g, b := pixel(t, d, tc.x, tc.y)
		if r != tc.r || g != tc.g || b != tc.b {
			t.Errorf("%s: got %d,%d,%d want %d,%d,%d", tc.name, r, g, b, tc.r, tc.g, tc.b)
		}
	}
}

func TestCloseIdempotentAndPaintAfterClose(t *testing.T) {
	d := Start(t, 64, 64)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.Fill(color.Black); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fill after Close: %v, want ErrClosed", err)
	}
	if _, err := xgb.NewConnDisplay(d.Name()); err == nil {
		t.Fatal("server still accepts connections after Close")
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no screen", Config{}},
		{"zero size", Config{Width: 0, Height: 10}},
		{"huge", Config{Width: 100000, Height: 10}},
		{"monitor outside", Config{Width: 100, Height: 100, Monitors: []image.Rectangle{image.Rect(50, 0, 150, 100)}}},
	}
	for _, tc := range cases {
		if d, err := Launch(context.Background(), tc.cfg); err == nil {
			d.Close()
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestBadRect(t *testing.T) {
	d := Start(t, 64, 64)
	if err := d.FillRect(0, 0, 0, 5, color.White); err == nil {
		t.Fatal("empty rectangle: no error")
	}
}
