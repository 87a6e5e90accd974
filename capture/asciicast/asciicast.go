// Package asciicast reads and writes asciicast v2, the format asciinema
// records terminals in: a JSON header line, then one JSON array a line,
// [time, type, data], time in seconds from the start, type "o" (output),
// "r" (resize, "COLSxROWS") or "m" (marker). The recorder keeps the text
// desktop as terminal packets in the spool (capture.TrackTerminal); the
// combine turns them into a cast attached to the WebM, which a player
// replays exactly, a search reads as text, and a page shows sharp at any
// size. Replay gives the screen a cast ends on, as plain text.
package asciicast

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// MimeType is the cast's media type (as asciinema serves it).
const MimeType = "application/x-asciicast"

// ErrFormat is returned for input that is not an asciicast v2 stream.
var ErrFormat = errors.New("asciicast: not an asciicast v2 stream")

// Header is the first line of a cast.
type Header struct {
	Version   int    `json:"version"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Timestamp int64  `json:"timestamp,omitempty"` // unix seconds of time 0
	Title     string `json:"title,omitempty"`
}

// Event is one line after the header.
type Event struct {
	Time time.Duration
	Type string // "o", "r" or "m"
	Data string
}

// FromPacket is the event a capture.TrackTerminal packet carries.
func FromPacket(p capture.Packet) (Event, error) {
	if len(p.Data) == 0 {
		return Event{}, errors.New("asciicast: empty terminal packet")
	}
	switch k := p.Data[0]; k {
	case capture.TermOutput, capture.TermResize, capture.TermMarker:
		return Event{Time: p.PTS, Type: string(rune(k)), Data: string(p.Data[1:])}, nil
	default:
		return Event{}, fmt.Errorf("asciicast: terminal packet of unknown kind %q", k)
	}
}

// Size reads a resize event's "COLSxROWS".
func Size(data string) (cols, rows int, err error) {
	c, r, ok := strings.Cut(data, "x")
	cols, err1 := strconv.Atoi(c)
	rows, err2 := strconv.Atoi(r)
	if !ok || err1 != nil || err2 != nil || cols <= 0 || rows <= 0 || cols > 10000 || rows > 10000 {
		return 0, 0, fmt.Errorf("asciicast: bad size %q", data)
	}
	return cols, rows, nil
}

// Writer writes a cast line by line.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter writes the header (version 2) and returns a Writer for the
// events.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.Version = 2
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	return &Writer{w: bw}, nil
}

// Write writes one event.
func (w *Writer) Write(e Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	typ, _ := json.Marshal(e.Type)
	b := append(w.buf[:0], '[')
	b = strconv.AppendFloat(b, max(e.Time, 0).Seconds(), 'f', 6, 64)
	b = append(b, ", "...)
	b = append(b, typ...)
	b = append(b, ", "...)
	b = append(b, data...)
	b = append(b, "]\n"...)
	w.buf = b
	_, err = w.w.Write(b)
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// Read parses a whole cast. A bad line is an error naming it.
func Read(r io.Reader) (Header, []Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var h Header
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, nil, fmt.Errorf("asciicast: %w", err)
		}
		return h, nil, fmt.Errorf("%w: empty", ErrFormat)
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Version != 2 || h.Width <= 0 || h.Height <= 0 {
		return h, nil, fmt.Errorf("%w: line 1 is not a version 2 header", ErrFormat)
	}
	var evs []Event
	for n := 2; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var raw []json.RawMessage
		var secs float64
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil || len(raw) != 3 ||
			json.Unmarshal(raw[0], &secs) != nil || json.Unmarshal(raw[1], &e.Type) != nil ||
			json.Unmarshal(raw[2], &e.Data) != nil || secs < 0 {
			return h, evs, fmt.Errorf("%w: line %d is not [time, type, data]", ErrFormat, n)
		}
		e.Time = time.Duration(secs * float64(time.Second))
		evs = append(evs, e)
	}
	if err := sc.Err(); err != nil {
		return h, evs, fmt.Errorf("asciicast: %w", err)
	}
	return h, evs, nil
}
