// Package vpx encodes screen frames as VP8 (or VP9) through libvpx, tuned
// for screen content at low CPU: realtime deadline, one thread, screen
// content mode, a static threshold so unchanged blocks cost next to
// nothing, and pts-based timing so a caller may skip unchanged frames
// altogether. A decoder is here too, for tests and checks.
package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg; // libvpx keeps a pointer to it: it lives beside ctx
	vpx_codec_iter_t iter;
} enc_t;

typedef struct {
	const void *data;
	size_t size;
	int64_t pts;
	int key;
	int ok;
} pkt_out;

static int ctl(vpx_codec_ctx_t *c, int id, int v) { return vpx_codec_control_(c, id, v); }

// enc_open sets up e; on an error the codec is not initialised.
static int enc_open(enc_t *e, int vp9, int w, int h, int fps, int kbps, int minq, int maxq, int speed, int static_thr, int cbr, int drop) {
	vpx_codec_iface_t *iface = vp9 ? vpx_codec_vp9_cx() : vpx_codec_vp8_cx();
	vpx_codec_err_t err = vpx_codec_enc_config_default(iface, &e->cfg, 0);
	if (err) return err;
	e->cfg.g_w = w;
	e->cfg.g_h = h;
	e->cfg.g_timebase.num = 1;
	e->cfg.g_timebase.den = 1000;
	e->cfg.g_threads = 1;
	e->cfg.g_error_resilient = 0;
	e->cfg.g_lag_in_frames = 0;
	e->cfg.g_pass = VPX_RC_ONE_PASS;
	e->cfg.rc_end_usage = cbr ? VPX_CBR : VPX_VBR;
	e->cfg.rc_target_bitrate = kbps;
	e->cfg.rc_min_quantizer = minq;
	e->cfg.rc_max_quantizer = maxq;
	e->cfg.rc_dropframe_thresh = drop;
	e->cfg.kf_mode = VPX_KF_AUTO;
	e->cfg.kf_min_dist = 0;
	e->cfg.kf_max_dist = fps * 10;
	err = vpx_codec_enc_init(&e->ctx, iface, &e->cfg, 0);
	if (err) return err;
	if (vp9) {
		if ((err = ctl(&e->ctx, VP8E_SET_CPUUSED, speed))) goto fail;
		if ((err = ctl(&e->ctx, VP9E_SET_TUNE_CONTENT, VP9E_CONTENT_SCREEN))) goto fail;
		if ((err = ctl(&e->ctx, VP9E_SET_AQ_MODE, 3))) goto fail;
		if ((err = ctl(&e->ctx, VP9E_SET_NOISE_SENSITIVITY, 0))) goto fail;
	} else {
		if ((err = ctl(&e->ctx, VP8E_SET_CPUUSED, speed))) goto fail;
		if ((err = ctl(&e->ctx, VP8E_SET_SCREEN_CONTENT_MODE, 1))) goto fail;
		if ((err = ctl(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0))) goto fail;
	}
	if ((err = ctl(&e->ctx, VP8E_SET_STATIC_THRESHOLD, static_thr))) goto fail;
	return 0;
fail:
	vpx_codec_destroy(&e->ctx);
	return err;
}

// enc_encode encodes one I420 picture whose planes live in Go memory: the
// image is built here on the C stack and libvpx copies the pixels during
// the call (no lag), so no Go pointer outlives it.
static int enc_encode(enc_t *e, uint8_t *y, uint8_t *u, uint8_t *v, int w, int h,
		int64_t pts, unsigned long dur, int force_key) {
	vpx_image_t img;
	if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, w, h, 1, y)) return VPX_CODEC_INVALID_PARAM;
	img.planes[VPX_PLANE_Y] = y;
	img.planes[VPX_PLANE_U] = u;
	img.planes[VPX_PLANE_V] = v;
	img.stride[VPX_PLANE_Y] = w;
	img.stride[VPX_PLANE_U] = (w + 1) / 2;
	img.stride[VPX_PLANE_V] = (w + 1) / 2;
	e->iter = NULL;
	return vpx_codec_encode(&e->ctx, &img, pts, dur, force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
}

// enc_active sets the macroblocks coded in the next frames (map NULL:
// all of them).
static int enc_active(enc_t *e, unsigned char *map, unsigned int rows, unsigned int cols) {
	vpx_active_map_t m = {map, rows, cols};
	return vpx_codec_control_(&e->ctx, VP8E_SET_ACTIVEMAP, &m);
}

