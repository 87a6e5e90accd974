package pulse

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/tone"
)

// record captures n samples of source through parec (a client of its own,
// like the capture agent would be).
func record(t *testing.T, s *Server, source string, n int) []int16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "parec", "--device="+source, "--format=s16le", "--rate=48000", "--channels=1", "--raw", "--latency-msec=20")
	cmd.Env = append(os.Environ(), s.Env()...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("parec: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 2*n)
	if _, err := io.ReadFull(out, buf); err != nil {
		t.Fatalf("parec read: %v (%s)", err, stderr.String())
	}
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
	}
	return pcm
}

func TestStartSineIsDefault(t *testing.T) {
	s := Start(t)
	if got := os.Getenv("PULSE_SERVER"); got != s.Address() || !strings.HasPrefix(got, "unix:") {
		t.Fatalf("PULSE_SERVER = %q, want %q", got, s.Address())
	}
	info, err := s.Pactl(context.Background(), "info")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "Default Source: "+SineSource) {
		t.Errorf("default source is not %s:\n%s", SineSource, info)
	}
	pcm := record(t, s, SineSource, 48000)
	f, p := tone.Peak(pcm, 48000, 20, 20000)
	if math.Abs(f-440) > 2 {
		t.Errorf("sine source peak at %.1f Hz, want 440", f)
	}
	if r := p / tone.Total(pcm); r < 0.9 {
		t.Errorf("440 Hz is %.2f of the signal, want > 0.9", r)
	}
}

func TestCloseKillsDaemon(t *testing.T) {
	s, err := Launch(context.Background(), Config{SineHz: 1000})
	if err != nil {
		if os.Getenv("CI") == "" && errors.Is(err, ErrNoPulse) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case <-s.done:
	default:
		t.Error("daemon still running after Close")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir %s left behind: %v", dir, err)
	}
	if _, err := s.PipeSource(context.Background()); err != ErrClosed {
		t.Errorf("PipeSource after Close = %v, want ErrClosed", err)
	}
}

func TestLaunchBadConfig(t *testing.T) {
	for _, c := range []Config{{SineHz: -1}, {SineHz: 30000}, {Dir: "/tmp/" + strings.Repeat("x", 120)}} {
		if _, err := Launch(context.Background(), c); err == nil {
			t.Errorf("Launch(%+v) = nil error", c)
		}
	}
}

func TestPipeSourceBursts(t *testing.T) {
	s := Start(t)
	p, err := s.PipeSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s.Pactl(context.Background(), "info")
	if !strings.Contains(info, "Default Source: "+PipeSourceName) {
		t.Fatalf("pipe source is not the default:\n%s", info)
	}
	// Queue: 300 ms silence, a 1 kHz burst of 100 ms, 400 ms silence, another.
	if _, err := p.Play(make([]int16, 48000*3/10)); err != nil {
		t.Fatal(err)
	}
	t1, err := p.Burst(1000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(make([]byte, 2*48000*4/10)); err != nil {
		t.Fatal(err)
	}
	t2, err := p.Burst(1000, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// 500 ms apart, or a little more when this test was too slow to queue
	// the gap before the pipe ran dry and filled it with silence (a busy
	// machine): the onsets below are checked against t1 and t2 as queued.
	if d := t2.Sub(t1); d < 499*time.Millisecond || d > 560*time.Millisecond {
		t.Errorf("bursts queued %v apart, want 500ms", d)
	}
	pcm := record(t, s, PipeSourceName, 48000*2)
	on := tone.Onsets(pcm, 48000, 1000, 0.1)
	if len(on) != 2 {
		t.Fatalf("onsets %v, want 2", on)
	}
	// The pipe's own timeline keeps the bursts' spacing to the sample.
	if d := on[1] - on[0]; d < 498*time.Millisecond || d > 502*time.Millisecond {
		t.Errorf("bursts recorded %v apart, want 500ms", d)
	}
	if _, err := p.Write([]byte{1}); err == nil {
		t.Error("odd byte count accepted")
	}
	if _, err := p.Burst(0, time.Second); err == nil {
		t.Error("0 Hz burst accepted")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Burst(1000, time.Millisecond); err != ErrClosed {
		t.Errorf("Burst after Close = %v, want ErrClosed", err)
	}
}

// With nobody recording the daemon does not read the FIFO; the feeder must
// not pile up stale audio for the next recorder (it would arrive first, as
// a backlog, and shift every burst after it).
func TestPipeSourceIdleNoBacklog(t *testing.T) {
	s := Start(t)
	p, err := s.PipeSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // idle: the condition under test, not a clock
	if w := p.Written(); w > 48000/10 {
		t.Errorf("%d samples written with nobody reading, want at most the 30 ms lead", w)
	}
	if n := p.fifoSamples(); n > int64(48000*pipeLead/time.Second)+1 {
		t.Errorf("%d samples wait in the FIFO, want at most the lead", n)
	}
	// A burst queued now is the first thing a new recorder hears, after at
	// most the lead of silence.
	if _, err := p.Burst(1000, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	pcm := record(t, s, PipeSourceName, 48000/2)
	on := tone.Onsets(pcm, 48000, 1000, 0.1)
	if len(on) != 1 || on[0] > 100*time.Millisecond {
		t.Errorf("onsets %v, want one within the first 100 ms", on)
	}
}

// Without the binaries Launch says what to install (and Start fails the
// test under CI instead of skipping).
func TestLaunchWithoutPulseaudio(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Launch(context.Background(), Config{})
	if !errors.Is(err, ErrNoPulse) || !strings.Contains(err.Error(), "apt-get install pulseaudio") {
		t.Errorf("Launch without pulseaudio: %v, want ErrNoPulse naming the package", err)
	}
}
