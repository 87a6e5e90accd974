package script

import (
	"strconv"
	"time"
)

// end returns the column just past the last token, for "missing argument"
// errors.
func end(cmd token, args []token) int {
	last := cmd
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	n := len([]rune(last.text))
	if last.quoted {
		n += 2
	}
	return last.col + n + 1
}

func (p *parser) oneText(st *Step, cmd token, args []token, what string) error {
	switch {
	case len(args) == 0:
		return p.errAt(end(cmd, args), "%s needs %s: %s \"text\"", cmd.text, what, cmd.text)
	case len(args) > 1:
		return p.errAt(args[1].col, "%s takes one text: put it in quotes, %s \"several words\"", cmd.text, cmd.text)
	}
	st.Text = args[0].text
	if st.Op != OpType && st.Text == "" {
		return p.errAt(args[0].col, "%s needs a non-empty text: every screen contains \"\"", cmd.text)
	}
	return nil
}

func (p *parser) parseKey(st *Step, cmd token, args []token) error {
	st.Op = OpKey
	if len(args) == 0 {
		return p.errAt(end(cmd, args), "key needs at least one key name: key enter, key ctrl+r, key down down enter")
	}
	for _, a := range args {
		k, err := ParseKey(a.text)
		if err != nil {
			return p.errAt(a.col, "%v", err)
		}
		st.Keys = append(st.Keys, k)
	}
	return nil
}

func (p *parser) duration(tok token, what string) (time.Duration, error) {
	d, err := time.ParseDuration(tok.text)
	if err != nil {
		return 0, p.errAt(tok.col, "bad duration %q for %s: write a number with a unit, like 200ms, 5s or 1m", tok.text, what)
	}
	if d <= 0 {
		return 0, p.errAt(tok.col, "%s must be more than 0, got %q", what, tok.text)
	}
	if d > MaxDuration {
		return 0, p.errAt(tok.col, "%s %q is longer than the limit of %s: scripts must not hang", what, tok.text, MaxDuration)
	}
	return d, nil
}

func (p *parser) parseWait(st *Step, cmd token, args []token) error {
	st.Timeout = p.timeout
	switch len(args) {
	case 0:
		return p.errAt(end(cmd, args), "%s needs the text to wait for: %s \"text\" [timeout 5s]", cmd.text, cmd.text)
	case 1:
	case 3:
		if args[1].text != "timeout" || args[1].quoted {
			return p.errAt(args[1].col, "expected the word timeout after the text: %s \"text\" timeout 5s", cmd.text)
		}
		d, err := p.duration(args[2], "the timeout")
		if err != nil {
			return err
		}
		st.Timeout = d
	case 2:
		if args[1].text == "timeout" {
			return p.errAt(end(cmd, args), "timeout needs a duration: %s \"text\" timeout 5s", cmd.text)
		}
		fallthrough
	default:
		return p.errAt(args[1].col, "%s takes one text and an optional timeout: %s \"several words\" timeout 5s", cmd.text, cmd.text)
	}
	st.Text = args[0].text
	if st.Text == "" {
		return p.errAt(args[0].col, "%s needs a non-empty text", cmd.text)
	}
	return nil
}

func (p *parser) parseSleep(st *Step, cmd token, args []token) error {
	if len(args) != 1 {
		col := end(cmd, args)
		if len(args) > 1 {
			col = args[1].col
		}
		return p.errAt(col, "sleep takes one duration: sleep 200ms")
	}
	d, err := p.duration(args[0], "sleep")
	st.Duration = d
	return err
}

func (p *parser) parseSet(cmd token, args []token) error {
	if len(args) != 2 || args[0].text != "timeout" {
		col := end(cmd, args)
		if len(args) > 0 {
			col = args[0].col
		}
		return p.errAt(col, "set knows one setting: set timeout 3s (the default timeout of wait and wait-gone)")
	}
	d, err := p.duration(args[1], "the timeout")
	if err != nil {
		return err
	}
	p.timeout = d
	return nil
}

