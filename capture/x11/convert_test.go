package x11

import (
	"encoding/binary"
	"fmt"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
)

// bgra makes a w x h BGRX picture from a colour function.
func bgra(w, h int, c func(x, y int) color.RGBA) []byte {
	b := make([]byte, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := c(x, y)
			i := (y*w + x) * 4
			b[i], b[i+1], b[i+2] = p.B, p.G, p.R
		}
	}
	return b
}

func TestConvertKnownValues(t *testing.T) {
	// BT.601 limited range reference values (exact maths, rounded); the
	// 8-bit fixed point may be one off.
	cases := []struct {
		name    string
		c       color.RGBA
		y, u, v byte
	}{
		{"black", color.RGBA{0, 0, 0, 255}, 16, 128, 128},
		{"white", color.RGBA{255, 255, 255, 255}, 235, 128, 128},
		{"red", color.RGBA{255, 0, 0, 255}, 82, 90, 240},
		{"green", color.RGBA{0, 255, 0, 255}, 145, 54, 34},
		{"blue", color.RGBA{0, 0, 255, 255}, 41, 240, 110},
	}
	for _, tc := range cases {
		for _, scale := range []int{1, 2, 3} {
			f := capture.NewFrame(4, 2)
			src := bgra(4*scale, 2*scale, func(int, int) color.RGBA { return tc.c })
			ConvertBGRA(f, src, 4*scale*4, scale)
			off1 := func(a, b byte) bool { return a-b > 1 && b-a > 1 }
			if off1(f.Y[5], tc.y) || off1(f.U[1], tc.u) || off1(f.V[1], tc.v) {
				t.Errorf("%s at 1/%d: YUV %d,%d,%d, want %d,%d,%d", tc.name, scale, f.Y[5], f.U[1], f.V[1], tc.y, tc.u, tc.v)
			}
			r, g, b := RGB(f.Y[5], f.U[1], f.V[1])
			if got := (color.RGBA{r, g, b, 255}); !near(got, tc.c) {
				t.Errorf("%s at 1/%d: back to RGB %v", tc.name, scale, got)
			}
		}
	}
}

func TestConvertBoxAverages(t *testing.T) {
	// A 4x4 checkerboard of black and white at 1/2 is mid grey everywhere.
	src := bgra(4, 4, func(x, y int) color.RGBA {
		if (x+y)%2 == 0 {
			return color.RGBA{255, 255, 255, 255}
		}
		return color.RGBA{0, 0, 0, 255}
	})
	f := capture.NewFrame(2, 2)
	ConvertBGRA(f, src, 16, 2)
	for i, y := range f.Y {
		if y < 124 || y > 128 {
			t.Errorf("Y[%d] = %d, want mid grey (~126)", i, y)
		}
	}
}

func TestConvertAllocatesNothing(t *testing.T) {
	src := make([]byte, 640*360*4)
	for _, scale := range []int{1, 2} {
		f := capture.NewFrame(640/scale, 360/scale)
		if a := testing.AllocsPerRun(5, func() { ConvertBGRA(f, src, 640*4, scale) }); a != 0 {
			t.Errorf("scale %d: %.0f allocations", scale, a)
		}
	}
}

