// Package x11 captures the real screen of an X display: one connection
// and one MIT-SHM segment kept open for the life of a Source, each frame
// copied by the server into shared memory and converted straight into
// I420 without allocating. Monitors and their bounds come from Xinerama,
// as kbinani/screenshot reads them. The X protocol is spoken by a small
// client of its own (wire.go): a general one allocates per request and
// logs to stderr, which a terminal desktop cannot have. With the X Damage
// extension only what was drawn since the last frame is read (damage.go),
// else the whole screen is read and compared (polling); the pointer's
// cursor is drawn in through XFixes (cursor.go).
package x11

import (
	"errors"
	"fmt"
	"image"
	"log"
	"os"
	"sync"
	"sync/atomic"

	"github.com/agentdesk/agentdesk/capture"
)

// The errors in words.
var (
	// ErrNoDisplay is returned when no display name is given and DISPLAY
	// is unset.
	ErrNoDisplay = errors.New("x11: no DISPLAY set")
	// ErrNoShm says the server cannot share memory with us (remote display,
	// another IPC namespace, extension off); Open falls back to plain
	// GetImage and logs it.
	ErrNoShm = errors.New("x11: MIT-SHM not available")
	// ErrBadMonitor is returned for a monitor index the display lacks.
	ErrBadMonitor = errors.New("x11: no such monitor")
)

// DefaultFPS is the frame rate when Options.FPS is zero.
const DefaultFPS = 5

// Options say what to capture.
type Options struct {
	// Monitors are the indexes (as Displays lists them) to capture: the
	// picture is the bounding box of their union. None means all of them
	// (the whole screen).
	Monitors []int
	// FPS is the frame rate the recorder should grab at (DefaultFPS when
	// zero). The source does not pace itself.
	FPS int
	// Scale divides the size: 1 (or 0) full size, 2 half, 3 a third. Each
	// output pixel averages Scale x Scale screen pixels.
	Scale int
	// NoShm forces plain GetImage even when MIT-SHM works.
	NoShm bool
	// NoDamage forces the polling path (the whole screen read and
	// compared every grab) even when the X Damage extension works.
	NoDamage bool
	// NoCursor leaves the pointer's cursor out of the frames.
	NoCursor bool
	// Log receives the one line saying MIT-SHM, Damage or the cursor is
	// not used; log.Default() when nil.
	Log *log.Logger
}

// DisplayInfo is one monitor of a display.
type DisplayInfo struct {
	Index  int
	Bounds image.Rectangle // in root window pixels
}

// Source is a capture.Screen on an X display.
type Source struct {
	fps    int
	scale  int
	rect   image.Rectangle // the captured area of the root window
	outW   int
	outH   int
	closed atomic.Bool

	mu    sync.Mutex // held by Grab and the end of Close
	w     *wire
	shm   *shmSeg // nil on the GetImage path
	shmOp byte    // MIT-SHM major opcode
	seg   uint32  // the segment's X id
	plain []byte  // GetImage buffer when not shm
	// prev holds the pixels of the last grab, compared with the new ones
	// band by band; dirty is what changed in each band this grab.
	prev   []byte
	dirty  []span
	primed bool
	// The frame the last conversion went to and a copy of its planes
	// after it: an unchanged screen into an untouched frame is not
	// converted again, a changed one only where it changed.
	lastDst *capture.Frame
	shadow  *capture.Frame

	// Damage (damage.go) and the cursor (cursor.go).
	fixOp    byte   // XFixes major opcode (0: not introduced)
	dmgOp    byte   // Damage major opcode (0: polling)
	dmgID    uint32 // the damage object
	dmgEvent byte   // DamageNotify's event code
	damaged  []bool // bands drawn on since the last grab
	need     []bool // bands read by this grab
	cur      *cursorState
	reads    int // image requests made (tests count them)
}

var _ capture.Screen = (*Source)(nil)

// resolveDisplay applies DISPLAY to an empty name.
func resolveDisplay(display string) (string, error) {
	if display == "" {
		display = os.Getenv("DISPLAY")
	}
	if display == "" {
		return "", ErrNoDisplay
	}
	return display, nil
}

// Displays lists the monitors of display ("" means $DISPLAY): Xinerama's
// screens (which a RandR server reports as its monitors), or the one root
// screen when Xinerama is off. They are the displays kbinani/screenshot
// enumerates, here with errors in words and any display, not only
// $DISPLAY.
func Displays(display string) ([]DisplayInfo, error) {
	display, err := resolveDisplay(display)
	if err != nil {
		return nil, err
	}
	w, err := dialWire(display)
	if err != nil {
		return nil, fmt.Errorf("x11: cannot open display %s: %w", display, err)
	}
	defer w.conn.Close()
	mons, err := w.monitors()
	if err != nil {
		return nil, fmt.Errorf("x11: %s: monitors: %w", display, err)
	}
	return mons, nil
}

