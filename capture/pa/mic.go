package pa

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// Options choose the microphone.
type Options struct {
	// Device is a device name or part of one (case folded); "" is the
	// system's default input.
	Device string
	// SampleRate in Hz; 0 means 48000.
	SampleRate int
	// Channels opened on the device, 1 or 2 (two are mixed down to the
	// mono a Mic gives); 0 means 1.
	Channels int
	// Stall is how long the device may deliver nothing before Read
	// fails with ErrStalled; 0 means 5 s. (PulseAudio's sine source
	// delivers in 2 s chunks: keep it above that.)
	Stall time.Duration
}

// blocks is how many 20 ms blocks a Mic holds between its reader
// goroutine and Read: 3 s, more than the burst a capture starts with.
const blocks = 150

// Mic is a PortAudio input stream. It implements capture.Mic.
type Mic struct {
	rate   int
	device string

	stream *stream
	buf    []int16 // the stream's buffer, one block, interleaved

	free chan []int16 // empty blocks
	full chan []int16 // blocks for Read
	cur  []int16      // the block Read is taking from (Read's own)
	off  int          // how much of cur Read has taken

	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the reader has released the device
	failed    chan struct{} // closed when the capture stopped on an error
	err       error         // why; set before failed is closed
	failOnce  sync.Once
	closeOnce sync.Once
	dropped   atomic.Int64
	lastData  atomic.Int64 // unix nanoseconds of the last block
	stall     time.Duration
}

var _ capture.Mic = (*Mic)(nil)

// Open opens and starts the microphone: a blocking PortAudio stream read
// in blocks of 20 ms.
func Open(opts Options) (*Mic, error) {
	if opts.SampleRate == 0 {
		opts.SampleRate = 48000
	}
	if opts.Channels == 0 {
		opts.Channels = 1
	}
	if opts.SampleRate < 8000 || opts.SampleRate > 192000 || opts.SampleRate%50 != 0 {
		return nil, fmt.Errorf("pa: sample rate %d Hz not supported (8000..192000, a multiple of 50)", opts.SampleRate)
	}
	if opts.Channels != 1 && opts.Channels != 2 {
		return nil, fmt.Errorf("pa: %d channels not supported (1 or 2)", opts.Channels)
	}
	if opts.Stall == 0 {
		opts.Stall = 5 * time.Second
	}
	if opts.Stall < 0 {
		return nil, fmt.Errorf("pa: negative stall time %v", opts.Stall)
	}
	frames := opts.SampleRate / 50
	m := &Mic{
		rate: opts.SampleRate, stall: opts.Stall,
		buf:  make([]int16, chunkBlocks*frames*opts.Channels),
		free: make(chan []int16, blocks), full: make(chan []int16, blocks),
		stop: make(chan struct{}), done: make(chan struct{}), failed: make(chan struct{}),
	}
	for range blocks {
		m.free <- make([]int16, frames)
	}
	paMu.Lock()
	defer paMu.Unlock()
	if err := initialize(); err != nil {
		return nil, err
	}
	dev, err := findInput(opts.Device)
	if err == nil && dev.inputs < opts.Channels {
		err = fmt.Errorf("pa: %q has %d input channels, %d asked", dev.name, dev.inputs, opts.Channels)
	}
	if err == nil {
		m.device = dev.name
		// Room for a few chunks in the device's buffer: the reader
		// wakes once a chunk and may be late on a loaded machine.
		dev.highLatency = max(dev.highLatency, 4*chunkBlocks*0.02)
		if m.stream, err = openInput(dev, opts.Channels, opts.SampleRate, chunkBlocks*frames); err != nil {
			err = openError(dev.name, err)
		}
	}
	if err == nil {
		if err = m.stream.start(); err != nil {
			_ = m.stream.close()
			err = openError(dev.name, err)
		}
	}
	if err != nil {
		paTerminate()
		return nil, err
	}
	m.lastData.Store(time.Now().UnixNano())
	go m.run(opts.Channels)
	go m.watch()
	return m, nil
}

// chunkBlocks is how many 20 ms blocks the reader takes from the device
// at once: the stream's buffer is 100 ms, so the reader, the ALSA pulse
// plugin and the sound server each wake ten times a second instead of
// fifty (issue 17: wake-ups were most of the voice path's CPU). Read still
// gives 20 ms blocks; they reach it up to 100 ms later, which the
// sample-counted timeline does not see.
const chunkBlocks = 5

// pollSlack is added to the time the missing part of a chunk needs
// before the reader looks again.
const pollSlack = 5 * time.Millisecond

