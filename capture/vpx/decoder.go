package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

typedef struct { vpx_codec_ctx_t ctx; } dec_t;

static int dec_open(dec_t *d, int vp9) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	return vpx_codec_dec_init(&d->ctx, vp9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx(), &cfg, 0);
}

static int dec_decode(dec_t *d, const uint8_t *data, unsigned int size) {
	return vpx_codec_decode(&d->ctx, data, size, NULL, 0);
}

// dec_frame is the last picture the last decode produced, or NULL.
static vpx_image_t *dec_frame(dec_t *d) {
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img, *last = NULL;
	while ((img = vpx_codec_get_frame(&d->ctx, &it)) != NULL) last = img;
	return last;
}

static const char *dec_error(dec_t *d) {
	const char *e = vpx_codec_error_detail(&d->ctx);
	return e ? e : vpx_codec_error(&d->ctx);
}

static uint8_t *plane(vpx_image_t *img, int i) { return img->planes[i]; }
static int stride(vpx_image_t *img, int i) { return img->stride[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/agentdesk/agentdesk/capture"
)

// ErrNoPicture is returned by Decode when the packet gave no picture.
var ErrNoPicture = errors.New("vpx: no picture decoded")

// Decoder turns VP8 or VP9 packets back into frames (tests and checks).
type Decoder struct {
	mu     sync.Mutex
	d      *C.dec_t
	closed bool
}

// NewDecoder opens a decoder for codec.
func NewDecoder(codec Codec) (*Decoder, error) {
	if codec > VP9 {
		return nil, fmt.Errorf("vpx: unknown codec %d", codec)
	}
	d := (*C.dec_t)(C.calloc(1, C.sizeof_dec_t))
	if d == nil {
		return nil, errors.New("vpx: out of memory")
	}
	vp9 := 0
	if codec == VP9 {
		vp9 = 1
	}
	if rc := C.dec_open(d, C.int(vp9)); rc != 0 {
		C.free(unsafe.Pointer(d))
		return nil, fmt.Errorf("vpx: open %v decoder: %s", codec, C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))))
	}
	return &Decoder{d: d}, nil
}

// Decode decodes one packet's data into a new frame.
func (dec *Decoder) Decode(data []byte) (*capture.Frame, error) {
	dec.mu.Lock()
	defer dec.mu.Unlock()
	if dec.closed {
		return nil, capture.ErrClosed
	}
	if len(data) == 0 {
		return nil, errors.New("vpx: decode: empty packet")
	}
	if rc := C.dec_decode(dec.d, (*C.uint8_t)(&data[0]), C.uint(len(data))); rc != 0 {
		return nil, fmt.Errorf("vpx: decode: %s", C.GoString(C.dec_error(dec.d)))
	}
	img := C.dec_frame(dec.d)
	if img == nil {
		return nil, ErrNoPicture
	}
	if img.fmt != C.VPX_IMG_FMT_I420 {
		return nil, fmt.Errorf("vpx: decode: picture format %d, want I420", img.fmt)
	}
	w, h := int(img.d_w), int(img.d_h)
	f := capture.NewFrame(w, h)
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(f.Y, w, h, C.plane(img, 0), int(C.stride(img, 0)))
	copyPlane(f.U, cw, ch, C.plane(img, 1), int(C.stride(img, 1)))
	copyPlane(f.V, cw, ch, C.plane(img, 2), int(C.stride(img, 2)))
	return f, nil
}

// copyPlane copies a w x h plane out of C memory with the given stride.
func copyPlane(dst []byte, w, h int, src *C.uint8_t, stride int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*stride+w)
	for y := 0; y < h; y++ {
		copy(dst[y*w:y*w+w], s[y*stride:y*stride+w])
	}
}

// Close frees the decoder. It is idempotent.
func (dec *Decoder) Close() error {
	dec.mu.Lock()
	defer dec.mu.Unlock()
	if dec.closed {
		return nil
	}
	dec.closed = true
	C.vpx_codec_destroy(&dec.d.ctx)
	C.free(unsafe.Pointer(dec.d))
	dec.d = nil
	return nil
}