// Open starts capturing display ("" means $DISPLAY).
func Open(display string, opts Options) (*Source, error) {
	display, err := resolveDisplay(display)
	if err != nil {
		return nil, err
	}
	if opts.Scale < 0 || opts.FPS < 0 {
		return nil, fmt.Errorf("x11: bad options: scale %d, fps %d", opts.Scale, opts.FPS)
	}
	s := &Source{fps: opts.FPS, scale: max(opts.Scale, 1)}
	if s.fps == 0 {
		s.fps = DefaultFPS
	}
	w, err := dialWire(display)
	if err != nil {
		return nil, fmt.Errorf("x11: cannot open display %s: %w", display, err)
	}
	mons, err := w.monitors()
	if err != nil {
		w.conn.Close()
		return nil, fmt.Errorf("x11: %s: monitors: %w", display, err)
	}
	rect, err := area(mons, opts.Monitors)
	if err != nil {
		w.conn.Close()
		return nil, err
	}
	s.w = w
	s.rect = rect.Intersect(image.Rect(0, 0, w.width, w.height))
	s.outW, s.outH = (s.rect.Dx()/s.scale)&^1, (s.rect.Dy()/s.scale)&^1
	if s.outW < 2 || s.outH < 2 {
		w.conn.Close()
		return nil, fmt.Errorf("x11: capture area %v too small at scale 1/%d", s.rect, s.scale)
	}
	// Only the pixels the output uses are fetched.
	s.rect = image.Rect(s.rect.Min.X, s.rect.Min.Y, s.rect.Min.X+s.outW*s.scale, s.rect.Min.Y+s.outH*s.scale)
	s.initChange()
	logger := opts.Log
	if logger == nil {
		logger = log.Default()
	}
	if err := s.initShm(opts.NoShm); err != nil {
		logger.Printf("x11: %s: MIT-SHM not available (%v); grabbing with plain GetImage", display, err)
		s.plain = make([]byte, s.rect.Dx()*s.rect.Dy()*4)
	}
	if !opts.NoCursor {
		if err := s.initCursor(); err != nil {
			logger.Printf("x11: %s: the cursor is not drawn into the video: %v", display, err)
		}
	}
	if !opts.NoDamage {
		if err := s.initDamage(); err != nil {
			s.dmgOp, s.damaged, s.w.event = 0, nil, nil
			logger.Printf("x11: %s: X Damage not available (%v); polling the whole screen", display, err)
		}
	}
	return s, nil
}

// area is the bounding box of the chosen monitors.
func area(mons []DisplayInfo, pick []int) (image.Rectangle, error) {
	if len(pick) == 0 {
		var r image.Rectangle
		for _, m := range mons {
			r = r.Union(m.Bounds)
		}
		return r, nil
	}
	var r image.Rectangle
	for _, i := range pick {
		if i < 0 || i >= len(mons) {
			return r, fmt.Errorf("%w: %d (the display has %d)", ErrBadMonitor, i, len(mons))
		}
		r = r.Union(mons[i].Bounds)
	}
	return r, nil
}

// initShm creates the segment, has the server attach it and proves it
// with one grab.
func (s *Source) initShm(off bool) error {
	if off {
		return errors.New("turned off by the options")
	}
	op, ok, err := s.w.queryExtension("MIT-SHM")
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoShm
	}
	seg, err := newShm(s.rect.Dx() * s.rect.Dy() * 4)
	if err != nil {
		return err
	}
	s.shmOp, s.seg = op, s.w.newID()
	if err := s.w.shmAttach(op, s.seg, uint32(seg.id)); err != nil {
		seg.free()
		return err
	}
	if err := s.w.shmGetImage(op, s.seg, s.rect.Min.X, s.rect.Min.Y, s.rect.Dx(), s.rect.Dy(), 0); err != nil {
		seg.free()
		return err
	}
	seg.unlink() // attached on both sides: gone from the system once both let go
	s.shm = seg
	return nil
}

// Size is the size of the frames Grab fills.
func (s *Source) Size() (w, h int) { return s.outW, s.outH }

// FPS is the configured frame rate.
func (s *Source) FPS() int { return s.fps }

// Bounds is the captured area of the root window, in screen pixels.
func (s *Source) Bounds() image.Rectangle { return s.rect }

// Shm reports whether frames come through shared memory.
func (s *Source) Shm() bool { return s.shm != nil }

// Grab fills dst with the screen as it is now (the cursor drawn in) and
// reports whether the pixels differ from the previous Grab. On the damage
// path only the bands drawn on since the last Grab are read; when nothing
// was, nothing is. It allocates nothing.
func (s *Source) Grab(dst *capture.Frame) (changed bool, err error) {
	if dst == nil || dst.Width != s.outW || dst.Height != s.outH {
		return false, fmt.Errorf("x11: frame size does not match the source (%dx%d)", s.outW, s.outH)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return false, capture.ErrClosed
	}
	px, err := s.read()
	if err != nil {
		if s.closed.Load() {
			return false, capture.ErrClosed
		}
		var xe *XError
		if errors.As(err, &xe) && xe.Code == 8 { // BadMatch: the area left the screen
			return false, fmt.Errorf("x11: grab: the area %v is no longer on the screen (resolution changed?): %w", s.rect, err)
		}
		return false, fmt.Errorf("x11: grab: %w", err)
	}
	return s.update(dst, px, s.rect.Dx()*4), nil
}

// Close ends the capture: the connection is closed first (a Grab blocked
// on the server ends with ErrClosed; the server lets go of the segment
// with the connection), then the segment is detached and freed. It is
// idempotent.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.w.conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shm != nil {
		s.shm.free()
		s.shm = nil
	}
	return err
}