func TestDisplayAddr(t *testing.T) {
	cases := []struct {
		name, in, network, addr string
		screen                  int
		bad                     bool
	}{
		{"local", ":0", "unix", "/tmp/.X11-unix/X0", 0, false},
		{"local screen", ":12.1", "unix", "/tmp/.X11-unix/X12", 1, false},
		{"unix host", "unix:3", "unix", "/tmp/.X11-unix/X3", 0, false},
		{"tcp", "example.org:2", "tcp", "example.org:6002", 0, false},
		{"socket path", "/tmp/launch-x/org.xquartz:0", "unix", "/tmp/launch-x/org.xquartz:0", 0, false},
		{"no colon", "zero", "", "", 0, true},
		{"no number", ":", "", "", 0, true},
		{"bad screen", ":0.x", "", "", 0, true},
	}
	for _, tc := range cases {
		network, addr, _, _, screen, err := displayAddr(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil || network != tc.network || addr != tc.addr || screen != tc.screen {
			t.Errorf("%s: %s %s %d %v, want %s %s %d", tc.name, network, addr, screen, err, tc.network, tc.addr, tc.screen)
		}
	}
}

func TestReadAuthority(t *testing.T) {
	// An Xauthority file: a cookie for another display, then a local one
	// for display 7 of this host, then a wildcard.
	host, _ := os.Hostname()
	entry := func(family uint16, addr, disp, name string, data []byte) []byte {
		var b []byte
		b = binary.BigEndian.AppendUint16(b, family)
		for _, f := range [][]byte{[]byte(addr), []byte(disp), []byte(name), data} {
			b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
			b = append(b, f...)
		}
		return b
	}
	cookie7 := []byte("0123456789abcdef")
	wild := []byte("fedcba9876543210")
	var file []byte
	file = append(file, entry(256, host, "3", "MIT-MAGIC-COOKIE-1", []byte("3333333333333333"))...)
	file = append(file, entry(256, host, "7", "MIT-MAGIC-COOKIE-1", cookie7)...)
	file = append(file, entry(65535, "", "", "MIT-MAGIC-COOKIE-1", wild)...)
	path := filepath.Join(t.TempDir(), "Xauthority")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XAUTHORITY", path)
	cases := []struct {
		name, host, disp string
		want             []byte
	}{
		{"local display 7", "", "7", cookie7},
		{"localhost display 7", "localhost", "7", cookie7},
		{"no entry of its own: the wildcard", "", "9", wild},
	}
	for _, tc := range cases {
		name, data := readAuthority(tc.host, tc.disp)
		if name != "MIT-MAGIC-COOKIE-1" || string(data) != string(tc.want) {
			t.Errorf("%s: %q %q, want %q", tc.name, name, data, tc.want)
		}
	}
	t.Setenv("XAUTHORITY", filepath.Join(t.TempDir(), "missing"))
	if name, data := readAuthority("", "0"); name != "" || data != nil {
		t.Errorf("missing file: %q %q, want none", name, data)
	}
}

func TestConvertHalfMatchesTheBoxFilter(t *testing.T) {
	// The fast 1/2 path gives what the general box filter gives.
	src := bgra(64, 32, func(x, y int) color.RGBA {
		return color.RGBA{byte(x*37 + y*11), byte(x*5 + y*53), byte(x*x + y), 255}
	})
	fast, box := capture.NewFrame(32, 16), capture.NewFrame(32, 16)
	ConvertBGRA(fast, src, 64*4, 2)
	convertBox(box, src, 64*4, 2, 0, 16, 0, 32)
	for name, p := range map[string][2][]byte{"Y": {fast.Y, box.Y}, "U": {fast.U, box.U}, "V": {fast.V, box.V}} {
		for i := range p[0] {
			if p[0][i] != p[1][i] {
				t.Fatalf("%s[%d]: fast %d, box %d", name, i, p[0][i], p[1][i])
			}
		}
	}
}

func TestConvertFullMatchesTheBoxFilter(t *testing.T) {
	// The fast full-size path gives what the general box filter gives at
	// 1/1 (the formulas pixel by pixel), on random pixels and a span.
	r := rand.New(rand.NewPCG(5, 6))
	src := make([]byte, 96*34*4)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	for _, x := range [][2]int{{0, 96}, {16, 48}, {80, 96}} {
		fast, box := capture.NewFrame(96, 34), capture.NewFrame(96, 34)
		convert1(fast, src, 96*4, 0, 34, x[0], x[1])
		convertBox(box, src, 96*4, 1, 0, 34, x[0], x[1])
		samePlanes(t, fmt.Sprintf("columns %v", x), fast, box)
	}
	for _, c := range [][3]byte{{255, 255, 255}, {0, 0, 0}, {255, 0, 0}, {0, 255, 255}} {
		for i := 0; i < len(src); i += 4 {
			src[i], src[i+1], src[i+2] = c[0], c[1], c[2]
		}
		fast, box := capture.NewFrame(96, 34), capture.NewFrame(96, 34)
		convert1(fast, src, 96*4, 0, 34, 0, 96)
		convertBox(box, src, 96*4, 1, 0, 34, 0, 96)
		samePlanes(t, fmt.Sprintf("BGR %v", c), fast, box)
	}
}