// run reads the stream block by block until Close, then releases the
// device and PortAudio. It reads only when a whole block is waiting, so
// it does not sleep in C and Close stops it within a block's time. (Once the
// sound server is gone, even asking the ALSA pulse plugin how much is
// waiting can block forever, seen here: watch covers that.)
func (m *Mic) run(channels int) {
	defer close(m.done)
	defer func() {
		paMu.Lock()
		defer paMu.Unlock()
		_ = m.stream.stop()
		_ = m.stream.close()
		paTerminate()
	}()
	wake := time.NewTimer(0)
	defer wake.Stop()
	frames := len(m.buf) / channels
	for {
		select {
		case <-m.stop:
			return
		default:
		}
		n, err := m.stream.available()
		if err == nil && n < frames {
			wake.Reset(time.Duration(frames-n)*time.Second/time.Duration(m.rate) + pollSlack)
			select {
			case <-m.stop:
				return
			case <-wake.C:
			}
			continue
		}
		if err == nil || overflowed(err) {
			err = m.stream.read(m.buf)
		}
		if err != nil && !overflowed(err) {
			// Samples lost upstream (overflow) still leave a full
			// block; anything else ends the stream.
			m.fail(fmt.Errorf("pa: read %q: %w", m.device, err))
			return
		}
		m.lastData.Store(time.Now().UnixNano())
		m.deliver(channels)
	}
}

// fail ends the capture with err, for Read to return. The first error
// wins.
func (m *Mic) fail(err error) {
	m.failOnce.Do(func() {
		m.err = err
		close(m.failed)
	})
}

// watch fails the capture when no block came for m.stall: the device or
// the sound server went away, and the reader may be stuck in C for good
// (it is then left there; nothing can free it).
func (m *Mic) watch() {
	tick := time.NewTicker(m.stall / 10)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-tick.C:
		}
		if since := time.Since(time.Unix(0, m.lastData.Load())); since > m.stall {
			m.fail(fmt.Errorf("pa: %q: nothing for %v: %w", m.device, since.Round(time.Second), ErrStalled))
			return
		}
	}
}

// deliver hands the blocks of the chunk in m.buf to Read, mixed down to
// mono, dropping those for which Read is more than three seconds behind
// (the device keeps flowing).
func (m *Mic) deliver(channels int) {
	n := len(m.buf) / channels / chunkBlocks // samples a block
	for k := range chunkBlocks {
		var b []int16
		select {
		case b = <-m.free:
		default:
			m.dropped.Add(1)
			continue
		}
		src := m.buf[k*n*channels : (k+1)*n*channels]
		if channels == 1 {
			copy(b, src)
		} else {
			for i := range b {
				b[i] = int16((int32(src[2*i]) + int32(src[2*i+1])) / 2)
			}
		}
		m.full <- b // never blocks: full and free share the blocks
	}
}

// SampleRate is the rate the Mic delivers.
func (m *Mic) SampleRate() int { return m.rate }

// Device is the name of the device opened.
func (m *Mic) Device() string { return m.device }

// Dropped is how many 20 ms blocks were lost because Read fell more than
// three seconds behind.
func (m *Mic) Dropped() int64 { return m.dropped.Load() }

// Read fills p with the next samples, blocking until they are there. It
// returns capture.ErrClosed once Close was called (ending a blocked Read),
// or the device's error if the stream broke. Read is for one goroutine.
func (m *Mic) Read(p []int16) error {
	for len(p) > 0 {
		if m.cur == nil {
			select {
			case <-m.stop:
				return capture.ErrClosed
			default:
			}
			select {
			case b := <-m.full:
				m.cur, m.off = b, 0
			case <-m.stop:
				return capture.ErrClosed
			case <-m.failed:
				return m.err
			}
		}
		n := copy(p, m.cur[m.off:])
		p, m.off = p[n:], m.off+n
		if m.off == len(m.cur) {
			m.free <- m.cur // never blocks
			m.cur = nil
		}
	}
	return nil
}

// closeWait bounds how long Close waits for the reader to let the device
// go; the reader never blocks in a read, so it is quick.
const closeWait = 2 * time.Second

// Close stops the stream and releases the device; a blocked Read returns
// capture.ErrClosed at once. Idempotent. When Close returns the device is
// free again, unless the capture had failed with the reader stuck in C
// (ErrStalled: Close then returns at once).
func (m *Mic) Close() error {
	var err error
	m.closeOnce.Do(func() {
		close(m.stop)
		select {
		case <-m.done:
		case <-m.failed:
		case <-time.After(closeWait):
			err = fmt.Errorf("pa: %q did not stop within %v", m.device, closeWait)
		}
	})
	return err
}
