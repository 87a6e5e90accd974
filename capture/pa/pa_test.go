package pa

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/tone"
)

func open(t *testing.T, opts Options) *Mic {
	t.Helper()
	m, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%+v): %v", opts, err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// readTone reads one second from m and checks PulseAudio's 440 Hz sine is
// what it holds. Samples are counted, never timed: the first second or
// two arrive in a burst.
func readTone(t *testing.T, m *Mic) {
	t.Helper()
	if m.SampleRate() != 48000 {
		t.Fatalf("SampleRate = %d, want 48000", m.SampleRate())
	}
	pcm := make([]int16, 48000)
	if err := m.Read(pcm[:1234]); err != nil { // an odd size: blocks are split
		t.Fatal(err)
	}
	if err := m.Read(pcm); err != nil {
		t.Fatal(err)
	}
	f, p := tone.Peak(pcm, 48000, 20, 20000)
	if math.Abs(f-440) > 5 {
		t.Errorf("peak at %.1f Hz, want 440 ± 5", f)
	}
	if r := p / tone.Total(pcm); r < 0.9 {
		t.Errorf("440 Hz is %.3f of the signal's power, want > 0.9", r)
	}
	for _, other := range []float64{100, 1000, 3000} {
		if q := tone.Power(pcm, 48000, other); q*1000 > p {
			t.Errorf("power at %v Hz is %.2g, 440 Hz only %.2g: want 30 dB above", other, q, p)
		}
	}
}

func TestDefaultMicHearsSine(t *testing.T) {
	pulse.Start(t)
	m := open(t, Options{})
	readTone(t, m)
	if m.Dropped() != 0 {
		t.Errorf("%d blocks dropped while reading as fast as possible", m.Dropped())
	}
}

func TestMicByName(t *testing.T) {
	pulse.Start(t)
	for _, name := range []string{"pulse", "PULS"} {
		t.Run(name, func(t *testing.T) {
			m := open(t, Options{Device: name, SampleRate: 48000, Channels: 1})
			if m.Device() != "pulse" {
				t.Errorf("opened %q, want pulse", m.Device())
			}
			readTone(t, m)
		})
	}
}

func TestStereoMixedDown(t *testing.T) {
	pulse.Start(t)
	readTone(t, open(t, Options{Device: "pulse", Channels: 2}))
}

func TestDevicesListsPulse(t *testing.T) {
	pulse.Start(t)
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	var pulseDev, def bool
	for _, d := range devs {
		if d.MaxInputChannels <= 0 || d.DefaultSampleRate <= 0 || d.HostAPI == "" {
			t.Errorf("device %+v: want input channels, a sample rate and a host API", d)
		}
		pulseDev = pulseDev || strings.Contains(d.Name, "pulse")
		def = def || d.Default
	}
	if !pulseDev || !def {
		t.Errorf("devices %+v: want a pulse device and a default one", devs)
	}
}

func TestOpenErrors(t *testing.T) {
	pulse.Start(t)
	tests := []struct {
		name string
		opts Options
		want error  // nil: any error
		says string // in the message
	}{
		{"unknown device name", Options{Device: "no-such-microphone"}, ErrDeviceNotFound, `"no-such-microphone" (inputs: "pulse"`},
		{"three channels", Options{Channels: 3}, nil, "3 channels"},
		{"odd sample rate", Options{SampleRate: 44101}, nil, "44101"},
		{"negative rate", Options{SampleRate: -1}, nil, "-1"},
		{"negative stall", Options{Stall: -time.Second}, nil, "stall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(tt.opts)
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestCloseEndsBlockedRead(t *testing.T) {
	pulse.Start(t)
	m := open(t, Options{})
	res := make(chan error, 1)
	go func() {
		// A minute: more than any start-up burst, so this Read blocks
		// until Close.
		res <- m.Read(make([]int16, 60*48000))
	}()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, capture.ErrClosed) {
		t.Errorf("blocked Read returned %v, want capture.ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := m.Read(make([]int16, 10)); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Read after Close: %v, want capture.ErrClosed", err)
	}
	// The device was released: it opens again.
	readTone(t, open(t, Options{}))
}

// The sound server going away mid-capture is an error from Read, not a
// hang and not a clean end.
func TestServerGoneIsAnError(t *testing.T) {
	s := pulse.Start(t)
	m := open(t, Options{Stall: 3 * time.Second})
	buf := make([]int16, 960)
	if err := m.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 50*10 && err == nil; i++ { // what was buffered, at most 10 s
		err = m.Read(buf)
	}
	if err == nil || errors.Is(err, capture.ErrClosed) {
		t.Fatalf("Read after the server died: %v, want a device error", err)
	}
	if !strings.Contains(err.Error(), `"default"`) {
		t.Errorf("error %q does not name the device", err)
	}
}

// With no sound server the error says what to do. (ALSA and PortAudio
// keep their device lists per process, so depending on what ran before the
// failure comes from the device list or from opening the device: both say
// the same.)
func TestNoServerSaysSo(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+t.TempDir()+"/none")
	_, err := Open(Options{})
	if !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Open with no PulseAudio: %v, want ErrNoDevice", err)
	}
	if !strings.Contains(err.Error(), "is PulseAudio running? set PULSE_SERVER") {
		t.Errorf("error %q does not tell what to do", err)
	}
}