// Terminal size limits of resize.
const (
	minCols, minRows = 10, 3
	maxCols, maxRows = 1000, 500
)

func (p *parser) parseResize(st *Step, cmd token, args []token) error {
	if len(args) != 2 {
		col := end(cmd, args)
		if len(args) > 2 {
			col = args[2].col
		}
		return p.errAt(col, "resize takes columns and rows: resize 100 30")
	}
	c, err1 := strconv.Atoi(args[0].text)
	if err1 != nil || c < minCols || c > maxCols {
		return p.errAt(args[0].col, "columns must be a whole number from %d to %d, got %q", minCols, maxCols, args[0].text)
	}
	r, err2 := strconv.Atoi(args[1].text)
	if err2 != nil || r < minRows || r > maxRows {
		return p.errAt(args[1].col, "rows must be a whole number from %d to %d, got %q", minRows, maxRows, args[1].text)
	}
	st.Cols, st.Rows = c, r
	return nil
}

// validName reports whether a snapshot or customer name is safe as a file
// name and as a word: letters, digits, '.', '_' and '-', not starting with '.'.
func validName(s string) bool {
	if s == "" || s[0] == '.' || len(s) > 100 {
		return false
	}
	for _, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
			r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func (p *parser) parseSnapshot(st *Step, cmd token, args []token) error {
	if len(args) != 1 {
		col := end(cmd, args)
		if len(args) > 1 {
			col = args[1].col
		}
		return p.errAt(col, "%s takes one name: %s chat-open", cmd.text, cmd.text)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad snapshot name %q: use letters, digits, '.', '_' and '-' (it becomes NAME.txt)", args[0].text)
	}
	st.Name = args[0].text
	return nil
}

func (p *parser) parseCustomer(st *Step, cmd token, args []token) error {
	usage := `customer NAME open [queue Q] | customer NAME says "text" | customer NAME types "text" | customer NAME leaves`
	if len(args) < 2 {
		return p.errAt(end(cmd, args), "customer needs a name and an action: %s", usage)
	}
	if !validName(args[0].text) {
		return p.errAt(args[0].col, "bad customer name %q: use letters, digits, '.', '_' and '-'", args[0].text)
	}
	st.Name = args[0].text
	act, rest := args[1], args[2:]
	st.Action = act.text
	switch act.text {
	case CustomerOpen:
		switch {
		case len(rest) == 0:
		case len(rest) == 2 && rest[0].text == "queue" && rest[1].text != "":
			st.Queue = rest[1].text
		default:
			return p.errAt(rest[0].col, "customer open takes an optional queue: customer %s open queue sales", st.Name)
		}
	case CustomerSays, CustomerTypes:
		if len(rest) != 1 {
			col := end(cmd, args)
			if len(rest) > 1 {
				col = rest[1].col
			}
			return p.errAt(col, "customer %s takes one text: customer %s %s \"hello there\"", act.text, st.Name, act.text)
		}
		st.Text = rest[0].text
		if act.text == CustomerSays && st.Text == "" {
			return p.errAt(rest[0].col, "customer says needs a non-empty text")
		}
	case CustomerLeave:
		if len(rest) != 0 {
			return p.errAt(rest[0].col, "customer leaves takes nothing more: customer %s leaves", st.Name)
		}
	default:
		return p.errAt(act.col, "unknown customer action %q: use open, says, types or leaves (%s)", act.text, usage)
	}
	return nil
}

func (p *parser) parseHub(st *Step, cmd token, args []token) error {
	switch {
	case len(args) == 0:
		return p.errAt(end(cmd, args), "hub needs an action: hub down (cut the network to the hub) or hub up (restore it)")
	case args[0].text != HubDown && args[0].text != HubUp:
		return p.errAt(args[0].col, "unknown hub action %q: use hub down or hub up", args[0].text)
	case len(args) > 1:
		return p.errAt(args[1].col, "hub %s takes nothing more", args[0].text)
	}
	st.Action = args[0].text
	return nil
}

// editDistance is the Levenshtein distance of a and b, for "did you mean".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
