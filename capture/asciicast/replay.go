package asciicast

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Replay plays the events up to and including the time of the last one
// on a screen of the header's size and returns its text, one string a
// row with trailing blanks cut: what a player shows at the end, as text
// to read or search. It understands what the recorder writes (cursor
// moves, erasing, SGR styles, which carry no text) and skips other
// escape sequences; each rune takes one cell.
func Replay(h Header, evs []Event) []string {
	s := newScreen(h.Width, h.Height)
	for _, e := range evs {
		switch e.Type {
		case "r":
			if c, r, err := Size(e.Data); err == nil {
				s.resize(c, r)
			}
		case "o":
			s.write(e.Data)
		}
	}
	out := make([]string, len(s.cells))
	for i, row := range s.cells {
		out[i] = strings.TrimRight(string(row), " ")
	}
	return out
}

// screen is a grid of runes with a cursor.
type screen struct {
	cells      [][]rune
	cols, rows int
	x, y       int
	wrap       bool // the last column was written: the next rune wraps
}

func newScreen(cols, rows int) *screen {
	s := &screen{}
	s.resize(max(cols, 1), max(rows, 1))
	return s
}

func (s *screen) resize(cols, rows int) {
	cells := make([][]rune, rows)
	for i := range cells {
		cells[i] = []rune(strings.Repeat(" ", cols))
		if i < len(s.cells) {
			copy(cells[i], s.cells[i])
		}
	}
	s.cells, s.cols, s.rows = cells, cols, rows
	s.x, s.y = min(s.x, cols-1), min(s.y, rows-1)
}

func (s *screen) write(d string) {
	for i := 0; i < len(d); {
		c := d[i]
		switch {
		case c == 0x1b && i+1 < len(d) && d[i+1] == '[':
			i = s.csi(d, i+2)
			continue
		case c == 0x1b && i+1 < len(d) && d[i+1] == ']':
			i = skipOSC(d, i+2)
			continue
		case c == 0x1b && i+1 < len(d) && strings.IndexByte("()*+", d[i+1]) >= 0:
			i += 3 // a character set
			continue
		case c == 0x1b:
			i += 2
			continue
		case c == '\r':
			s.x, s.wrap = 0, false
		case c == '\n':
			s.lineFeed()
		case c == '\b':
			s.x, s.wrap = max(s.x-1, 0), false
		case c < 0x20:
		default:
			r, n := utf8.DecodeRuneInString(d[i:])
			s.put(r)
			i += n
			continue
		}
		i++
	}
}

func (s *screen) put(r rune) {
	if s.wrap {
		s.x, s.wrap = 0, false
		s.lineFeed()
	}
	s.cells[s.y][s.x] = r
	if s.x == s.cols-1 {
		s.wrap = true
	} else {
		s.x++
	}
}

func (s *screen) lineFeed() {
	s.wrap = false
	if s.y < s.rows-1 {
		s.y++
		return
	}
	copy(s.cells, s.cells[1:])
	s.cells[s.rows-1] = []rune(strings.Repeat(" ", s.cols))
}

// csi carries out the control sequence whose parameters start at d[i]
// and returns the index after it.
func (s *screen) csi(d string, i int) int {
	start := i
	for i < len(d) && (d[i] < 0x40 || d[i] > 0x7e) {
		i++
	}
	if i >= len(d) {
		return i
	}
	params, final := d[start:i], d[i]
	if strings.HasPrefix(params, "?") {
		return i + 1 // modes: no text
	}
	p := func(k, def int) int {
		f := strings.Split(params, ";")
		if k < len(f) {
			if v, err := strconv.Atoi(f[k]); err == nil && v > 0 {
				return v
			}
		}
		return def
	}
	s.wrap = false
	switch final {
	case 'H', 'f':
		s.y, s.x = min(p(0, 1), s.rows)-1, min(p(1, 1), s.cols)-1
	case 'A':
		s.y = max(s.y-p(0, 1), 0)
	case 'B':
		s.y = min(s.y+p(0, 1), s.rows-1)
	case 'C':
		s.x = min(s.x+p(0, 1), s.cols-1)
	case 'D':
		s.x = max(s.x-p(0, 1), 0)
	case 'J':
		s.erase(params, true)
	case 'K':
		s.erase(params, false)
	}
	return i + 1
}

// erase carries out ED (screen) or EL (line) with its parameter.
func (s *screen) erase(param string, screen bool) {
	blank := func(y, x0, x1 int) {
		for x := x0; x < x1; x++ {
			s.cells[y][x] = ' '
		}
	}
	switch param {
	case "2", "3":
		if screen {
			for y := range s.cells {
				blank(y, 0, s.cols)
			}
		} else {
			blank(s.y, 0, s.cols)
		}
	case "1":
		blank(s.y, 0, s.x+1)
		if screen {
			for y := 0; y < s.y; y++ {
				blank(y, 0, s.cols)
			}
		}
	default:
		blank(s.y, s.x, s.cols)
		if screen {
			for y := s.y + 1; y < s.rows; y++ {
				blank(y, 0, s.cols)
			}
		}
	}
}

// skipOSC returns the index after an operating system command (ended by
// BEL or ESC \).
func skipOSC(d string, i int) int {
	for ; i < len(d); i++ {
		if d[i] == 0x07 {
			return i + 1
		}
		if d[i] == 0x1b && i+1 < len(d) && d[i+1] == '\\' {
			return i + 2
		}
	}
	return i
}
