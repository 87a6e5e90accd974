package spool

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// Recording is what Recover found in a spool: the header, the marks, a
// count of the packets and where the good part ends. The packets stay in
// the file: read them in order with Cursor.
type Recording struct {
	Header Header
	Marks  []capture.Mark
	// Video and Audio count the packets of each track, Terminal those of
	// the text desktop (capture.TrackTerminal).
	Video, Audio, Terminal int
	// Duration is the largest packet time stamp seen.
	Duration time.Duration
	// Size is the length of the good part; Dropped the bytes after it
	// (a torn last record, or garbage).
	Size, Dropped int64
	// Stopped says why reading stopped early (nil at a clean end).
	Stopped error

	src  io.ReaderAt
	file *os.File
}

// Recover opens the spool at path and reads it up to its first torn or
// corrupt record. It fails only when the file cannot be read or has no
// valid header; damage after the header is reported in Stopped and
// Dropped. Close the Recording when done.
func Recover(path string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	r, err := Read(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	r.file = f
	return r, nil
}

// Read is Recover on any random-access source of size bytes.
func Read(src io.ReaderAt, size int64) (*Recording, error) {
	rr := newRecordReader(src, size)
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(rr.br, magic); err != nil || string(magic) != Magic {
		return nil, ErrNotSpool
	}
	rr.off = int64(len(Magic))
	rec, err := rr.next()
	if err != nil || rec.typ != recHeader {
		return nil, fmt.Errorf("%w: no valid header", ErrNotSpool)
	}
	r := &Recording{src: src}
	if err := json.Unmarshal(rec.data, &r.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrNotSpool, err)
	}
	for {
		rec, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.Stopped = err
			break
		}
		switch rec.typ {
		case recPacket:
			switch capture.Track(rec.track) {
			case capture.TrackVideo:
				r.Video++
			case capture.TrackAudio:
				r.Audio++
			case capture.TrackTerminal:
				r.Terminal++
				continue // the media's length is the screen's and the voice's
			}
			r.Duration = max(r.Duration, rec.pts)
		case recMark:
			r.Marks = append(r.Marks, capture.Mark{Kind: capture.MarkKind(rec.flags), PTS: rec.pts, Text: string(rec.data)})
		}
	}
	r.Size = rr.off
	r.Dropped = size - rr.off
	return r, nil
}

// Close releases the file. It is idempotent.
func (r *Recording) Close() error {
	if r.file == nil {
		return nil
	}
	err := r.file.Close()
	r.file = nil
	return err
}

// Cursor reads the packets of one track in spool order (which is time
// order within a track).
type Cursor struct {
	rr    *recordReader
	track capture.Track
}

// Cursor starts reading the packets of track from the beginning. Several
// cursors may read at once.
func (r *Recording) Cursor(track capture.Track) *Cursor {
	rr := newRecordReader(io.NewSectionReader(r.src, 0, r.Size), r.Size)
	rr.skip(len(Magic))
	_, _ = rr.next() // the header, already checked
	return &Cursor{rr: rr, track: track}
}

// Next returns the next packet of the cursor's track, or io.EOF. The
// packet's Data is valid until the next call.
func (c *Cursor) Next() (capture.Packet, error) {
	for {
		rec, err := c.rr.next()
		if err != nil {
			return capture.Packet{}, err
		}
		if rec.typ == recPacket && capture.Track(rec.track) == c.track {
			return capture.Packet{Track: c.track, PTS: rec.pts, Key: rec.flags&flagKey != 0, Data: rec.data}, nil
		}
	}
}

type record struct {
	typ, track, flags byte
	pts               time.Duration
	data              []byte
}

// recordReader reads whole, checked records from the start of a source.
type recordReader struct {
	br   *bufio.Reader
	off  int64 // offset after the last whole record
	size int64
	buf  []byte
}

func newRecordReader(src io.ReaderAt, size int64) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(io.NewSectionReader(src, 0, size), 64<<10), size: size}
}

func (rr *recordReader) skip(n int) {
	_, _ = rr.br.Discard(n)
	rr.off += int64(n)
}

// next returns the next record, io.EOF at a clean end, or an error
// wrapping ErrCorrupt at a torn or damaged one.
func (rr *recordReader) next() (record, error) {
	if rr.off == rr.size {
		return record{}, io.EOF
	}
	var head [recHead]byte
	if _, err := io.ReadFull(rr.br, head[:]); err != nil {
		return record{}, fmt.Errorf("%w at byte %d: torn head", ErrCorrupt, rr.off)
	}
	n := binary.LittleEndian.Uint32(head[4:8])
	if n > MaxRecord || int64(n) > rr.size-rr.off-recHead-recTail {
		return record{}, fmt.Errorf("%w at byte %d: length %d past the end", ErrCorrupt, rr.off, n)
	}
	need := recHead + int(n) + recTail
	if cap(rr.buf) < need {
		rr.buf = make([]byte, need)
	}
	b := rr.buf[:need]
	copy(b, head[:])
	if _, err := io.ReadFull(rr.br, b[recHead:]); err != nil {
		return record{}, fmt.Errorf("%w at byte %d: torn data", ErrCorrupt, rr.off)
	}
	body := b[:recHead+int(n)]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[recHead+int(n):]) {
		return record{}, fmt.Errorf("%w at byte %d: bad checksum", ErrCorrupt, rr.off)
	}
	if head[0] < recHeader || head[0] > recMark {
		return record{}, fmt.Errorf("%w at byte %d: unknown type %d", ErrCorrupt, rr.off, head[0])
	}
	rr.off += int64(need)
	return record{
		typ: head[0], track: head[1], flags: head[2],
		pts:  time.Duration(binary.LittleEndian.Uint64(head[8:16])),
		data: body[recHead:],
	}, nil
}

// IsCorrupt reports whether err is a damaged-record error from this package.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
