package x11

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// The X Damage extension tells a client which rectangles of a drawable
// were drawn on. A Source that has it creates one damage object on the
// root window at the delta-rectangles level: drawing anywhere on the
// screen (the root's inferiors included) that adds to the damaged region
// sends a DamageNotify event with the rectangle added. Before each grab
// one round trip (the cursor request, or GetInputFocus without XFixes)
// brings every event of what was drawn until then, and a DamageSubtract
// empties the region, so what is drawn again over an area already
// damaged costs no event until then (a scrolling terminal repaints the
// same area twenty times a second: at the raw level each drawing was an
// event, which cost the X server more than reading the whole screen). The
// bands the rectangles touch are the only ones read through MIT-SHM,
// compared and converted. When nothing was drawn nothing is read.
//
// Without the extension (or with Options.NoDamage) the Source polls: the
// whole area is read every grab and compared band by band.

// Damage's requests (minor opcodes) and report level.
const (
	damageQueryVersion = 0
	damageCreate       = 1
	damageSubtract     = 3
	damageDeltaRects   = 1 // DamageReportDeltaRectangles
)

// Path says how a Source learns what changed on the screen.
type Path string

// The paths.
const (
	// PathDamage reads only what the X Damage extension says was drawn.
	PathDamage Path = "damage"
	// PathPolling reads the whole screen every grab and compares it.
	PathPolling Path = "polling"
)

// initDamage asks for DamageNotify events of the root window. It returns
// why not when the server lacks the extension (the Source then polls).
func (s *Source) initDamage() error {
	op, ev, ok, err := s.w.queryExtensionEvents("DAMAGE")
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the X server has no DAMAGE extension")
	}
	// XFixes must be introduced first: Damage uses its regions.
	if s.fixOp == 0 {
		if err := s.initXFixes(); err != nil {
			return fmt.Errorf("damage needs XFixes: %w", err)
		}
	}
	le := binary.LittleEndian
	r := s.w.req[:12]
	r[0], r[1] = op, damageQueryVersion
	le.PutUint16(r[2:], 3)
	le.PutUint32(r[4:], 1)
	le.PutUint32(r[8:], 1)
	if err := s.w.send(12); err != nil {
		return err
	}
	if _, err := s.w.reply(nil); err != nil {
		return fmt.Errorf("damage version: %w", err)
	}
	id := s.w.newID()
	r = s.w.req[:16]
	clear(r)
	r[0], r[1] = op, damageCreate
	le.PutUint16(r[2:], 4)
	le.PutUint32(r[4:], id)
	le.PutUint32(r[8:], s.w.root)
	r[12] = damageDeltaRects
	if err := s.w.send(16); err != nil {
		return err
	}
	s.dmgEvent = ev
	s.w.event = s.onEvent
	s.damaged = make([]bool, len(s.dirty))
	s.dmgOp, s.dmgID = op, id
	// A round trip: an error creating the damage shows here, not at the
	// first grab.
	return s.roundTrip()
}

// onEvent marks the bands a DamageNotify rectangle touches.
func (s *Source) onEvent(ev []byte) {
	if ev[0]&0x7f != s.dmgEvent || s.damaged == nil {
		return
	}
	le := binary.LittleEndian
	y := int(int16(le.Uint16(ev[18:])))
	h := int(le.Uint16(ev[22:]))
	x := int(int16(le.Uint16(ev[16:])))
	w := int(le.Uint16(ev[20:]))
	s.markRows(s.damaged, x, y, w, h)
}

// markRows marks in mask the bands that screen rectangle (x, y, w, h)
// touches.
func (s *Source) markRows(mask []bool, x, y, w, h int) {
	if x >= s.rect.Max.X || x+w <= s.rect.Min.X {
		return
	}
	y0, y1 := max(y, s.rect.Min.Y)-s.rect.Min.Y, min(y+h, s.rect.Max.Y)-s.rect.Min.Y
	if y0 >= y1 {
		return
	}
	rows := bandRows * s.scale
	for b := y0 / rows; b <= (y1-1)/rows && b < len(mask); b++ {
		mask[b] = true
	}
}

