package script

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Key is one key press of a script: the name the script used and the bytes
// a terminal (xterm, tmux) sends for it.
type Key struct {
	Name  string // as written in the script, e.g. "ctrl+r"
	Bytes string // what goes down the input pipe, e.g. "\x12"
}

// knownKeys is the hint shown when a key name is not known.
const knownKeys = "known keys are enter, tab, shift+tab, esc, backspace, delete, insert, space, " +
	"up, down, left, right, home, end, pgup, pgdown, f1…f12, ctrl+a…z (not ctrl+i, ctrl+m: " +
	"write tab, enter), alt+a…z, alt+0…9, and any single printable character (quote it: \"#\")"

// namedKey returns the terminal bytes of a named key.
func namedKey(name string) (string, bool) {
	switch name {
	case "enter", "return":
		return "\r", true
	case "tab":
		return "\t", true
	case "shift+tab", "backtab":
		return "\x1b[Z", true
	case "esc", "escape":
		return "\x1b", true
	case "backspace":
		return "\x7f", true
	case "delete", "del":
		return "\x1b[3~", true
	case "insert":
		return "\x1b[2~", true
	case "space":
		return " ", true
	case "up":
		return "\x1b[A", true
	case "down":
		return "\x1b[B", true
	case "right":
		return "\x1b[C", true
	case "left":
		return "\x1b[D", true
	case "home":
		return "\x1b[H", true
	case "end":
		return "\x1b[F", true
	case "pgup", "pageup":
		return "\x1b[5~", true
	case "pgdown", "pagedown":
		return "\x1b[6~", true
	}
	return "", false
}

// fkeyCodes are the CSI numbers xterm sends for f5…f12.
func fkey(n int) (string, bool) {
	switch {
	case n >= 1 && n <= 4:
		return "\x1bO" + string(rune('P'+n-1)), true
	case n >= 5 && n <= 12:
		codes := [...]int{15, 17, 18, 19, 20, 21, 23, 24}
		return "\x1b[" + strconv.Itoa(codes[n-5]) + "~", true
	}
	return "", false
}

// ParseKey returns the key a script names, or an error whose message says
// which names exist. Names are case-sensitive only for single characters
// ("Q" is shift+q); "Ctrl+R" is read as ctrl+r.
func ParseKey(name string) (Key, error) {
	if utf8.RuneCountInString(name) == 1 {
		r, _ := utf8.DecodeRuneInString(name)
		if r >= 0x20 && r != 0x7f && r != utf8.RuneError {
			return Key{Name: name, Bytes: name}, nil
		}
		return Key{}, fmt.Errorf("key %q is a control character: %s", name, knownKeys)
	}
	lower := strings.ToLower(name)
	if b, ok := namedKey(lower); ok {
		return Key{Name: lower, Bytes: b}, nil
	}
	if rest, ok := strings.CutPrefix(lower, "f"); ok {
		if n, err := strconv.Atoi(rest); err == nil {
			if b, ok := fkey(n); ok {
				return Key{Name: lower, Bytes: b}, nil
			}
		}
	}
	if rest, ok := strings.CutPrefix(lower, "ctrl+"); ok && len(rest) == 1 {
		c := rest[0]
		switch {
		case c == 'i':
			return Key{}, fmt.Errorf("unknown key %q: a terminal sends ctrl+i as tab: write `key tab`", name)
		case c == 'm':
			return Key{}, fmt.Errorf("unknown key %q: a terminal sends ctrl+m as enter: write `key enter`", name)
		case c >= 'a' && c <= 'z':
			return Key{Name: lower, Bytes: string(rune(c - 'a' + 1))}, nil
		}
	}
	if rest, ok := strings.CutPrefix(lower, "alt+"); ok && len(rest) == 1 {
		c := rest[0]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			return Key{Name: lower, Bytes: "\x1b" + rest}, nil
		}
	}
	return Key{}, fmt.Errorf("unknown key %q: %s", name, knownKeys)
}

// typedKeys turns the text of a `type` step into the bytes a terminal sends
// when it is typed: a newline is the enter key, a tab the tab key. Other
// control characters are refused.
func typedKeys(text string) (string, error) {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\n':
			b.WriteByte('\r')
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			return "", fmt.Errorf("control character %U in text: use `key` for control keys", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
