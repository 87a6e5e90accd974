package capture

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// styled is a screen of cells, each its rune and the SGR sequences in
// force when it was drawn: enough of a terminal to check that drawing the
// changes gives what drawing the whole frame gives, styles included.
type styled struct {
	cells [][]string
	x, y  int
	sgr   string
}

func newStyled(cols, rows int) *styled {
	s := &styled{cells: make([][]string, rows)}
	for i := range s.cells {
		s.cells[i] = make([]string, cols)
	}
	return s
}

func (s *styled) write(t *testing.T, d string) {
	t.Helper()
	for i := 0; i < len(d); {
		if d[i] == 0x1b {
			j := i + 2
			for d[j] < 0x40 || d[j] > 0x7e {
				j++
			}
			seq, params := d[i:j+1], d[i+2:j]
			switch d[j] {
			case 'm':
				if params == "" || params == "0" {
					s.sgr = ""
				} else {
					s.sgr += seq
				}
			case 'H':
				r, c, _ := strings.Cut(params, ";")
				y, _ := strconv.Atoi(r)
				x, _ := strconv.Atoi(c)
				s.y, s.x = max(y, 1)-1, max(x, 1)-1
			case 'J':
				for y := range s.cells {
					clear(s.cells[y])
				}
			case 'K':
				from := s.x
				if params == "2" {
					from = 0
				}
				clear(s.cells[s.y][from:])
			default:
				t.Fatalf("unexpected sequence %q", seq)
			}
			i = j + 1
			continue
		}
		r := []rune(d[i:])[0]
		if s.x < len(s.cells[s.y]) {
			s.cells[s.y][s.x] = s.sgr + "|" + string(r)
		}
		s.x++
		i += len(string(r))
	}
}

func (s *styled) String() string {
	var b strings.Builder
	for _, row := range s.cells {
		b.WriteString(strings.Join(row, ",") + "\n")
	}
	return b.String()
}

// randomLine is a line of styled runs (SGR, text, reset) of about w cells.
func randomLine(r *rand.Rand, w int) string {
	words := []string{"agentdesk", "00:0" + strconv.Itoa(r.IntN(10)), "● REC", "│", "Bob: hi", "  ", "◆", "Alerting"}
	styles := []string{"", "\x1b[1m", "\x1b[38;5;244m", "\x1b[1;38;5;196;48;5;24m", "\x1b[4m\x1b[3m"}
	var b strings.Builder
	n := 0
	for n < w-10 {
		wd := words[r.IntN(len(words))]
		st := styles[r.IntN(len(styles))]
		if st == "" {
			b.WriteString(wd)
		} else {
			b.WriteString(st + wd + "\x1b[m")
		}
		n += len([]rune(wd))
	}
	return b.String()
}

// Issue 17 point 4: drawing only the changed cells of changed lines gives
// the very screen, styles included, that drawing each frame whole gives,
// over random edits of styled lines.
func TestChangesDrawTheWholeFrame(t *testing.T) {
	const cols, rows = 60, 6
	r := rand.New(rand.NewPCG(17, 4))
	lines := make([]string, rows)
	for i := range lines {
		lines[i] = randomLine(r, cols)
	}
	var sc termScreen
	diffed := newStyled(cols, rows)
	for step := range 300 {
		for range 1 + r.IntN(2) {
			i := r.IntN(rows)
			switch r.IntN(3) {
			case 0:
				lines[i] = randomLine(r, cols)
			case 1: // a clock ticks inside the line
				lines[i] = strings.Replace(lines[i], "00:0", "00:1", 1)
			default: // the line shrinks
				lines[i] = lines[i][:strings.LastIndex(lines[i], "\x1b[m")+len("\x1b[m")*min(1, strings.Count(lines[i], "\x1b[m"))]
			}
		}
		frame := strings.Join(lines, "\n")
		for _, e := range sc.frame(frame, cols, rows) {
			if e[0] == TermOutput {
				diffed.write(t, string(e[1:]))
			}
		}
		whole := newStyled(cols, rows)
		var fresh termScreen
		for _, e := range fresh.frame(frame, cols, rows) {
			if e[0] == TermOutput {
				whole.write(t, string(e[1:]))
			}
		}
		if got, want := diffed.String(), whole.String(); got != want {
			t.Fatalf("step %d: the changes draw\n%s\nthe whole frame draws\n%s", step, got, want)
		}
	}
}
