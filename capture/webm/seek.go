package webm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/at-wat/ebml-go"
	mkv "github.com/at-wat/ebml-go/webm"
)

// Level-1 element ids, as the SeekHead names them.
const (
	idInfo     = "\x15\x49\xA9\x66"
	idTracks   = "\x16\x54\xAE\x6B"
	idChapters = "\x10\x43\xA7\x70"
	idTags     = "\x12\x54\xC3\x67"
	idCues     = "\x1C\x53\xBB\x6B"
	idAttach   = "\x19\x41\xA4\x69"
)

// countWriter counts what goes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type seek struct {
	SeekID       []byte `ebml:"SeekID"`
	SeekPosition uint64 `ebml:"SeekPosition,size=8"`
}

// finishSeekable writes the Cues, then goes back to fill in the SeekHead
// and the Segment's size, and returns to the end.
func finishSeekable(w *countWriter, ws io.WriteSeeker, lay layout, cues []mkv.CuePoint) error {
	if len(cues) > 0 {
		at := w.n
		if err := ebml.Marshal(&struct {
			Cues mkv.Cues `ebml:"Cues"`
		}{mkv.Cues{CuePoint: cues}}, w); err != nil {
			return fmt.Errorf("webm: cues: %w", err)
		}
		lay.elems = append(lay.elems, seekEntry{idCues, at})
	}
	end := w.n
	var sh struct {
		SeekHead struct {
			Seek []seek `ebml:"Seek"`
		} `ebml:"SeekHead"`
	}
	for _, e := range lay.elems {
		sh.SeekHead.Seek = append(sh.SeekHead.Seek, seek{[]byte(e.id), uint64(e.pos - lay.segStart)})
	}
	var buf bytes.Buffer
	if err := ebml.Marshal(&sh, &buf); err != nil {
		return fmt.Errorf("webm: seekhead: %w", err)
	}
	if buf.Len()+9 > seekRoom {
		return nil // cannot happen with six entries; the file stays valid without
	}
	buf.Write(voidElement(seekRoom - buf.Len()))
	size := make([]byte, 8)
	binary.BigEndian.PutUint64(size, uint64(end-lay.segStart))
	size[0] = 0x01
	for _, patch := range []struct {
		at int64
		b  []byte
	}{{lay.seekAt, buf.Bytes()}, {lay.sizeAt, size}} {
		if _, err := ws.Seek(lay.base+patch.at, io.SeekStart); err != nil {
			return fmt.Errorf("webm: seek: %w", err)
		}
		if _, err := ws.Write(patch.b); err != nil {
			return fmt.Errorf("webm: %w", err)
		}
	}
	if _, err := ws.Seek(lay.base+end, io.SeekStart); err != nil {
		return fmt.Errorf("webm: seek: %w", err)
	}
	return nil
}

// voidElement is a Void element of exactly n bytes (n >= 9).
func voidElement(n int) []byte {
	b := make([]byte, n)
	b[0] = 0xEC
	binary.BigEndian.PutUint64(b[1:9], uint64(n-9))
	b[1] = 0x01
	return b
}