// enc_next returns the next compressed frame of the last encode.
static pkt_out enc_next(enc_t *e) {
	pkt_out o = {0};
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(&e->ctx, &e->iter)) != NULL) {
		if (p->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		o.data = p->data.frame.buf;
		o.size = p->data.frame.sz;
		o.pts = p->data.frame.pts;
		o.key = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		o.ok = 1;
		break;
	}
	return o;
}

static const char *enc_error(enc_t *e) {
	const char *d = vpx_codec_error_detail(&e->ctx);
	return d ? d : vpx_codec_error(&e->ctx);
}
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

// Codec is VP8 or VP9.
type Codec uint8

// The codecs.
const (
	VP8 Codec = iota
	VP9
)

// String is the codec's name.
func (c Codec) String() string {
	if c == VP9 {
		return "VP9"
	}
	return "VP8"
}

// Defaults for a zero Options field.
const (
	DefaultFPS     = 5
	DefaultBitrate = 600 // kbit/s
	// KeyInterval is the longest stretch of media time between keyframes.
	KeyInterval = 10 * time.Second
	// DefaultSpeedVP8 is VP8's cpu-used. Measured at 1280x720 on a busy
	// screen: 8 to 14 cost the same (16 ms a frame), 16 costs less than
	// half (7 ms) for about a third more bytes.
	DefaultSpeedVP8 = 16
	// DefaultSpeedVP9 is VP9's speed (9: 14-20 ms a busy 1280x720 frame).
	DefaultSpeedVP9 = 9
	// staticThreshold lets blocks whose difference from the previous
	// frame is below it be skipped: 10000 brings a static 1280x720 frame
	// from 7 KB to about 100-700 bytes while a single changed glyph still
	// shows (see TestSmallChangeShows).
	staticThreshold = 10000
)

// The errors.
var (
	// ErrFrameSize is returned for a frame that does not match the
	// encoder's size (or whose planes are short).
	ErrFrameSize = errors.New("vpx: frame size does not match the encoder")
	// ErrPTS is returned for a pts not after the previous frame's.
	ErrPTS = errors.New("vpx: pts not after the previous frame's")
)

// Options configure an encoder.
type Options struct {
	Width, Height int
	FPS           int   // the nominal frame rate (DefaultFPS when zero)
	Bitrate       int   // target kbit/s (DefaultBitrate when zero)
	Codec         Codec // VP8 (the zero value) or VP9
	// Speed is libvpx's cpu-used: higher is cheaper. Zero means
	// DefaultSpeedVP8 or DefaultSpeedVP9.
	Speed int
	// StaticThreshold is the difference under which a block counts as
	// unchanged; 0 means the default (10000), negative none.
	StaticThreshold int
	// CBR uses the constant bitrate controller instead of VBR.
	CBR bool
	// DropFrame lets the rate controller drop frames when the buffer runs
	// below this percentage (0: never).
	DropFrame int
}

// Encoder is a capture.VideoEncoder on libvpx. It is safe for use by one
// goroutine at a time; Close may come from another.
type Encoder struct {
	opts Options

	mu      sync.Mutex
	e       *C.enc_t // C memory: libvpx keeps pointers into it
	closed  bool
	started bool
	lastPTS time.Duration
	lastKey time.Duration
	active  []byte
}

var _ capture.VideoEncoder = (*Encoder)(nil)

// NewEncoder opens an encoder.
func NewEncoder(opts Options) (*Encoder, error) {
	if opts.FPS == 0 {
		opts.FPS = DefaultFPS
	}
	if opts.Bitrate == 0 {
		opts.Bitrate = DefaultBitrate
	}
	if opts.Speed == 0 {
		opts.Speed = DefaultSpeedVP8
		if opts.Codec == VP9 {
			opts.Speed = DefaultSpeedVP9
		}
	}
	switch {
	case opts.Width < 2 || opts.Height < 2 || opts.Width > 16384 || opts.Height > 16384:
		return nil, fmt.Errorf("vpx: bad size %dx%d", opts.Width, opts.Height)
	case opts.FPS < 0 || opts.FPS > 120:
		return nil, fmt.Errorf("vpx: bad frame rate %d", opts.FPS)
	case opts.Bitrate < 0:
		return nil, fmt.Errorf("vpx: bad bitrate %d", opts.Bitrate)
	case opts.Codec > VP9:
		return nil, fmt.Errorf("vpx: unknown codec %d", opts.Codec)
	}
	e := (*C.enc_t)(C.calloc(1, C.sizeof_enc_t))
	if e == nil {
		return nil, errors.New("vpx: out of memory")
	}
	vp9 := 0
	if opts.Codec == VP9 {
		vp9 = 1
	}
	thr := opts.StaticThreshold
	switch {
	case thr == 0:
		thr = staticThreshold
	case thr < 0:
		thr = 0
	}
	cbr := 0
	if opts.CBR {
		cbr = 1
	}
	if rc := C.enc_open(e, C.int(vp9), C.int(opts.Width), C.int(opts.Height), C.int(opts.FPS),
		C.int(opts.Bitrate), 4, 48, C.int(opts.Speed), C.int(thr), C.int(cbr), C.int(opts.DropFrame)); rc != 0 {
		msg := C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc)))
		C.free(unsafe.Pointer(e))
		return nil, fmt.Errorf("vpx: open %v encoder: %s", opts.Codec, msg)
	}
	return &Encoder{opts: opts, e: e}, nil
}

