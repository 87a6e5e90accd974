// Package capture records the agent's screen and microphone in step with
// the chat: sources (real and synthetic), one media clock with pause,
// encoders, and the crash-safe spool. Devices and codecs are adapters in
// subpackages (x11, pa, vpx, opus, spool, webm, synth); this package holds
// what they share and the recorder that drives them.
package capture

import (
	"errors"
	"image"
	"time"
)

// ErrClosed is returned by a source or encoder used after Close.
var ErrClosed = errors.New("capture: closed")

// Frame is one screen picture in I420 (YUV 4:2:0, planar, BT.601 limited
// range), the video encoder's input. Planes are tightly packed: the stride
// of Y is Width, of U and V (Width+1)/2.
type Frame struct {
	Width, Height int
	Y, U, V       []byte
}

// NewFrame allocates a frame of w x h.
func NewFrame(w, h int) *Frame {
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]byte, w*h+2*cw*ch)
	return &Frame{Width: w, Height: h, Y: buf[:w*h], U: buf[w*h : w*h+cw*ch], V: buf[w*h+cw*ch:]}
}

// Screen is a source of screen pictures.
//
// Grab fills dst, which must be NewFrame(Size()), with the screen as it is
// now, and reports whether it differs from the previous Grab (an unchanged
// screen need not be encoded again). Grab must not allocate once the first
// call has returned. Close is idempotent; Grab after Close returns
// ErrClosed.
type Screen interface {
	Size() (w, h int)
	Grab(dst *Frame) (changed bool, err error)
	Close() error
}

// ChangeReporter is a Screen that says where its last Grab found the
// screen changed (x11.Source): Changed appends those rectangles, in frame
// pixels, to dst and returns it.
type ChangeReporter interface {
	Changed(dst []image.Rectangle) []image.Rectangle
}

// ActiveSetter is a VideoEncoder that can be told which 16x16 macroblocks
// the next frames change (VP8's active map, vpx.Encoder): active has one
// byte a macroblock, row by row, 1 for changed. The recorder sets it from
// a ChangeReporter's rectangles before each frame that is not a keyframe:
// the encoder then spends nothing on the rest (issue 17: 5-9% less
// encoder CPU at the same bytes and PSNR, measured with screenbench -enc).
type ActiveSetter interface {
	SetActive(active []byte) error
}

// Mic is a source of microphone samples: mono, signed 16-bit, at
// SampleRate (48 kHz for the real device).
//
// Read fills p completely or fails; it blocks until the samples are there
// and returns ErrClosed once Close was called (a blocked Read ends then).
// Close is idempotent.
type Mic interface {
	SampleRate() int
	Read(p []int16) error
	Close() error
}

// Track numbers the tracks of a recording.
type Track uint8

// The tracks. Numbers are the WebM track numbers.
const (
	TrackVideo Track = 1
	TrackAudio Track = 2
)

// Packet is one encoded unit of a track, stamped with media time from the
// recording's start (paused time included: the timeline stays true).
type Packet struct {
	Track Track
	PTS   time.Duration
	Key   bool
	Data  []byte
}

// VideoEncoder turns frames into packets (VP8 or VP9).
//
// Encode may return no packet (the encoder buffered or dropped it) or
// several; the packets' Data must not be retained by the encoder after the
// next call. Close is idempotent.
type VideoEncoder interface {
	Encode(f *Frame, pts time.Duration, forceKey bool) ([]Packet, error)
	Close() error
}

// AudioEncoder turns fixed-size blocks of PCM into packets (Opus).
//
// Encode takes exactly FrameSamples() samples. The returned packet's Data
// is valid until the next call. Close is idempotent.
type AudioEncoder interface {
	FrameSamples() int
	Encode(pcm []int16, pts time.Duration) (Packet, error)
	Close() error
}

// MarkKind is what a timeline mark records.
type MarkKind uint8

// The timeline marks, kept in the spool and written as WebM chapters.
const (
	MarkStart     MarkKind = iota + 1 // capture began
	MarkPause                         // pause: silence and the slate follow (R-G4, R-G5)
	MarkResume                        // capture resumed
	MarkVoiceStop                     // the contact disconnected: voice ends, screen goes on (R-V2)
	MarkStop                          // the screen stopped at the end of ACW (R-V2)
	MarkError                         // capture stopped by an error (text says which)
)

// Mark is a point on the recording's timeline.
type Mark struct {
	Kind MarkKind
	PTS  time.Duration
	Text string
}
