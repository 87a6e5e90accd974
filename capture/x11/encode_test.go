package x11

import (
	"image/color"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/capture/vpx"
)

// TestScreenThroughVP8 grabs a real screen, encodes it, decodes it and
// finds the colours where they were painted; unchanged grabs are not
// encoded and the decoder still shows the right picture after the gap.
func TestScreenThroughVP8(t *testing.T) {
	d := xvfb.Start(t, 320, 240)
	s := open(t, d, Options{})
	w, h := s.Size()
	enc, err := vpx.NewEncoder(vpx.Options{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder(vpx.VP8)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	f := capture.NewFrame(w, h)
	steps := []struct {
		name    string
		paint   func()
		changed bool
		probe   [2]int
		want    color.RGBA
	}{
		{"red screen", func() { paint(t, d, red) }, true, [2]int{100, 100}, red},
		{"unchanged", nil, false, [2]int{100, 100}, red},
		{"blue half", func() { paint(t, d, blue, 160, 0, 160, 240) }, true, [2]int{250, 100}, blue},
		{"unchanged again", nil, false, [2]int{250, 100}, blue},
		{"green square", func() { paint(t, d, green, 16, 16, 32, 32) }, true, [2]int{32, 32}, green},
	}
	var last *capture.Frame
	encoded := 0
	for i, st := range steps {
		if st.paint != nil {
			st.paint()
		}
		changed, err := s.Grab(f)
		if err != nil {
			t.Fatal(err)
		}
		if changed != st.changed {
			t.Errorf("%s: changed=%v, want %v", st.name, changed, st.changed)
		}
		if changed { // the recorder skips unchanged frames
			pkts, err := enc.Encode(f, time.Duration(i)*200*time.Millisecond, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts {
				if last, err = dec.Decode(p.Data); err != nil {
					t.Fatal(err)
				}
				encoded++
			}
		}
		if got := at(last, st.probe[0], st.probe[1]); !near(got, st.want) {
			t.Errorf("%s: decoded %v at %v, want %v", st.name, got, st.probe, st.want)
		}
	}
	if encoded != 3 {
		t.Errorf("%d frames encoded, want 3 (the changed ones)", encoded)
	}
}
