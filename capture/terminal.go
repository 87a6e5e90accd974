package capture

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// TrackTerminal is the spool track of the text desktop: what the agent's
// terminal program draws, as terminal output stamped with media time. It
// is not a WebM track: the combine turns it into an asciicast v2 file
// attached to the WebM (capture/asciicast).
const TrackTerminal Track = 4

// The kinds of a terminal packet: its Data is the kind byte, then the
// payload (asciicast v2's event types).
const (
	TermOutput byte = 'o' // terminal output (UTF-8 with escape sequences)
	TermResize byte = 'r' // the terminal's size, "COLSxROWS"
	TermMarker byte = 'm' // a marker: "recording paused", "recording resumed"
)

// term records the text desktop: Terminal hands it frames (the whole
// screen as the program renders it), a goroutine turns the latest one into
// the output that changes the last one written (the lines that differ) and
// writes it to the sink. Frames are coalesced: only the latest waiting one
// is written. While paused nothing is written: the pause writes a slate
// ("RECORDING PAUSED", as on the video) and the resume a whole repaint of
// the latest frame (R-C5, R-G5).
type term struct {
	r    *Recording
	wake chan struct{}
	done chan struct{}

	mu      sync.Mutex
	pending string // the latest frame not yet written
	at      time.Duration
	cols    int
	rows    int
	has     bool // pending holds a frame
	paused  bool
	stopped bool

	screen termScreen // what the written output shows (the worker's and pause's, under mu)
}

