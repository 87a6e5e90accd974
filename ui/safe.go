package ui

import "strings"

// Text from the hub (names, messages, previews, errors) is drawn only after
// it went through oneLine or multiLine: a contact must not be able to send
// escape sequences to the agent's terminal.

// oneLine drops control characters (ESC and the C1 set included) and turns
// line breaks and tabs into spaces.
func oneLine(s string) string { return clean(s, false) }

// multiLine is oneLine but keeps line breaks.
func multiLine(s string) string { return clean(s, true) }

func clean(s string, keepNL bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' && keepNL:
			return r
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}
