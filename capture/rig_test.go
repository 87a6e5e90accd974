package capture_test

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/synth"
)

// memSink keeps what a recording writes; it fails with failErr once
// limit bytes are written (limit 0: never).
type memSink struct {
	mu      sync.Mutex
	packets []capture.Packet
	marks   []capture.Mark
	bytes   int64
	limit   int64
	failErr error
}

func (s *memSink) WritePacket(p capture.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && s.bytes+int64(len(p.Data)) > s.limit {
		return s.failErr
	}
	p.Data = append([]byte(nil), p.Data...)
	s.packets = append(s.packets, p)
	s.bytes += int64(len(p.Data))
	return nil
}

func (s *memSink) WriteMark(m capture.Mark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit > 0 && s.bytes >= s.limit {
		return s.failErr
	}
	s.marks = append(s.marks, m)
	return nil
}

func (s *memSink) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

func (s *memSink) track(tr capture.Track) []capture.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []capture.Packet
	for _, p := range s.packets {
		if p.Track == tr {
			out = append(out, p)
		}
	}
	return out
}

func (s *memSink) markList() []capture.Mark {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]capture.Mark(nil), s.marks...)
}

// pixelEncoder "encodes" a frame as the Y, U, V of its centre pixel.
type pixelEncoder struct{ closed bool }

func (e *pixelEncoder) Encode(f *capture.Frame, pts time.Duration, key bool) ([]capture.Packet, error) {
	if e.closed {
		return nil, capture.ErrClosed
	}
	cx, cy := f.Width/2, f.Height/2
	ci := (cy/2)*((f.Width+1)/2) + cx/2
	return []capture.Packet{{PTS: pts, Key: key, Data: []byte{f.Y[cy*f.Width+cx], f.U[ci], f.V[ci]}}}, nil
}

func (e *pixelEncoder) Close() error { e.closed = true; return nil }

// pcmEncoder "encodes" 20 ms at 48 kHz as the raw samples.
type pcmEncoder struct{}

func (pcmEncoder) FrameSamples() int { return 960 }
func (pcmEncoder) Encode(pcm []int16, pts time.Duration) (capture.Packet, error) {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return capture.Packet{PTS: pts, Data: b}, nil
}
func (pcmEncoder) Close() error { return nil }

func pcm(p capture.Packet) []int16 {
	s := make([]int16, len(p.Data)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(p.Data[2*i:]))
	}
	return s
}

func peak(s []int16) int {
	m := 0
	for _, v := range s {
		m = max(m, int(v), -int(v))
	}
	return m
}

// rig is a recording on a manual clock with synthetic sources.
type rig struct {
	t      *testing.T
	clock  *capture.ManualClock
	screen *synth.Screen
	mic    *synth.Mic
	sink   *memSink
	rec    *capture.Recording
	ticks  chan time.Duration
	iv     time.Duration
}

type rigOptions struct {
	cfg    capture.Config
	screen *synth.ScreenOptions // nil: no screen
	mic    *synth.MicOptions    // nil: no mic
	sink   *memSink
	// micDev replaces the synthetic mic (it gets the rig's clock first).
	micDev func(*capture.ManualClock) capture.Mic
	// aenc replaces the PCM audio encoder.
	aenc capture.AudioEncoder
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	g := &rig{t: t, clock: capture.NewManualClock(), sink: o.sink, ticks: make(chan time.Duration, 10000)}
	if g.sink == nil {
		g.sink = &memSink{}
	}
	cfg := o.cfg
	cfg.Clock = g.clock
	cfg.OnFrame = func(pts time.Duration) { g.ticks <- pts }
	fps := cfg.FPS
	if fps == 0 {
		fps = 5
	}
	g.iv = time.Second / time.Duration(fps)
	var src capture.Sources
	var enc capture.Encoders
	if o.screen != nil {
		g.screen = synth.NewScreen(*o.screen)
		src.Screen, enc.Video = g.screen, &pixelEncoder{}
	}
	switch {
	case o.micDev != nil:
		src.Mic, enc.Audio = o.micDev(g.clock), pcmEncoder{}
	case o.mic != nil:
		mo := *o.mic
		mo.Pace = g.clock
		g.mic = synth.NewMic(mo)
		src.Mic, enc.Audio = g.mic, pcmEncoder{}
	}
	if o.aenc != nil && enc.Audio != nil {
		enc.Audio = o.aenc
	}
	rec, err := capture.Start(t.Context(), cfg, src, enc, g.sink)
	if err != nil {
		t.Fatal(err)
	}
	g.rec = rec
	g.waitTick(0)
	t.Cleanup(func() { _ = rec.Stop() })
	return g
}

// waitTick waits until the recorder has handled the video tick at pts.
func (g *rig) waitTick(pts time.Duration) {
	g.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-g.ticks:
			if got == pts {
				return
			}
			if got > pts {
				g.t.Fatalf("tick %v handled, waiting for %v", got, pts)
			}
		case <-g.rec.Done():
			return
		case <-timeout:
			g.t.Fatalf("tick %v never handled (clock at %v)", pts, g.clock.Now())
		}
	}
}

// advanceTo moves the clock in 20 ms steps to `to`, waiting at each video
// tick until the recorder has handled it.
func (g *rig) advanceTo(to time.Duration) {
	g.t.Helper()
	for g.clock.Now() < to {
		g.clock.Advance(20 * time.Millisecond)
		if now := g.clock.Now(); now%g.iv == 0 {
			g.waitTick(now)
		}
	}
}

func (g *rig) stop() {
	g.t.Helper()
	if err := g.rec.Stop(); err != nil {
		g.t.Fatalf("Stop: %v", err)
	}
}

func markKinds(ms []capture.Mark) []capture.MarkKind {
	var out []capture.MarkKind
	for _, m := range ms {
		out = append(out, m.Kind)
	}
	return out
}

var errFull = errors.New("disk full: recording stopped, 1 s kept")
