package x11

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The cursor is drawn into the frames as x11grab draws it: XFixes
// GetCursorImage gives the pointer's position and its cursor's picture
// (premultiplied ARGB), asked once a grab. The picture is blended into the
// grabbed pixels, so change detection and conversion see it like anything
// else on the screen; the bands it covered are read again when it moves,
// changes or is drawn over.

// XFixes' requests (minor opcodes).
const (
	xfixesQueryVersion   = 0
	xfixesGetCursorImage = 4
)

// maxCursor is the largest cursor picture drawn (256 x 256); a larger
// one is left out.
const maxCursor = 256 * 256 * 4

// cursorState is the pointer's cursor as last asked and as last drawn.
type cursorState struct {
	img []byte // the picture, premultiplied ARGB little-endian (B, G, R, A)

	x, y, w, h int    // where the picture is now (screen pixels); w 0: none
	serial     uint32 // the cursor's serial number

	drawn          bool // a picture is blended in the pixels
	dx, dy, dw, dh int  // where
	dserial        uint32
}

// initXFixes introduces the client to XFixes (version 4).
func (s *Source) initXFixes() error {
	op, ok, err := s.w.queryExtension("XFIXES")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the X server has no XFIXES extension")
	}
	le := binary.LittleEndian
	r := s.w.req[:12]
	r[0], r[1] = op, xfixesQueryVersion
	le.PutUint16(r[2:], 3)
	le.PutUint32(r[4:], 4)
	le.PutUint32(r[8:], 0)
	if err := s.w.send(12); err != nil {
		return err
	}
	if _, err := s.w.reply(nil); err != nil {
		return fmt.Errorf("xfixes version: %w", err)
	}
	if le.Uint32(s.w.rep[8:]) < 1 {
		return errors.New("XFixes too old for cursor pictures")
	}
	s.fixOp = op
	return nil
}

// initCursor turns the cursor on; it fails without XFixes.
func (s *Source) initCursor() error {
	if s.fixOp == 0 {
		if err := s.initXFixes(); err != nil {
			return err
		}
	}
	s.cur = &cursorState{img: make([]byte, maxCursor)}
	return nil
}

// fetchCursor asks where the cursor is and what it looks like.
func (s *Source) fetchCursor() error {
	s.w.req[0], s.w.req[1], s.w.req[2], s.w.req[3] = s.fixOp, xfixesGetCursorImage, 1, 0
	if err := s.w.send(4); err != nil {
		return err
	}
	n, err := s.w.reply(s.cur.img)
	c, le := s.cur, binary.LittleEndian
	if errors.Is(err, errReplyTooLong) {
		c.w = 0 // too large to draw
		return nil
	}
	if err != nil {
		return err
	}
	rep := s.w.rep[:]
	w, h := int(le.Uint16(rep[12:])), int(le.Uint16(rep[14:]))
	if w*h*4 > n {
		w, h = 0, 0
	}
	c.x = int(int16(le.Uint16(rep[8:]))) - int(le.Uint16(rep[16:]))
	c.y = int(int16(le.Uint16(rep[10:]))) - int(le.Uint16(rep[18:]))
	c.w, c.h, c.serial = w, h, le.Uint32(rep[20:])
	return nil
}

// cursorBands adds to s.need the bands the cursor leaves or enters, and
// all of its bands when any of them is read anyway (the picture is then
// blended again over fresh pixels).
func (s *Source) cursorBands() {
	c := s.cur
	if c == nil {
		return
	}
	moved := c.drawn != (c.w > 0) || c.drawn && (c.x != c.dx || c.y != c.dy || c.w != c.dw || c.h != c.dh || c.serial != c.dserial)
	if moved && c.drawn {
		s.markRows(s.need, c.dx, c.dy, c.dw, c.dh)
	}
	if c.w == 0 {
		return
	}
	if moved || s.anyRows(s.need, c.x, c.y, c.w, c.h) {
		s.markRows(s.need, c.x, c.y, c.w, c.h)
	}
}

// anyRows reports whether mask has any band of screen rectangle (x, y,
// w, h).
func (s *Source) anyRows(mask []bool, x, y, w, h int) bool {
	if x >= s.rect.Max.X || x+w <= s.rect.Min.X {
		return false
	}
	y0, y1 := max(y, s.rect.Min.Y)-s.rect.Min.Y, min(y+h, s.rect.Max.Y)-s.rect.Min.Y
	rows := bandRows * s.scale
	for b := max(y0, 0) / rows; y0 < y1 && b <= (y1-1)/rows && b < len(mask); b++ {
		if mask[b] {
			return true
		}
	}
	return false
}

// drawCursor blends the cursor's picture into px (the area's pixels,
// stride bytes a row) when its bands were just read.
func (s *Source) drawCursor(px []byte, stride int) {
	c := s.cur
	if c == nil {
		return
	}
	if c.w == 0 {
		c.drawn = false
		return
	}
	if !s.anyRows(s.need, c.x, c.y, c.w, c.h) {
		return // still blended from before, over pixels not read again
	}
	c.drawn, c.dx, c.dy, c.dw, c.dh, c.dserial = true, c.x, c.y, c.w, c.h, c.serial
	blendCursor(px, stride, s.rect.Min.X, s.rect.Min.Y, s.rect.Dx(), s.rect.Dy(), c.img, c.x, c.y, c.w, c.h)
}

// blendCursor blends the premultiplied ARGB picture img (w x h at screen
// (x, y)) over px, the BGRX pixels of the area whose top-left is (ox, oy)
// and size aw x ah.
func blendCursor(px []byte, stride, ox, oy, aw, ah int, img []byte, x, y, w, h int) {
	for j := max(0, oy-y); j < h && y+j < oy+ah; j++ {
		row := px[(y+j-oy)*stride:]
		src := img[j*w*4:]
		for i := max(0, ox-x); i < w && x+i < ox+aw; i++ {
			p := src[i*4 : i*4+4 : i*4+4]
			a := uint32(p[3])
			if a == 0 {
				continue
			}
			d := row[(x+i-ox)*4 : (x+i-ox)*4+3 : (x+i-ox)*4+3]
			if a == 255 {
				d[0], d[1], d[2] = p[0], p[1], p[2]
				continue
			}
			k := 255 - a
			d[0] = byte(min(uint32(p[0])+(uint32(d[0])*k+127)/255, 255))
			d[1] = byte(min(uint32(p[1])+(uint32(d[1])*k+127)/255, 255))
			d[2] = byte(min(uint32(p[2])+(uint32(d[2])*k+127)/255, 255))
		}
	}
}
