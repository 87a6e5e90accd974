package synth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/synth"
	"github.com/agentdesk/agentdesk/capture/tone"
)

func at(f *capture.Frame, x, y int) [3]byte {
	ci := (y/2)*((f.Width+1)/2) + x/2
	return [3]byte{f.Y[y*f.Width+x], f.U[ci], f.V[ci]}
}

func yuv(r, g, b uint8) [3]byte { y, u, v := capture.YUV(r, g, b); return [3]byte{y, u, v} }

func TestScreenBarsFlipAndChange(t *testing.T) {
	s := synth.NewScreen(synth.ScreenOptions{Width: 320, Height: 240})
	f := capture.NewFrame(s.Size())
	changed, err := s.Grab(f)
	if err != nil || !changed {
		t.Fatalf("first grab: %v %v", changed, err)
	}
	for i := range 8 {
		r, g, b := synth.Bar(i)
		if got := at(f, i*40+20, 40); got != yuv(r, g, b) {
			t.Errorf("bar %d: %v, want %v", i, got, yuv(r, g, b))
		}
	}
	before := string(f.Y)
	if changed, _ := s.Grab(f); !changed || string(f.Y) == before {
		t.Fatal("moving screen: second grab unchanged")
	}
	s.Flip()
	if !s.Flipped() {
		t.Fatal("not flipped")
	}
	s.Grab(f)
	c := synth.FlipColour()
	if got := at(f, 160, 120); got != yuv(c[0], c[1], c[2]) {
		t.Fatalf("flipped centre %v", got)
	}
	if allocs := testing.AllocsPerRun(50, func() { s.Grab(f) }); allocs != 0 {
		t.Fatalf("Grab allocates %.0f times", allocs)
	}
	s.Close()
	s.Close()
	if _, err := s.Grab(f); !errors.Is(err, capture.ErrClosed) {
		t.Fatalf("grab after close: %v", err)
	}
}

func TestStaticScreenChangesOnlyOnFlip(t *testing.T) {
	s := synth.NewScreen(synth.ScreenOptions{Width: 64, Height: 48, Static: true})
	f := capture.NewFrame(s.Size())
	want := []bool{true, false, false}
	for i, w := range want {
		if got, _ := s.Grab(f); got != w {
			t.Fatalf("grab %d changed=%v", i, got)
		}
	}
	s.Flip()
	if got, _ := s.Grab(f); !got {
		t.Fatal("flip not reported as a change")
	}
	if got, _ := s.Grab(f); got {
		t.Fatal("change after flip reported twice")
	}
}

func TestMicToneAndBursts(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    synth.MicOptions
		want float64 // Hz, 0: silence
	}{
		{"440", synth.MicOptions{Freq: 440}, 440},
		{"1k", synth.MicOptions{Freq: 1000}, 1000},
		{"silence", synth.MicOptions{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := synth.NewMic(tc.o)
			p := make([]int16, 48000)
			if err := m.Read(p); err != nil {
				t.Fatal(err)
			}
			f, power := tone.Peak(p, 48000, 50, 5000)
			if tc.want == 0 {
				if tone.Total(p) != 0 {
					t.Fatal("silence is not silent")
				}
				return
			}
			if f < tc.want-5 || f > tc.want+5 || power == 0 {
				t.Fatalf("peak %.1f Hz, want %v", f, tc.want)
			}
		})
	}
	m := synth.NewMic(synth.MicOptions{Freq: 1000, Bursts: []synth.Span{{From: 500 * time.Millisecond, To: 600 * time.Millisecond}}})
	p := make([]int16, 48000)
	m.Read(p)
	on := tone.Onsets(p, 48000, 1000, 0.1)
	if len(on) != 1 || on[0] < 490*time.Millisecond || on[0] > 510*time.Millisecond {
		t.Fatalf("burst onsets %v, want one at 500 ms", on)
	}
}

func TestMicPacedByClock(t *testing.T) {
	c := capture.NewManualClock()
	m := synth.NewMic(synth.MicOptions{Freq: 440, Pace: c})
	got := make(chan error, 1)
	go func() { got <- m.Read(make([]int16, 960)) }()
	select {
	case err := <-got:
		t.Fatalf("read returned before the clock reached 20 ms: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(20 * time.Millisecond)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	go func() { got <- m.Read(make([]int16, 960)) }()
	m.Close()
	if err := <-got; !errors.Is(err, capture.ErrClosed) {
		t.Fatalf("blocked read after Close: %v", err)
	}
}
