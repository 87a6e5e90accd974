// Package opus encodes the microphone as Opus through libopus (cgo,
// Debian libopus-dev): 48 kHz mono, 20 ms frames of 960 samples, the VOIP
// application, 24 kbit/s at most by default (about 180 KB per minute),
// DTX off so every 20 ms has its packet and the timeline stays whole. The
// band is capped at wideband (speech to 8 kHz): libopus then codes SILK
// alone instead of SILK plus CELT for the band above (hybrid fullband),
// which costs a fifth less CPU and keeps the speech band better (see
// quality_test.go). A decoder is here too, for tests and for checking
// recordings.
//
// Silence is cheap: a block of zeros costs a fraction of the CPU time of
// speech, and EncodeSilence (padding a pause) switches DTX on while the
// pause lasts, so a paused minute costs about 8 KB instead of about 75 KB.
package opus

/*
#cgo pkg-config: opus
#include <opus.h>

// The ctl calls are variadic macros, which cgo cannot call: one small
// function per setting.
static int enc_set_int(OpusEncoder *e, int req, int v) { return opus_encoder_ctl(e, req, v); }
static int enc_get_int(OpusEncoder *e, int req, opus_int32 *v) { return opus_encoder_ctl(e, req, v); }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/agentdesk/agentdesk/capture"
)

// The stream this package makes.
const (
	SampleRate   = 48000
	Channels     = 1
	FrameSamples = SampleRate / 50 // 20 ms
	// FrameDuration is the length of one packet.
	FrameDuration = 20 * time.Millisecond
	// DefaultBitrate is the target when Options.Bitrate is 0: 24 kbit/s.
	DefaultBitrate = 24000
	// DefaultComplexity is the encoder's effort when Options.Complexity
	// is 0 (libopus' scale is 0..10). Measured on a known speech-like
	// voice (quality_test.go): 1 keeps it as well as 10 (segmental SNR
	// and log-spectral distance within 0.2 dB) at 0.08 ms a frame against
	// 0.14 ms at 5 and 0.27 ms at 10.
	DefaultComplexity = 1
	// maxPacket is the largest packet libopus makes for one frame, with
	// room to spare (its own advice is 4000 bytes).
	maxPacket = 4000
)

// ErrFrameSize is returned by Encode for a block that is not
// FrameSamples long, and by Decode for a too small output buffer.
var ErrFrameSize = errors.New("opus: wrong block size")

// Options tune the encoder.
type Options struct {
	// Bitrate is the target in bits per second (6000..510000); 0 means
	// DefaultBitrate.
	Bitrate int
	// Complexity is 1..10; 0 means DefaultComplexity.
	Complexity int
}

// Encoder is an Opus encoder for 48 kHz mono 20 ms blocks. It implements
// capture.AudioEncoder. Safe for one goroutine at a time; Close may come
// from any goroutine.
type Encoder struct {
	mu        sync.Mutex
	enc       *C.OpusEncoder
	out       []byte
	zeros     []int16
	lookahead int
	dtx       bool // on while EncodeSilence pads a pause
}

var _ capture.AudioEncoder = (*Encoder)(nil)

// NewEncoder makes an encoder: VOIP application, voice signal, DTX off.
func NewEncoder(opts Options) (*Encoder, error) {
	if opts.Bitrate == 0 {
		opts.Bitrate = DefaultBitrate
	}
	if opts.Complexity == 0 {
		opts.Complexity = DefaultComplexity
	}
	if opts.Bitrate < 6000 || opts.Bitrate > 510000 {
		return nil, fmt.Errorf("opus: bitrate %d bit/s out of range 6000..510000", opts.Bitrate)
	}
	if opts.Complexity < 1 || opts.Complexity > 10 {
		return nil, fmt.Errorf("opus: complexity %d out of range 1..10", opts.Complexity)
	}
	var cerr C.int
	enc := C.opus_encoder_create(SampleRate, Channels, C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK || enc == nil {
		return nil, fmt.Errorf("opus: create encoder: %s", errText(cerr))
	}
	e := &Encoder{enc: enc, out: make([]byte, maxPacket), zeros: make([]int16, FrameSamples)}
	settings := []struct {
		name     string
		req, val C.int
	}{
		{"bitrate", C.OPUS_SET_BITRATE_REQUEST, C.int(opts.Bitrate)},
		{"complexity", C.OPUS_SET_COMPLEXITY_REQUEST, C.int(opts.Complexity)},
		{"dtx", C.OPUS_SET_DTX_REQUEST, 0},
		{"signal", C.OPUS_SET_SIGNAL_REQUEST, C.OPUS_SIGNAL_VOICE},
		{"bandwidth", C.OPUS_SET_MAX_BANDWIDTH_REQUEST, C.OPUS_BANDWIDTH_WIDEBAND},
	}
	for _, s := range settings {
		if r := C.enc_set_int(enc, s.req, s.val); r != C.OPUS_OK {
			C.opus_encoder_destroy(enc)
			return nil, fmt.Errorf("opus: set %s: %s", s.name, errText(r))
		}
	}
	var la C.opus_int32
	if r := C.enc_get_int(enc, C.OPUS_GET_LOOKAHEAD_REQUEST, &la); r != C.OPUS_OK {
		C.opus_encoder_destroy(enc)
		return nil, fmt.Errorf("opus: get lookahead: %s", errText(r))
	}
	e.lookahead = int(la)
	return e, nil
}

// FrameSamples is the block size Encode takes: 960 (20 ms at 48 kHz).
func (e *Encoder) FrameSamples() int { return FrameSamples }

// Lookahead is the encoder's delay in samples at 48 kHz: decoded audio
// lags the input by this much. A container carries it as the pre-skip
// (WebM CodecDelay, OpusHead pre-skip), so players drop it.
func (e *Encoder) Lookahead() int { return e.lookahead }

// Encode codes one block of FrameSamples samples into an audio packet
// stamped pts. The packet's Data is valid until the next call.
func (e *Encoder) Encode(pcm []int16, pts time.Duration) (capture.Packet, error) {
	return e.encode(pcm, pts, false)
}

// EncodeSilence codes one block of zeros: a pause padded with silence
// (R-G4), without the caller making a block. While silence lasts the
// encoder runs with DTX on: after 200 ms most 20 ms packets are one byte
// (with a comfort-noise update now and then: about 8 KB per minute
// instead of about 75 KB for coded zeros), still one packet per 20 ms,
// decoded as silence. The next Encode turns DTX off again.
func (e *Encoder) EncodeSilence(pts time.Duration) (capture.Packet, error) {
	return e.encode(e.zeros, pts, true)
}

func (e *Encoder) encode(pcm []int16, pts time.Duration, dtx bool) (capture.Packet, error) {
	if len(pcm) != FrameSamples {
		return capture.Packet{}, fmt.Errorf("%w: %d samples, want %d", ErrFrameSize, len(pcm), FrameSamples)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return capture.Packet{}, capture.ErrClosed
	}
	if dtx != e.dtx {
		v := C.int(0)
		if dtx {
			v = 1
		}
		if r := C.enc_set_int(e.enc, C.OPUS_SET_DTX_REQUEST, v); r != C.OPUS_OK {
			return capture.Packet{}, fmt.Errorf("opus: set dtx: %s", errText(r))
		}
		e.dtx = dtx
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), FrameSamples,
		(*C.uchar)(unsafe.Pointer(&e.out[0])), maxPacket)
	if n < 0 {
		return capture.Packet{}, fmt.Errorf("opus: encode: %s", errText(C.int(n)))
	}
	return capture.Packet{Track: capture.TrackAudio, PTS: pts, Key: true, Data: e.out[:n]}, nil
}

// Head is the OpusHead identification header (RFC 7845 section 5.1) for
// this stream: the WebM CodecPrivate of the audio track.
func (e *Encoder) Head() []byte {
	return Head(Channels, e.lookahead, SampleRate)
}

// Close frees the encoder. Idempotent; Encode after Close returns
// capture.ErrClosed.
func (e *Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.opus_encoder_destroy(e.enc)
		e.enc = nil
	}
	return nil
}

// Head builds an OpusHead: version 1, channels, pre-skip samples, the
// input sample rate, gain 0, mapping family 0 (mono or stereo).
func Head(channels, preSkip, inputRate int) []byte {
	h := []byte("OpusHead")
	h = append(h, 1, byte(channels))
	h = append(h, byte(preSkip), byte(preSkip>>8))
	h = append(h, byte(inputRate), byte(inputRate>>8), byte(inputRate>>16), byte(inputRate>>24))
	return append(h, 0, 0, 0)
}

// Decoder decodes 48 kHz mono Opus packets. Safe for one goroutine at a
// time; Close may come from any goroutine.
type Decoder struct {
	mu  sync.Mutex
	dec *C.OpusDecoder
}

// NewDecoder makes a 48 kHz mono decoder.
func NewDecoder() (*Decoder, error) {
	var cerr C.int
	dec := C.opus_decoder_create(SampleRate, Channels, &cerr)
	if cerr != C.OPUS_OK || dec == nil {
		return nil, fmt.Errorf("opus: create decoder: %s", errText(cerr))
	}
	return &Decoder{dec: dec}, nil
}

// Decode decodes one packet into pcm and returns how many samples it
// wrote (960 for our 20 ms packets). A nil packet stands for a lost one
// (libopus conceals it with len(pcm) samples). pcm must hold the
// packet's samples: at least FrameSamples for ours.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(pcm) < FrameSamples {
		return 0, fmt.Errorf("%w: output of %d samples, want at least %d", ErrFrameSize, len(pcm), FrameSamples)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, capture.ErrClosed
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	n := C.opus_decode(d.dec, data, C.opus_int32(len(packet)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)), 0)
	if n < 0 {
		return 0, fmt.Errorf("opus: decode: %s", errText(C.int(n)))
	}
	return int(n), nil
}

// Close frees the decoder. Idempotent; Decode after Close returns
// capture.ErrClosed.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec != nil {
		C.opus_decoder_destroy(d.dec)
		d.dec = nil
	}
	return nil
}

// errText is libopus' words for an error code.
func errText(code C.int) string {
	return C.GoString(C.opus_strerror(code))
}