func newTerm(r *Recording) *term {
	t := &term{r: r, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go t.run()
	return t
}

// Terminal records a frame of the text desktop: content is the whole
// screen (lines separated by "\n", ANSI styles allowed) of cols x rows
// cells, at media time now. It never blocks on I/O: frames are written by
// a goroutine of the recording, the latest waiting one only. Frames while
// paused are kept for the repaint at resume, not written; after Stop they
// are dropped. Without a text desktop (Config.Terminal unset) it does
// nothing.
func (r *Recording) Terminal(content string, cols, rows int) {
	t := r.term
	if t == nil || cols <= 0 || rows <= 0 {
		return
	}
	now := r.clock.Now()
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.pending, t.at, t.cols, t.rows, t.has = content, now, cols, rows, true
	select { // under mu: stop closes wake under it
	case t.wake <- struct{}{}:
	default:
	}
	t.mu.Unlock()
}

func (t *term) run() {
	defer close(t.done)
	for range t.wake {
		t.mu.Lock()
		if t.stopped {
			t.mu.Unlock()
			return
		}
		if t.has && !t.paused {
			t.has = false
			t.writeLocked(t.at, t.screen.frame(t.pending, t.cols, t.rows))
		}
		t.mu.Unlock()
	}
}

// writeLocked writes the events of one instant; a sink error is fatal
// to the recording as for the other tracks.
func (t *term) writeLocked(at time.Duration, evs [][]byte) {
	for _, e := range evs {
		if err := t.r.out.WritePacket(Packet{Track: TrackTerminal, PTS: at, Key: true, Data: e}); err != nil {
			t.r.fail(err)
			return
		}
	}
}

// pause writes the slate and a marker at media time at.
func (t *term) pause(at time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused || t.stopped {
		return
	}
	t.paused = true
	if t.screen.cols == 0 {
		return // nothing drawn yet
	}
	t.writeLocked(at, append([][]byte{termEvent(TermMarker, "recording paused")}, t.screen.slate()...))
}

// resume writes a marker and the latest frame whole at media time at.
func (t *term) resume(at time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.paused || t.stopped {
		return
	}
	t.paused = false
	if !t.has && t.screen.cols == 0 {
		return // nothing drawn yet
	}
	evs := [][]byte{termEvent(TermMarker, "recording resumed")}
	if t.has {
		t.has = false
		evs = append(evs, t.screen.frame(t.pending, t.cols, t.rows)...)
	} else if t.screen.cols > 0 {
		t.screen.whole = false
		evs = append(evs, t.screen.repaint())
	}
	t.writeLocked(at, evs)
}

// stop writes the frame still waiting (unless paused) and ends the
// worker; later frames are dropped.
func (t *term) stop() {
	t.mu.Lock()
	if !t.stopped && t.has && !t.paused {
		t.has = false
		t.writeLocked(t.at, t.screen.frame(t.pending, t.cols, t.rows))
	}
	if !t.stopped {
		t.stopped = true
		close(t.wake)
	}
	t.mu.Unlock()
	<-t.done
}

// termEvent is a terminal packet's Data.
func termEvent(kind byte, payload string) []byte {
	b := make([]byte, 0, 1+len(payload))
	return append(append(b, kind), payload...)
}

// termScreen is what the output written so far shows: the lines of the
// last frame and the size.
type termScreen struct {
	lines      []string
	cols, rows int
	whole      bool // the next frame repaints whole (the slate is showing)
}

// frame returns the events that turn the screen into content: a resize
// and a whole repaint when the size changed (or nothing was drawn), else
// each changed line drawn again.
func (s *termScreen) frame(content string, cols, rows int) [][]byte {
	lines := strings.Split(content, "\n")
	if len(lines) > rows {
		lines = lines[:rows]
	}
	var evs [][]byte
	if cols != s.cols || rows != s.rows || s.lines == nil || s.whole {
		if cols != s.cols || rows != s.rows {
			evs = append(evs, termEvent(TermResize, strconv.Itoa(cols)+"x"+strconv.Itoa(rows)))
		}
		s.lines, s.cols, s.rows, s.whole = lines, cols, rows, false
		return append(evs, s.repaint())
	}
	var out []byte
	for i := range max(len(lines), len(s.lines)) {
		var now, was string
		if i < len(lines) {
			now = lines[i]
		}
		if i < len(s.lines) {
			was = s.lines[i]
		}
		if now != was || i >= len(s.lines) {
			out = appendChange(out, i, was, now)
		}
	}
	s.lines = lines
	if len(out) == 0 {
		return nil
	}
	return append(evs, termEvent(TermOutput, string(out)))
}

// repaint is the whole screen drawn from clear.
func (s *termScreen) repaint() []byte {
	out := []byte{TermOutput}
	out = append(out, "\x1b[0m\x1b[H\x1b[2J"...)
	for i, l := range s.lines {
		if l != "" {
			out = appendLine(out, i, l)
		}
	}
	return out
}

// slate is the "recording paused" screen: cleared, the words in the
// middle (what the video shows while paused).
func (s *termScreen) slate() [][]byte {
	const words = "RECORDING PAUSED"
	out := []byte{TermOutput}
	out = append(out, "\x1b[0m\x1b[H\x1b[2J\x1b["...)
	out = strconv.AppendInt(out, int64(min(s.rows/2+1, s.rows)), 10)
	out = append(out, ';')
	out = strconv.AppendInt(out, int64(max((s.cols-len(words))/2+1, 1)), 10)
	out = append(out, "H\x1b[7m"+words+"\x1b[0m"...)
	s.whole = true
	return [][]byte{out}
}

// appendChange draws what changed from line was to line now (row i):
// the cells from the first that differs to the last that does, with the
// styles in force there (a clock ticking in a styled line is a few bytes,
// not the line). Lines with runes that may take two cells are drawn whole.
func appendChange(out []byte, i int, was, now string) []byte {
	a, okA := lineCells(was)
	b, okB := lineCells(now)
	if !okA || !okB || len(was) == 0 {
		return appendLine(out, i, now)
	}
	p := 0
	for p < len(a) && p < len(b) && a[p].eq(was, b[p], now) {
		p++
	}
	endB := len(b) // the cells of now to draw: [p, endB)
	if len(a) == len(b) {
		for endB > p && a[endB-1].eq(was, b[endB-1], now) {
			endB--
		}
	}
	if p == len(b) && len(a) <= len(b) {
		return out // only styles after the last cell differ: nothing shows
	}
	out = append(out, "\x1b["...)
	out = strconv.AppendInt(out, int64(i+1), 10)
	out = append(out, ';')
	out = strconv.AppendInt(out, int64(p+1), 10)
	out = append(out, "H\x1b[0m"...)
	if p < len(b) {
		out = append(out, b[p].sgr...)
		out = append(out, now[b[p].from:b[endB-1].to]...)
	}
	if endB == len(b) && len(b) < len(a) {
		out = append(out, "\x1b[0m\x1b[K"...) // the line got shorter
	}
	return append(out, "\x1b[0m"...)
}

// cell is one visible rune of a line: bytes [from, to) of it (the escape
// sequences just before the rune, then the rune), and the SGR sequences
// in force before those (since the last reset).
type cell struct {
	from, to int
	sgr      string
}

// eq reports whether two cells draw the same.
func (c cell) eq(line string, d cell, dline string) bool {
	return c.sgr == d.sgr && line[c.from:c.to] == dline[d.from:d.to]
}

// lineCells splits a line into its cells; ok is false when a rune may
// take two cells (CJK, emoji) or an escape sequence is cut, and the line
// must be drawn whole.
func lineCells(line string) (cells []cell, ok bool) {
	var sgr strings.Builder
	from := 0
	for i := 0; i < len(line); {
		c := line[i]
		if c == 0x1b {
			if i+1 >= len(line) || line[i+1] != '[' {
				return nil, false
			}
			j := i + 2
			for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
				j++
			}
			if j >= len(line) {
				return nil, false
			}
			i = j + 1 // the cell's escapes are read after its rune
			continue
		}
		r, n := utf8.DecodeRuneInString(line[i:])
		if r >= 0x1100 && !(r >= 0x2000 && r <= 0x27bf) || r < 0x20 {
			return nil, false
		}
		cells = append(cells, cell{from: from, to: i + n, sgr: sgr.String()})
		// The SGRs of this cell's own escapes are in force for the next.
		for k := from; k < i; {
			j := k + 2
			for j < i && (line[j] < 0x40 || line[j] > 0x7e) {
				j++
			}
			if j < i && line[j] == 'm' {
				if seq := line[k : j+1]; seq == "\x1b[m" || seq == "\x1b[0m" {
					sgr.Reset()
				} else {
					sgr.WriteString(seq)
				}
			}
			k = j + 1
		}
		i += n
		from = i
	}
	return cells, true
}

// appendLine draws line i (0-based) whole: cursor to its start, the line
// erased, the text, styles reset.
func appendLine(out []byte, i int, text string) []byte {
	out = append(out, "\x1b["...)
	out = strconv.AppendInt(out, int64(i+1), 10)
	out = append(out, ";1H\x1b[2K"...)
	out = append(out, text...)
	return append(out, "\x1b[0m"...)
}
