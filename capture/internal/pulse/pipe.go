package pulse

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// PipeRate is the pipe source's sample rate; it is mono s16le.
const PipeRate = 48000

// PipeSourceName is the name of the pipe source in the daemon.
const PipeSourceName = "pipe_input"

// pipeLead is how far ahead of real time the feeder keeps the pipe, so a
// late tick never starves the source; pipeTick is how often it tops up.
const (
	pipeLead = 30 * time.Millisecond
	pipeTick = 10 * time.Millisecond
)

// PipeSource is a PulseAudio source fed by this process through a FIFO in
// real time: silence, and whatever Play, Write or Burst queue. A feeder
// goroutine paced by a ticker keeps the pipe about 30 ms ahead of real
// time, writing silence when nothing is queued, so the source never
// starves and its timeline follows the wall clock. While nothing records
// from the source the daemon does not read the FIFO; the feeder then holds
// back (at most 30 ms wait in the FIFO) and queued samples wait for the
// next recorder.
type PipeSource struct {
	f      *os.File
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	queue  []int16 // samples waiting to be written
	pos    int64   // samples written so far
	closed bool
	err    error
}

// PipeSource loads module-pipe-source (s16le, 48 kHz, mono), makes it the
// default source (replacing the sine; call SetDefaultSource(SineSource) to
// go back) and starts feeding it silence. Open the microphone after this
// call: a capture stream follows the default source it was opened on.
// Close (or the Server's Close) stops it.
func (s *Server) PipeSource(ctx context.Context) (*PipeSource, error) {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil, ErrClosed
	}
	n := len(s.pipes)
	s.closeMu.Unlock()
	name := PipeSourceName
	if n > 0 {
		name = fmt.Sprintf("%s%d", PipeSourceName, n)
	}
	fifo := filepath.Join(s.dir, name+".fifo")
	// The module makes the FIFO itself (and refuses one that exists).
	_, err := s.Pactl(ctx, "load-module", "module-pipe-source", "source_name="+name,
		"file="+fifo, "format=s16le", fmt.Sprintf("rate=%d", PipeRate), "channels=1")
	if err != nil {
		return nil, err
	}
	// O_RDWR: opening never blocks, and the daemon never sees the FIFO
	// without a writer between our writes.
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("pulse: open fifo: %w", err)
	}
	if err := s.SetDefaultSource(ctx, name); err != nil {
		f.Close()
		return nil, err
	}
	p := &PipeSource{f: f, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	s.closeMu.Lock()
	s.pipes = append(s.pipes, p)
	s.closeMu.Unlock()
	go p.feed()
	return p, nil
}

// feed tops the pipe up every tick to pipeLead ahead of real time. The
// daemon reads the FIFO only while something records from the source, so
// the feeder also never lets more than pipeLead wait in the FIFO: when
// nobody reads, it stops writing (no stale audio piles up for the next
// recorder) and moves its timeline on, so it does not catch up in a rush
// later.
func (p *PipeSource) feed() {
	defer close(p.done)
	tick := time.NewTicker(pipeTick)
	defer tick.Stop()
	buf := make([]byte, 0, 2*PipeRate/10)
	lead := int64(pipeLead.Seconds() * PipeRate)
	for {
		inFIFO := p.fifoSamples()
		p.mu.Lock()
		due := int64((time.Since(p.start)+pipeLead).Seconds()*PipeRate) - p.pos
		n := min(due, lead-inFIFO)
		if due > n {
			p.start = p.start.Add(time.Duration(float64(due-n) / PipeRate * float64(time.Second)))
		}
		buf = buf[:0]
		for i := int64(0); i < n; i++ {
			var v int16
			if len(p.queue) > 0 {
				v, p.queue = p.queue[0], p.queue[1:]
			}
			buf = binary.LittleEndian.AppendUint16(buf, uint16(v))
		}
		p.pos += max(n, 0)
		p.mu.Unlock()
		if len(buf) > 0 {
			if _, err := p.f.Write(buf); err != nil {
				p.mu.Lock()
				p.err = fmt.Errorf("pulse: write pipe: %w", err)
				p.mu.Unlock()
				return
			}
		}
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// fifoSamples is how many samples wait in the FIFO, unread by the daemon.
func (p *PipeSource) fifoSamples() int64 {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return 0
	}
	var n int
	_ = rc.Control(func(fd uintptr) {
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		if errno != 0 {
			n = 0
		}
	})
	return int64(n / 2)
}

// Play queues samples (mono, 48 kHz) after what is already queued and
// returns the wall-clock instant its first sample goes into the FIFO,
// which the daemon drains at once while something records: within one
// top-up (10 ms) of now when nothing was queued before it, else right
// after what was. Samples are copied. Measured here, a burst reaches a
// capture/pa Mic's Read 24 to 46 ms after that instant.
func (p *PipeSource) Play(samples []int16) (time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return time.Time{}, ErrClosed
	}
	if p.err != nil {
		return time.Time{}, p.err
	}
	at := p.pos + int64(len(p.queue))
	p.queue = append(p.queue, samples...)
	// Sample at position q is written when due reaches it: at
	// start + q/rate - lead.
	return p.start.Add(time.Duration(float64(at)/PipeRate*float64(time.Second)) - pipeLead), nil
}

// Write queues raw mono s16le samples (an io.Writer for the pipe); an odd
// trailing byte is an error.
func (p *PipeSource) Write(b []byte) (int, error) {
	if len(b)%2 != 0 {
		return 0, fmt.Errorf("pulse: odd byte count %d: the pipe takes 16-bit samples", len(b))
	}
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	if _, err := p.Play(s); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Burst queues a tone of freq Hz lasting d at half of full scale and
// returns the instant it goes into the pipe (see Play).
func (p *PipeSource) Burst(freq float64, d time.Duration) (time.Time, error) {
	if freq <= 0 || freq >= PipeRate/2 || d <= 0 {
		return time.Time{}, fmt.Errorf("pulse: bad burst %v Hz for %v", freq, d)
	}
	n := int(d.Seconds() * PipeRate)
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(16383 * math.Sin(2*math.Pi*freq*float64(i)/PipeRate))
	}
	return p.Play(s)
}

// Silence drops whatever is queued: from now on the pipe carries silence.
func (p *PipeSource) Silence() {
	p.mu.Lock()
	p.queue = nil
	p.mu.Unlock()
}

// Written is how many samples have gone into the pipe so far.
func (p *PipeSource) Written() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pos
}

// Close stops the feeder and closes the pipe. Idempotent.
func (p *PipeSource) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	// Closing the file first ends a write blocked on a full pipe.
	err := p.f.Close()
	<-p.done
	if err != nil {
		return fmt.Errorf("pulse: close pipe: %w", err)
	}
	return nil
}