// roundTrip waits for the reply to GetInputFocus: every event sent
// before it has been handled.
func (s *Source) roundTrip() error {
	s.w.req[0], s.w.req[1], s.w.req[2], s.w.req[3] = 43, 0, 1, 0
	if err := s.w.send(4); err != nil {
		return err
	}
	_, err := s.w.reply(nil)
	return err
}

// Path says whether the Source reads what Damage reports or polls.
func (s *Source) Path() Path {
	if s.dmgOp != 0 {
		return PathDamage
	}
	return PathPolling
}

// Cursor reports whether the pointer's cursor is drawn into the frames.
func (s *Source) Cursor() bool { return s.cur != nil }

// read brings the grabbed pixels up to date: the whole area on the first
// grab and when polling, else only the bands damaged since the last one
// (and those the cursor left or entered). It sets s.need to the bands
// read and returns the pixels.
func (s *Source) read() ([]byte, error) {
	if s.dmgOp != 0 || s.cur != nil {
		if err := s.sync(); err != nil {
			return nil, err
		}
	}
	if s.dmgOp != 0 {
		if err := s.subtract(); err != nil {
			return nil, err
		}
	}
	stride := s.rect.Dx() * 4
	whole := !s.primed || s.dmgOp == 0
	if whole {
		for b := range s.need {
			s.need[b] = true
		}
	} else {
		copy(s.need, s.damaged)
	}
	clear(s.damaged)
	s.cursorBands()
	px := s.plain
	if s.shm != nil {
		px = s.shm.data[:s.rect.Dy()*stride]
	}
	rows := bandRows * s.scale
	for b := 0; b < len(s.need); {
		if !s.need[b] {
			b++
			continue
		}
		e := b
		for e < len(s.need) && s.need[e] {
			e++
		}
		y0, y1 := b*rows, min(e*rows, s.rect.Dy())
		var err error
		if s.shm != nil {
			err = s.w.shmGetImage(s.shmOp, s.seg, s.rect.Min.X, s.rect.Min.Y+y0, s.rect.Dx(), y1-y0, y0*stride)
		} else {
			err = s.w.getImage(s.plain[y0*stride:y1*stride], s.rect.Min.X, s.rect.Min.Y+y0, s.rect.Dx(), y1-y0)
		}
		if err != nil {
			return nil, err
		}
		s.reads++
		b = e
	}
	s.drawCursor(px, stride)
	return px, nil
}

// subtract empties the damage region: what is drawn from now on sends
// events again. (Drawing between the sync's reply and this request has
// sent its events already; they come with the next sync.)
func (s *Source) subtract() error {
	le := binary.LittleEndian
	r := s.w.req[:16]
	clear(r)
	r[0], r[1] = s.dmgOp, damageSubtract
	le.PutUint16(r[2:], 4)
	le.PutUint32(r[4:], s.dmgID)
	return s.w.send(16)
}

// sync makes the round trip that collects the damage events: the cursor
// request when the cursor is drawn, else GetInputFocus.
func (s *Source) sync() error {
	if s.cur != nil {
		return s.fetchCursor()
	}
	return s.roundTrip()
}

// Describe says in words how the Source grabs, for `agentdesk doctor`:
// the path (damage or polling), the transport (MIT-SHM or GetImage) and
// whether the cursor is drawn in.
func (s *Source) Describe() string {
	how := "damage: reads only what X Damage reports as drawn"
	if s.dmgOp == 0 {
		how = "polling: reads and compares the whole screen every frame (no X Damage)"
	}
	if s.shm != nil {
		how += ", through MIT-SHM"
	} else {
		how += ", through plain GetImage (no MIT-SHM)"
	}
	if s.cur != nil {
		return how + ", cursor drawn in"
	}
	return how + ", no cursor (no XFixes)"
}

// Changed appends to dst the rectangles (in frame pixels) that the last
// Grab found changed, band by band, and returns it: what an encoder's
// active map may be made of.
func (s *Source) Changed(dst []image.Rectangle) []image.Rectangle {
	s.mu.Lock()
	defer s.mu.Unlock()
	for b, sp := range s.dirty {
		if sp.x0 < sp.x1 {
			dst = append(dst, image.Rect(sp.x0, b*bandRows, sp.x1, min((b+1)*bandRows, s.outH)))
		}
	}
	return dst
}
