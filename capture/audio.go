package capture

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// SilenceEncoder is an AudioEncoder that codes a block of silence
// cheaply (Opus with DTX): the recorder uses it for blocks wholly inside
// a pause (R-G4).
type SilenceEncoder interface {
	EncodeSilence(pts time.Duration) (Packet, error)
}

// audioLoop reads the mic in encoder-sized blocks and stamps them by
// sample count: the block starting at media sample k has PTS k/rate. The
// media sample of a mic sample is its read index plus shift (0, or found
// by calibration).
type audioLoop struct {
	r    *Recording
	mic  Mic
	enc  AudioEncoder
	rate int
	n    int // samples per block
	done chan struct{}

	buf     []int16
	pend    []int16 // samples read, not yet encoded; pend[0] is media sample emitted
	emitted int64
	read    int64 // samples read from the mic

	// calibration (CalibrateMic): until calibrated, blocks are held.
	calibrated bool
	minEst     time.Duration
	// resync (CalibrateMic): see track.
	resync   bool
	winMin   time.Duration
	winCount int
	windows  int
	baseline time.Duration
	offRun   int           // windows in a row off the baseline, one way
	runOff   time.Duration // the smallest offset of the run
	resyncs  int
	drop     int64 // samples still to drop from the mic (negative shift)

	mu        sync.Mutex
	shift     int64
	ending    bool
	end       time.Duration
	reading   bool
	readFrom  int64 // media sample at which the read in flight starts
	micClosed bool
	finished  bool
}

func newAudioLoop(r *Recording) *audioLoop {
	n := r.enc.Audio.FrameSamples()
	return &audioLoop{r: r, mic: r.src.Mic, enc: r.enc.Audio, rate: r.src.Mic.SampleRate(), n: n,
		done: make(chan struct{}), buf: make([]int16, n), pend: make([]int16, 0, 4*n),
		calibrated: !r.cfg.CalibrateMic, minEst: maxDur, resync: r.cfg.CalibrateMic, winMin: maxDur}
}

// stop ends the voice at media time end. It reports false when the voice
// had already ended.
func (a *audioLoop) stop(end time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ending || a.finished {
		return false
	}
	a.ending, a.end = true, end
	if a.reading && a.readFrom >= durSamples(end, a.rate) {
		a.closeMicLocked() // the read in flight is past the end
	}
	return true
}

// wait waits for the loop to end, closing a mic that delivers nothing for
// timeout.
func (a *audioLoop) wait(timeout time.Duration) {
	select {
	case <-a.done:
		return
	case <-time.After(timeout):
	}
	a.mu.Lock()
	a.closeMicLocked()
	a.mu.Unlock()
	<-a.done
}

func (a *audioLoop) closeMicLocked() {
	if !a.micClosed {
		a.micClosed = true
		_ = a.mic.Close()
	}
}

func (a *audioLoop) run() {
	defer func() {
		a.mu.Lock()
		a.finished = true
		a.closeMicLocked()
		a.mu.Unlock()
		a.r.mu.Lock()
		a.r.st.Voice = false
		a.r.mu.Unlock()
		close(a.done)
	}()
	for {
		a.mu.Lock()
		next := a.read + a.shift
		want := int64(a.n)
		if a.ending {
			want = min(want, durSamples(a.end, a.rate)-next)
		}
		if want <= 0 {
			a.mu.Unlock()
			break
		}
		a.reading, a.readFrom = true, next
		a.mu.Unlock()

		err := a.mic.Read(a.buf[:want])
		now := a.r.clock.Now()
		a.mu.Lock()
		a.reading = false
		ending := a.ending
		a.mu.Unlock()
		if err != nil {
			if !(ending && errors.Is(err, ErrClosed)) {
				a.r.streamErr(fmt.Errorf("microphone stopped: %w", err))
				_ = a.r.out.WriteMark(Mark{Kind: MarkError, PTS: now, Text: "microphone: " + err.Error()})
			}
			break
		}
		a.read += want
		a.push(a.buf[:want], now)
		if !a.flush(false) {
			return
		}
	}
	a.calibrate()
	a.flush(true)
}

// The resync window and tolerance.
const (
	resyncWindow = 50 // blocks: 1 s of 20 ms
	resyncTol    = 20 * time.Millisecond
	resyncRun    = 3 // windows
	// maxBacklog bounds what calibration drops (samples buffered before
	// the start) or pads (a late start).
	maxBacklog = time.Second
	maxDur     = time.Duration(1<<63 - 1)
)

