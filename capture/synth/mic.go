package synth

import (
	"math"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// Span is a stretch of media time.
type Span struct{ From, To time.Duration }

// MicOptions configure a synthetic Mic.
type MicOptions struct {
	Rate      int     // samples per second (0: 48000)
	Freq      float64 // tone frequency in Hz; 0 is silence
	Amplitude float64 // 0..1 of full scale (0: 0.5)
	// Bursts, when set, limit the tone to these stretches (by sample
	// time): silence elsewhere.
	Bursts []Span
	// Pace, when set, makes Read wait until the clock has reached the
	// time of the last sample asked for, like a real device. Nil: Read
	// returns at once (the caller paces).
	Pace capture.Clock
}

// Mic is a synthetic capture.Mic: a phase-continuous tone, by sample
// count, optionally paced by a clock.
type Mic struct {
	o      MicOptions
	mu     sync.Mutex
	n      int64 // samples produced
	closed chan struct{}
	once   sync.Once
}

// NewMic makes a synthetic microphone.
func NewMic(o MicOptions) *Mic {
	if o.Rate <= 0 {
		o.Rate = 48000
	}
	if o.Amplitude <= 0 || o.Amplitude > 1 {
		o.Amplitude = 0.5
	}
	return &Mic{o: o, closed: make(chan struct{})}
}

// SampleRate is the rate of the samples.
func (m *Mic) SampleRate() int { return m.o.Rate }

// Read fills p with the next samples.
func (m *Mic) Read(p []int16) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.closed:
		return capture.ErrClosed
	default:
	}
	if m.o.Pace != nil {
		end := time.Duration((m.n + int64(len(p))) * int64(time.Second) / int64(m.o.Rate))
		select {
		case <-m.o.Pace.After(end):
		case <-m.closed:
			return capture.ErrClosed
		}
	}
	rate := float64(m.o.Rate)
	amp := m.o.Amplitude * math.MaxInt16
	for i := range p {
		k := m.n + int64(i)
		if m.o.Freq == 0 || !m.inBurst(k) {
			p[i] = 0
			continue
		}
		p[i] = int16(amp * math.Sin(2*math.Pi*m.o.Freq*float64(k)/rate))
	}
	m.n += int64(len(p))
	return nil
}

func (m *Mic) inBurst(k int64) bool {
	if len(m.o.Bursts) == 0 {
		return true
	}
	t := time.Duration(k * int64(time.Second) / int64(m.o.Rate))
	for _, b := range m.o.Bursts {
		if t >= b.From && t < b.To {
			return true
		}
	}
	return false
}

// Close ends the mic; a blocked Read returns capture.ErrClosed. It is
// idempotent.
func (m *Mic) Close() error {
	m.once.Do(func() { close(m.closed) })
	return nil
}

var _ capture.Mic = (*Mic)(nil)