// Encode encodes f at pts (media time). Frames may be skipped (an
// unchanged screen): timing comes from pts alone. A keyframe comes when
// forceKey is set, first, and at least every KeyInterval of media time.
// The packets and their Data belong to the caller (the encoder keeps no
// reference): one allocation for the slice and one per packet.
func (enc *Encoder) Encode(f *capture.Frame, pts time.Duration, forceKey bool) ([]capture.Packet, error) {
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if enc.closed {
		return nil, capture.ErrClosed
	}
	w, h := enc.opts.Width, enc.opts.Height
	cw, ch := (w+1)/2, (h+1)/2
	if f == nil || f.Width != w || f.Height != h || len(f.Y) < w*h || len(f.U) < cw*ch || len(f.V) < cw*ch {
		return nil, fmt.Errorf("%w (%dx%d)", ErrFrameSize, w, h)
	}
	ms := pts.Milliseconds()
	if pts < 0 || (enc.started && ms <= enc.lastPTS.Milliseconds()) {
		return nil, fmt.Errorf("%w: %v after %v", ErrPTS, pts, enc.lastPTS)
	}
	if !enc.started || pts-enc.lastKey >= KeyInterval {
		forceKey = true
	}
	key := 0
	if forceKey {
		key = 1
	}
	dur := C.ulong(1000 / enc.opts.FPS)
	rc := C.enc_encode(enc.e, (*C.uint8_t)(&f.Y[0]), (*C.uint8_t)(&f.U[0]), (*C.uint8_t)(&f.V[0]),
		C.int(w), C.int(h), C.int64_t(ms), dur, C.int(key))
	if rc != 0 {
		return nil, fmt.Errorf("vpx: encode: %s", C.GoString(C.enc_error(enc.e)))
	}
	enc.started, enc.lastPTS = true, pts
	var pkts []capture.Packet
	for {
		p := C.enc_next(enc.e)
		if p.ok == 0 {
			break
		}
		pp := time.Duration(p.pts) * time.Millisecond
		if p.key != 0 {
			enc.lastKey = pp
		}
		data := make([]byte, int(p.size))
		copy(data, unsafe.Slice((*byte)(p.data), int(p.size)))
		if pkts == nil {
			pkts = make([]capture.Packet, 0, 1)
		}
		pkts = append(pkts, capture.Packet{Track: capture.TrackVideo, PTS: pp, Key: p.key != 0, Data: data})
	}
	return pkts, nil
}

// SetActive says which 16x16 macroblocks the next frames code (VP8's
// active map): active has one entry a macroblock, row by row, (Height+15)/16
// rows of (Width+15)/16; the others are copied from the last frame. nil
// makes every macroblock active again. A keyframe codes them all anyway.
func (enc *Encoder) SetActive(active []byte) error {
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if enc.closed {
		return capture.ErrClosed
	}
	rows, cols := (enc.opts.Height+15)/16, (enc.opts.Width+15)/16
	var p *C.uchar
	if active != nil {
		if len(active) != rows*cols {
			return fmt.Errorf("vpx: active map of %d, want %dx%d", len(active), rows, cols)
		}
		enc.active = append(enc.active[:0], active...)
		p = (*C.uchar)(C.CBytes(enc.active))
		defer C.free(unsafe.Pointer(p))
	}
	if rc := C.enc_active(enc.e, p, C.uint(rows), C.uint(cols)); rc != 0 {
		return fmt.Errorf("vpx: active map: %s", C.GoString(C.enc_error(enc.e)))
	}
	return nil
}

// Close frees the encoder. It is idempotent.
func (enc *Encoder) Close() error {
	enc.mu.Lock()
	defer enc.mu.Unlock()
	if enc.closed {
		return nil
	}
	enc.closed = true
	C.vpx_codec_destroy(&enc.e.ctx)
	C.free(unsafe.Pointer(enc.e))
	enc.e = nil
	return nil
}
