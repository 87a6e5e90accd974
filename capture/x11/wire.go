package x11

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"net"
	"strings"
	"time"
)

// wire is a minimal X11 protocol client for the hot path: the handful of
// requests a grab needs, written from and read into buffers allocated
// once. A general client (xgb) allocates a cookie, channels and a reply
// per request; this one allocates nothing per frame.
type wire struct {
	conn net.Conn
	seq  uint16 // sequence number of the last request sent

	idBase, idMask uint32
	nextID         uint32

	root          uint32
	width, height int // root window size in pixels
	depth         byte
	bpp           byte

	req [64]byte // request scratch
	rep [32]byte // reply header scratch

	// event, when set, sees each event (its 32 bytes) that arrives while
	// a reply is awaited; it must not retain the slice.
	event func(ev []byte)
}

// ioTimeout bounds one round trip: a server that stops answering fails
// the grab instead of hanging the recorder.
const ioTimeout = 5 * time.Second

// dialWire connects to the display and does the setup handshake.
func dialWire(name string) (*wire, error) {
	network, addr, host, dispNum, screen, err := displayAddr(name)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout(network, addr, ioTimeout)
	if err != nil {
		return nil, err
	}
	w := &wire{conn: conn}
	authName, authData := readAuthority(host, dispNum)
	if err := w.setup(authName, authData, screen); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

func pad4(n int) int { return (n + 3) &^ 3 }

// setup sends the connection setup and parses the reply: resource ids,
// the screen's root window, size and pixel format.
func (w *wire) setup(authName string, authData []byte, screen int) error {
	le := binary.LittleEndian
	buf := make([]byte, 12+pad4(len(authName))+pad4(len(authData)))
	buf[0] = 'l'
	le.PutUint16(buf[2:], 11)
	le.PutUint16(buf[6:], uint16(len(authName)))
	le.PutUint16(buf[8:], uint16(len(authData)))
	copy(buf[12:], authName)
	copy(buf[12+pad4(len(authName)):], authData)
	_ = w.conn.SetDeadline(time.Now().Add(ioTimeout))
	defer w.conn.SetDeadline(time.Time{})
	if _, err := w.conn.Write(buf); err != nil {
		return err
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(w.conn, head); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	body := make([]byte, int(le.Uint16(head[6:]))*4)
	if _, err := io.ReadFull(w.conn, body); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if head[0] != 1 {
		reason := body
		if n := int(head[1]); head[0] == 0 && n <= len(body) {
			reason = body[:n]
		}
		return fmt.Errorf("connection refused by the server: %s", strings.TrimSpace(string(reason)))
	}
	return w.parseSetup(body, screen)
}

var errShortSetup = errors.New("short setup reply")

// parseSetup reads the setup reply after its 8-byte header.
func (w *wire) parseSetup(b []byte, screen int) error {
	le := binary.LittleEndian
	if len(b) < 32 {
		return errShortSetup
	}
	w.idBase, w.idMask = le.Uint32(b[4:]), le.Uint32(b[8:])
	vendorLen := int(le.Uint16(b[16:]))
	nScreens, nFormats := int(b[20]), int(b[21])
	if b[22] != 0 {
		return errors.New("server sends images most significant byte first (unsupported)")
	}
	if screen >= nScreens {
		return fmt.Errorf("no screen %d (the server has %d)", screen, nScreens)
	}
	off := 32 + pad4(vendorLen)
	bppOf := map[byte]byte{}
	for i := 0; i < nFormats; i++ {
		if off+8 > len(b) {
			return errShortSetup
		}
		bppOf[b[off]] = b[off+1]
		off += 8
	}
	for s := 0; ; s++ {
		if off+40 > len(b) {
			return errShortSetup
		}
		scr := b[off:]
		if s == screen {
			w.root = le.Uint32(scr[0:])
			w.width, w.height = int(le.Uint16(scr[20:])), int(le.Uint16(scr[22:]))
			w.depth, w.bpp = scr[38], bppOf[scr[38]]
			return w.checkVisual(scr, le.Uint32(scr[32:]))
		}
		n, err := screenLen(scr)
		if err != nil {
			return err
		}
		off += n
	}
}

// screenLen is the length of one SCREEN in the setup reply.
func screenLen(scr []byte) (int, error) {
	off := 40
	for d := 0; d < int(scr[39]); d++ {
		if off+8 > len(scr) {
			return 0, errShortSetup
		}
		off += 8 + 24*int(binary.LittleEndian.Uint16(scr[off+2:]))
	}
	return off, nil
}

// checkVisual makes sure the root's pixels are 32-bit BGRX, the layout
// the converter reads.
func (w *wire) checkVisual(scr []byte, visual uint32) error {
	le := binary.LittleEndian
	if w.bpp != 32 || (w.depth != 24 && w.depth != 32) {
		return fmt.Errorf("unsupported pixel format: depth %d, %d bits per pixel (want 24 in 32)", w.depth, w.bpp)
	}
	off := 40
	for d := 0; d < int(scr[39]); d++ {
		if off+8 > len(scr) {
			return errShortSetup
		}
		n := int(le.Uint16(scr[off+2:]))
		off += 8
		for v := 0; v < n; v++ {
			if off+24 > len(scr) {
				return errShortSetup
			}
			vt := scr[off:]
			if le.Uint32(vt) == visual {
				r, g, bl := le.Uint32(vt[8:]), le.Uint32(vt[12:]), le.Uint32(vt[16:])
				if r != 0xff0000 || g != 0xff00 || bl != 0xff {
					return fmt.Errorf("unsupported colour masks %06x/%06x/%06x", r, g, bl)
				}
				return nil
			}
			off += 24
		}
	}
	return errors.New("root visual not found in the setup reply")
}

// newID hands out the next resource id of this client.
func (w *wire) newID() uint32 {
	w.nextID++
	return w.idBase | (w.nextID & w.idMask)
}

// send writes n bytes of w.req as one request.
func (w *wire) send(n int) error {
	w.seq++
	_ = w.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	_, err := w.conn.Write(w.req[:n])
	return err
}

// XError is an error the X server answered a request with.
type XError struct {
	Code         byte
	Major, Minor byte
	Value        uint32
}

// Error says which request failed and how.
func (e *XError) Error() string {
	return fmt.Sprintf("X error %d (request %d.%d, value %#x)", e.Code, e.Major, e.Minor, e.Value)
}

// reply reads until the reply to the last request: its 32-byte header
// goes to w.rep and its extra data, if any, to data (extra beyond len(data)
// is an error). Events are skipped; an X error is returned as *XError. It
// returns the number of extra bytes read.
func (w *wire) reply(data []byte) (int, error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	for {
		if _, err := io.ReadFull(w.conn, w.rep[:]); err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		switch w.rep[0] {
		case 0:
			return 0, &XError{Code: w.rep[1], Major: w.rep[10], Minor: w.rep[8], Value: le.Uint32(w.rep[4:])}
		case 1:
			extra := int(le.Uint32(w.rep[4:])) * 4
			if extra > len(data) {
				// Read it all, so the connection stays in step.
				if _, err := io.ReadFull(w.conn, data); err != nil {
					return 0, err
				}
				if err := w.skip(extra - len(data)); err != nil {
					return 0, err
				}
				if le.Uint16(w.rep[2:]) != w.seq {
					continue
				}
				return len(data), fmt.Errorf("%w: reply of %d bytes, room for %d", errReplyTooLong, extra, len(data))
			}
			if _, err := io.ReadFull(w.conn, data[:extra]); err != nil {
				return 0, err
			}
			if le.Uint16(w.rep[2:]) != w.seq {
				continue // a reply to an earlier request: not ours to wait for
			}
			return extra, nil
		case 35: // GenericEvent carries extra data
			if err := w.skip(int(le.Uint32(w.rep[4:])) * 4); err != nil {
				return 0, err
			}
		default:
			if w.event != nil {
				w.event(w.rep[:])
			}
		}
	}
}

// errReplyTooLong is returned by reply for a reply larger than its
// buffer: the part that fits was read, the rest skipped.
var errReplyTooLong = errors.New("reply too long")

func (w *wire) skip(n int) error {
	_, err := io.CopyN(io.Discard, w.conn, int64(n))
	return err
}

// queryExtension returns the major opcode of the named extension, or
// present=false.
func (w *wire) queryExtension(name string) (major byte, present bool, err error) {
	major, _, present, err = w.queryExtensionEvents(name)
	return major, present, err
}

// queryExtensionEvents is queryExtension with the extension's first event
// code.
func (w *wire) queryExtensionEvents(name string) (major, firstEvent byte, present bool, err error) {
	n := 8 + pad4(len(name))
	if n > len(w.req) {
		return 0, 0, false, errors.New("extension name too long")
	}
	clear(w.req[:n])
	w.req[0] = 98
	binary.LittleEndian.PutUint16(w.req[2:], uint16(n/4))
	binary.LittleEndian.PutUint16(w.req[4:], uint16(len(name)))
	copy(w.req[8:], name)
	if err := w.send(n); err != nil {
		return 0, 0, false, err
	}
	if _, err := w.reply(nil); err != nil {
		return 0, 0, false, err
	}
	return w.rep[9], w.rep[10], w.rep[8] == 1, nil
}

// monitors lists Xinerama's screens (RandR monitors on a modern server),
// or the whole root when Xinerama is absent or off.
func (w *wire) monitors() ([]DisplayInfo, error) {
	whole := []DisplayInfo{{Index: 0, Bounds: image.Rect(0, 0, w.width, w.height)}}
	op, ok, err := w.queryExtension("XINERAMA")
	if err != nil || !ok {
		return whole, err
	}
	short := func(minor byte) error {
		w.req[0], w.req[1], w.req[2], w.req[3] = op, minor, 1, 0
		return w.send(4)
	}
	if err := short(4); err != nil { // IsActive
		return nil, err
	}
	if _, err := w.reply(nil); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(w.rep[8:]) == 0 {
		return whole, nil
	}
	if err := short(5); err != nil { // QueryScreens
		return nil, err
	}
	buf := make([]byte, 8*1024)
	n, err := w.reply(buf)
	if err != nil {
		return nil, err
	}
	count := min(int(binary.LittleEndian.Uint32(w.rep[8:])), n/8)
	if count == 0 {
		return whole, nil
	}
	out := make([]DisplayInfo, count)
	for i := range out {
		b := buf[i*8:]
		x, y := int(int16(binary.LittleEndian.Uint16(b))), int(int16(binary.LittleEndian.Uint16(b[2:])))
		out[i] = DisplayInfo{Index: i, Bounds: image.Rect(x, y, x+int(binary.LittleEndian.Uint16(b[4:])), y+int(binary.LittleEndian.Uint16(b[6:])))}
	}
	return out, nil
}

// shmAttach asks the server to attach SysV segment shmid as seg.
func (w *wire) shmAttach(major byte, seg, shmid uint32) error {
	le := binary.LittleEndian
	clear(w.req[:16])
	w.req[0], w.req[1] = major, 1
	le.PutUint16(w.req[2:], 4)
	le.PutUint32(w.req[4:], seg)
	le.PutUint32(w.req[8:], shmid)
	return w.send(16)
}

// shmGetImage copies the root's rectangle into segment seg at byte offset
// off as ZPixmap (rows of width*4 bytes) and waits until it is there.
func (w *wire) shmGetImage(major byte, seg uint32, x, y, width, height, off int) error {
	le := binary.LittleEndian
	r := w.req[:32]
	clear(r)
	r[0], r[1] = major, 4
	le.PutUint16(r[2:], 8)
	le.PutUint32(r[4:], w.root)
	le.PutUint16(r[8:], uint16(x))
	le.PutUint16(r[10:], uint16(y))
	le.PutUint16(r[12:], uint16(width))
	le.PutUint16(r[14:], uint16(height))
	le.PutUint32(r[16:], 0xffffffff)
	r[20] = 2 // ZPixmap
	le.PutUint32(r[24:], seg)
	le.PutUint32(r[28:], uint32(off))
	if err := w.send(32); err != nil {
		return err
	}
	_, err := w.reply(nil)
	return err
}

// getImage is the plain GetImage: the pixels come over the socket into
// data, which must hold width*height*4 bytes.
func (w *wire) getImage(data []byte, x, y, width, height int) error {
	le := binary.LittleEndian
	r := w.req[:20]
	clear(r)
	r[0], r[1] = 73, 2 // GetImage, ZPixmap
	le.PutUint16(r[2:], 5)
	le.PutUint32(r[4:], w.root)
	le.PutUint16(r[8:], uint16(x))
	le.PutUint16(r[10:], uint16(y))
	le.PutUint16(r[12:], uint16(width))
	le.PutUint16(r[14:], uint16(height))
	le.PutUint32(r[16:], 0xffffffff)
	if err := w.send(20); err != nil {
		return err
	}
	n, err := w.reply(data)
	if err == nil && n < width*height*4 {
		err = fmt.Errorf("image of %d bytes, want %d", n, width*height*4)
	}
	return err
}