// push queues samples read at now.
func (a *audioLoop) push(s []int16, now time.Duration) {
	if a.calibrated && a.resync {
		a.track(now)
	}
	if !a.calibrated {
		if est := now - samplesDur(a.read, a.rate); est < a.minEst {
			a.minEst = est
		}
		a.pend = append(a.pend, s...)
		if a.read >= int64(a.rate) {
			a.calibrate()
		}
		return
	}
	if a.drop > 0 {
		k := min(a.drop, int64(len(s)))
		a.drop -= k
		s = s[k:]
	}
	a.pend = append(a.pend, s...)
}

// track follows the read latency of the block just read (whose end is
// media sample read+shift), as the smallest latency over windows of 1 s.
// The baseline is the smallest of windows 2 to 4 (a start-up burst
// settles in the first). When resyncRun windows in a row sit more than
// resyncTol above the baseline, samples were lost (an overrun); below it,
// the mic runs fast: the voice is put back in step by the smallest of
// those offsets. Sources that deliver in large chunks (PulseAudio's sine
// source, a second at a time) swing from window to window and are left
// alone.
func (a *audioLoop) track(now time.Duration) {
	a.mu.Lock()
	shift := a.shift
	a.mu.Unlock()
	a.winMin = min(a.winMin, now-samplesDur(a.read+shift, a.rate))
	if a.winCount++; a.winCount < resyncWindow {
		return
	}
	low := a.winMin
	a.winMin, a.winCount = maxDur, 0
	a.windows++
	switch {
	case a.windows == 1:
		return
	case a.windows == 2:
		a.baseline = low
		return
	case a.windows <= 4:
		a.baseline = min(a.baseline, low)
		return
	}
	off := low - a.baseline
	if off.Abs() <= resyncTol || (a.offRun > 0 && (off > 0) != (a.runOff > 0)) {
		a.offRun, a.runOff = 0, 0
		if off.Abs() <= resyncTol {
			return
		}
	}
	if a.offRun == 0 || off.Abs() < a.runOff.Abs() {
		a.runOff = off
	}
	if a.offRun++; a.offRun < resyncRun {
		return
	}
	off = a.runOff
	a.offRun, a.runOff = 0, 0
	n := durSamples(off, a.rate)
	a.mu.Lock()
	a.shift += n
	a.mu.Unlock()
	a.resyncs++
	if n > 0 { // samples were lost: silence in their place
		a.pend = append(a.pend, make([]int16, n)...)
	} else { // the mic ran ahead: drop what is too much
		a.drop += -n
	}
}

// calibrate maps the mic's first sample onto the clock by the smallest
// read latency seen: samples captured before the start are dropped, a
// late start is padded with silence.
func (a *audioLoop) calibrate() {
	if a.calibrated {
		return
	}
	a.calibrated = true
	shift := durSamples(min(max(a.minEst, -maxBacklog), maxBacklog), a.rate)
	a.mu.Lock()
	a.shift = shift
	a.mu.Unlock()
	switch {
	case shift < 0:
		k := min(-shift, int64(len(a.pend)))
		a.pend = a.pend[:copy(a.pend, a.pend[k:])]
		a.drop = -shift - k
	case shift > 0:
		held := append([]int16(nil), a.pend...)
		a.pend = append(make([]int16, shift, int(shift)+len(held)), held...)
	}
}

// flush encodes the whole blocks pending (and, when last, the remainder
// padded with silence). Samples in a pause are silenced (R-G4), samples
// after the voice's end dropped. It reports false on a fatal sink error.
func (a *audioLoop) flush(last bool) bool {
	if !a.calibrated {
		return true
	}
	if last && len(a.pend)%a.n != 0 {
		a.pend = append(a.pend, make([]int16, a.n-len(a.pend)%a.n)...)
	}
	a.mu.Lock()
	ending, end := a.ending, durSamples(a.end, a.rate)
	a.mu.Unlock()
	for len(a.pend) >= a.n {
		block := a.pend[:a.n]
		if ending && a.emitted >= end {
			a.pend = a.pend[:0]
			break
		}
		if ending && a.emitted+int64(a.n) > end {
			clear(block[end-a.emitted:])
		}
		t := samplesDur(a.emitted, a.rate)
		var p Packet
		var err error
		if se, ok := a.enc.(SilenceEncoder); ok && a.r.pausedThrough(t, samplesDur(a.emitted+int64(a.n), a.rate)) {
			p, err = se.EncodeSilence(t)
		} else {
			a.r.silence(block, t, a.rate)
			t0 := time.Now()
			p, err = a.enc.Encode(block, t)
			a.r.addEncodeTime(time.Since(t0))
		}
		if err != nil {
			a.r.streamErr(fmt.Errorf("voice encoder: %w", err))
			return false
		}
		p.Track = TrackAudio
		if err := a.r.out.WritePacket(p); err != nil {
			a.r.fail(err)
			return false
		}
		a.emitted += int64(a.n)
		a.pend = a.pend[:copy(a.pend, a.pend[a.n:])]
	}
	return true
}
