// Package devices holds the control.Devices adapters cmd chooses from:
// the real screen and microphone (X11, PortAudio) and synthetic ones, both
// encoded with libvpx (VP8) and libopus.
package devices

import (
	"fmt"
	"log"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/pa"
	"github.com/agentdesk/agentdesk/capture/synth"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// Real is the agent's screen (an X display) and microphone (PortAudio).
type Real struct {
	Display string      // X display ("" means $DISPLAY)
	Input   string      // input device name or part of one ("" means the default)
	Log     *log.Logger // nil: the standard logger
	// Monitors are the monitors to record (as x11.Displays numbers them),
	// side by side; none: the whole screen, every monitor.
	Monitors []int
	// OpusComplexity is the voice encoder's effort, 1..10 (0: the
	// measured default, opus.DefaultComplexity).
	OpusComplexity int
}

// Synthetic is a moving colour-bar screen and a 440 Hz tone: for machines
// without devices, and tests.
type Synthetic struct {
	Width, Height int // 0: 640 x 360
}

var (
	_ control.Devices = Real{}
	_ control.Devices = Synthetic{}
	_ control.Devices = NoScreen{}
)

// NoScreen is Devices whose screen is refused for Reason (e.g. a Wayland
// session): the voice is recorded, each chat says why the screen is not.
type NoScreen struct {
	control.Devices
	Reason error
}

// Screen refuses with the reason.
func (n NoScreen) Screen(int) (capture.Screen, error) { return nil, n.Reason }

// Screen opens the X display.
func (r Real) Screen(fps int) (capture.Screen, error) {
	lg := r.Log
	if lg == nil {
		lg = log.Default()
	}
	return x11.Open(r.Display, x11.Options{FPS: fps, Log: lg, Monitors: r.Monitors})
}

// Mic opens the PortAudio input; it paces itself.
func (r Real) Mic(capture.Clock) (capture.Mic, error) {
	m, err := pa.Open(pa.Options{Device: r.Input})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// VideoEncoder is libvpx VP8.
func (Real) VideoEncoder(w, h, fps int) (capture.VideoEncoder, string, error) { return vp8(w, h, fps) }

// AudioEncoder is libopus.
func (r Real) AudioEncoder(rate int) (capture.AudioEncoder, string, int, error) {
	return opusEnc(rate, r.OpusComplexity)
}

// Screen is a synthetic screen.
func (s Synthetic) Screen(int) (capture.Screen, error) {
	w, h := s.Width, s.Height
	if w <= 0 || h <= 0 {
		w, h = 640, 360
	}
	return synth.NewScreen(synth.ScreenOptions{Width: w, Height: h}), nil
}

// Mic is a 440 Hz tone paced by clock.
func (Synthetic) Mic(clock capture.Clock) (capture.Mic, error) {
	return synth.NewMic(synth.MicOptions{Freq: 440, Pace: clock}), nil
}

// VideoEncoder is libvpx VP8.
func (Synthetic) VideoEncoder(w, h, fps int) (capture.VideoEncoder, string, error) {
	return vp8(w, h, fps)
}

// AudioEncoder is libopus.
func (Synthetic) AudioEncoder(rate int) (capture.AudioEncoder, string, int, error) {
	return opusEnc(rate, 0)
}

func vp8(w, h, fps int) (capture.VideoEncoder, string, error) {
	e, err := vpx.NewEncoder(vpx.Options{Width: w, Height: h, FPS: fps})
	if err != nil {
		return nil, "", err
	}
	return e, "V_VP8", nil
}

func opusEnc(rate, complexity int) (capture.AudioEncoder, string, int, error) {
	if rate != opus.SampleRate {
		return nil, "", 0, fmt.Errorf("opus: the microphone gives %d Hz, the encoder takes %d", rate, opus.SampleRate)
	}
	e, err := opus.NewEncoder(opus.Options{Complexity: complexity})
	if err != nil {
		return nil, "", 0, err
	}
	return e, "A_OPUS", e.Lookahead(), nil
}

// Probe opens the real screen and microphone once and closes them: nil
// when both work (for --capture auto), else what failed in words.
func Probe(r Real) error {
	s, err := r.Screen(1)
	if err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	s.Close()
	m, err := r.Mic(nil)
	if err != nil {
		return fmt.Errorf("microphone: %w", err)
	}
	return m.Close()
}
