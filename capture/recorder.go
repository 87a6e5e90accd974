package capture

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors of the recorder.
var (
	// ErrNoSource is returned by Start without a screen and without a mic.
	ErrNoSource = errors.New("capture: no screen and no microphone to record")
	// ErrStopped is returned by controls used after the recording stopped.
	ErrStopped = errors.New("capture: recording stopped")
	// ErrBadConfig is returned by Start for an unusable configuration.
	ErrBadConfig = errors.New("capture: bad configuration")
)

// Config tunes a recording. The zero value is usable.
type Config struct {
	// FPS is the screen's frame rate (0: 5).
	FPS int
	// KeyEvery is the most time between video keyframes (0: 10 s); an
	// unchanged screen is not encoded again between them.
	KeyEvery time.Duration
	// Clock is the media clock (nil: a WallClock started by Start).
	Clock Clock
	// CalibrateMic maps the mic's samples onto the clock by the smallest
	// read latency seen in its first second (samples buffered before the
	// start are dropped, at most 1 s), then keeps the voice in step when
	// the device loses samples (an overrun: silence fills the gap). Set it
	// for real devices; off, sample 0 is time 0 and samples are trusted.
	CalibrateMic bool
	// OnFrame, when set, is called after each video tick is handled
	// (tests wait on it; a progress display may use it). It must not block
	// for long.
	OnFrame func(pts time.Duration)
	// StopTimeout bounds how long Stop waits for a mic that delivers no
	// more samples before closing it (0: 2 s).
	StopTimeout time.Duration
	// Terminal records the text desktop too: the frames given to
	// Recording.Terminal go to the sink as TrackTerminal packets
	// (terminal.go), paused and stopped with the screen and the voice.
	Terminal bool
}

// Sources are the devices to record; either may be nil (screen only,
// voice only), not both.
type Sources struct {
	Screen Screen
	Mic    Mic
}

// Encoders encode the sources; each is needed when its source is given.
type Encoders struct {
	Video VideoEncoder
	Audio AudioEncoder
}

// Sink receives a recording's packets and marks in capture order (the
// spool). It must be safe for concurrent use and must not retain Data.
type Sink interface {
	WritePacket(p Packet) error
	WriteMark(m Mark) error
}

// Status is what the desktop shows about a recording.
type Status struct {
	Screen, Voice bool          // the streams being captured now
	Paused        bool          // paused (R-G4, R-G5)
	Err           string        // what stopped a stream, in words ("" when none)
	Bytes         int64         // bytes written to the sink
	Duration      time.Duration // media time so far, paused time included
	Frames        int           // video packets written
	// Grabs is how many screen grabs were made and GrabTime the time they
	// took in all (the capture frame time is GrabTime/Grabs).
	Grabs    int
	GrabTime time.Duration
	// EncodeTime is the time spent in the video and voice encoders (they
	// run on the CPU: about the encoders' CPU seconds).
	EncodeTime time.Duration
	// Dropped counts the frame ticks skipped because the capture fell
	// more than a second behind (a stalled machine).
	Dropped int
}

// Recording is a capture in progress. Its methods are safe for
// concurrent use.
type Recording struct {
	cfg    Config
	clock  Clock
	src    Sources
	enc    Encoders
	out    Sink
	cmds   chan command
	done   chan struct{}
	audio  *audioLoop
	term   *term // nil without Config.Terminal
	cancel context.CancelFunc

	mu     sync.Mutex
	st     Status
	err    error // first fatal error
	pauses []span
	ended  time.Duration
}

// span is a stretch of media time; to < 0 means still open.
type span struct{ from, to time.Duration }

type cmdKind int

const (
	cmdPause cmdKind = iota + 1
	cmdResume
	cmdStopVoice
	cmdStop
)

type command struct {
	kind  cmdKind
	reply chan error
}

// Start begins recording src through enc into out, both streams on one
// clock: video grabs at cfg.FPS on clock ticks, audio in blocks of the
// encoder's size stamped by sample count. It writes a MarkStart at 0.
// ctx ending stops the recording as Stop does.
func Start(ctx context.Context, cfg Config, src Sources, enc Encoders, out Sink) (*Recording, error) {
	if src.Screen == nil && src.Mic == nil {
		return nil, ErrNoSource
	}
	if src.Screen != nil && enc.Video == nil || src.Mic != nil && enc.Audio == nil {
		return nil, fmt.Errorf("%w: a source without its encoder", ErrBadConfig)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: no sink", ErrBadConfig)
	}
	if cfg.FPS == 0 {
		cfg.FPS = 5
	}
	if cfg.FPS < 0 || cfg.FPS > 60 {
		return nil, fmt.Errorf("%w: fps %d (1..60)", ErrBadConfig, cfg.FPS)
	}
	if cfg.KeyEvery <= 0 {
		cfg.KeyEvery = 10 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 2 * time.Second
	}
	clock := cfg.Clock
	if clock == nil {
		clock = NewWallClock()
	}
	if src.Mic != nil && enc.Audio.FrameSamples() <= 0 {
		return nil, fmt.Errorf("%w: audio encoder frame size %d", ErrBadConfig, enc.Audio.FrameSamples())
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Recording{cfg: cfg, clock: clock, src: src, enc: enc, out: out, cancel: cancel,
		cmds: make(chan command), done: make(chan struct{})}
	r.st.Screen = src.Screen != nil
	r.st.Voice = src.Mic != nil
	if err := out.WriteMark(Mark{Kind: MarkStart, PTS: clock.Now()}); err != nil {
		cancel()
		return nil, fmt.Errorf("capture: start: %w", err)
	}
	if src.Mic != nil {
		r.audio = newAudioLoop(r)
		go r.audio.run()
	}
	if cfg.Terminal {
		r.term = newTerm(r)
	}
	go r.videoLoop(ctx)
	return r, nil
}

// Pause pauses both streams together from now (R-V2, R-G5): the audio
// gets silence for the paused length (R-G4), the video the slate, and a
// MarkPause is written. Pausing a paused recording does nothing.
func (r *Recording) Pause() error { return r.command(cmdPause) }

// Resume resumes both streams from now and writes a MarkResume.
func (r *Recording) Resume() error { return r.command(cmdResume) }

// StopVoice ends the audio track now (the contact disconnected) and
// writes a MarkVoiceStop; the screen goes on (R-V2).
func (r *Recording) StopVoice() error { return r.command(cmdStopVoice) }

// Stop ends the recording now (ACW ended): voice if still on, then the
// screen, then a MarkStop. It waits until everything is in the sink and
// returns the first error that stopped a stream, if any. Stop after the
// recording ended returns that same error.
func (r *Recording) Stop() error {
	err := r.command(cmdStop)
	if errors.Is(err, ErrStopped) {
		err = nil
	}
	<-r.done
	if e := r.Err(); e != nil {
		return e
	}
	return err
}

// Done is closed when the recording has ended (Stop, ctx, or an error
// such as a full disk).
func (r *Recording) Done() <-chan struct{} { return r.done }

// Err is the first error that stopped a stream (nil when none).
func (r *Recording) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// addEncodeTime counts time spent in an encoder.
func (r *Recording) addEncodeTime(d time.Duration) {
	r.mu.Lock()
	r.st.EncodeTime += d
	r.mu.Unlock()
}

// Status reports what is being captured.
func (r *Recording) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	if b, ok := r.out.(interface{ Bytes() int64 }); ok {
		st.Bytes = b.Bytes()
	}
	select {
	case <-r.done:
		st.Duration = r.ended
	default:
		st.Duration = r.clock.Now()
	}
	return st
}

func (r *Recording) command(k cmdKind) error {
	c := command{kind: k, reply: make(chan error, 1)}
	select {
	case r.cmds <- c:
		return <-c.reply
	case <-r.done:
		return ErrStopped
	}
}

// fail records a fatal error once and reports it in the status.
func (r *Recording) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
		r.st.Err = err.Error()
	}
	r.cancel()
}

// streamErr reports a stream's error in the status without stopping the
// other stream.
func (r *Recording) streamErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Err == "" {
		r.st.Err = err.Error()
	}
}

// pausedAt reports whether media time t is inside a pause.
func (r *Recording) pausedAt(t time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pauses {
		if t >= p.from && (p.to < 0 || t < p.to) {
			return true
		}
	}
	return false
}

// pausedThrough reports whether all of [from, to) is inside one pause.
func (r *Recording) pausedThrough(from, to time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pauses {
		if from >= p.from && (p.to < 0 || to <= p.to) {
			return true
		}
	}
	return false
}

// silence zeroes the samples of block (starting at media time t) that
// fall in a pause.
func (r *Recording) silence(block []int16, t time.Duration, rate int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(block)
	for _, p := range r.pauses {
		from := int(durSamples(p.from-t, rate))
		to := n
		if p.to >= 0 {
			to = int(durSamples(p.to-t, rate))
		}
		from, to = max(from, 0), min(to, n)
		for i := from; i < to; i++ {
			block[i] = 0
		}
	}
}

// durSamples converts a duration to a sample count, rounding to nearest.
func durSamples(d time.Duration, rate int) int64 {
	return (int64(d)*int64(rate) + int64(time.Second)/2) / int64(time.Second)
}

// samplesDur converts a sample count to a duration.
func samplesDur(n int64, rate int) time.Duration {
	return time.Duration(n * int64(time.Second) / int64(rate))
}
