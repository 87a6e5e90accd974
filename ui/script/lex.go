package script

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// token is one word of a script line: a bare word or a double-quoted string
// with its escapes resolved.
type token struct {
	text   string
	col    int  // 1-based column (in characters) where the token starts
	quoted bool // written as "…"
}

// lexError is an error at a column of the line being split.
type lexError struct {
	col int
	msg string
}

func (e *lexError) Error() string { return fmt.Sprintf("col %d: %s", e.col, e.msg) }

// splitLine splits one line into tokens, shell-like: words are separated by
// spaces or tabs, "…" is one word (escapes \" \\ \n \t), and a word that
// starts with # begins a comment that runs to the end of the line.
func splitLine(line string) ([]token, error) {
	if !utf8.ValidString(line) {
		return nil, &lexError{col: 1, msg: "the line is not valid UTF-8: save the script as UTF-8"}
	}
	var toks []token
	runes := []rune(line)
	for i := 0; i < len(runes); {
		r := runes[i]
		switch {
		case r == ' ' || r == '\t' || r == '\r':
			i++
		case r == '#':
			return toks, nil
		case r == '"':
			tok, next, err := quoted(runes, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i = next
		default:
			start := i
			for i < len(runes) && runes[i] != ' ' && runes[i] != '\t' && runes[i] != '\r' {
				if runes[i] == '"' {
					return nil, &lexError{col: i + 1, msg: `a quote inside a word: put a space before the opening " or quote the whole word`}
				}
				i++
			}
			toks = append(toks, token{text: string(runes[start:i]), col: start + 1})
		}
	}
	return toks, nil
}

// quoted reads the string that opens at runes[start] and returns it with
// the index just after its closing quote.
func quoted(runes []rune, start int) (token, int, error) {
	var b strings.Builder
	for i := start + 1; i < len(runes); i++ {
		switch r := runes[i]; r {
		case '"':
			if i+1 < len(runes) && runes[i+1] != ' ' && runes[i+1] != '\t' && runes[i+1] != '\r' {
				return token{}, 0, &lexError{col: i + 2, msg: `text right after a closing ": put a space after it`}
			}
			return token{text: b.String(), col: start + 1, quoted: true}, i + 1, nil
		case '\\':
			if i+1 >= len(runes) {
				return token{}, 0, &lexError{col: i + 1, msg: `a \ at the end of the line: write \\ for a backslash and close the string with "`}
			}
			i++
			switch e := runes[i]; e {
			case '"':
				b.WriteByte('"')
			case '\\':
				b.WriteByte('\\')
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return token{}, 0, &lexError{col: i, msg: fmt.Sprintf(`unknown escape \%c: the escapes are \" \\ \n and \t`, e)}
			}
		default:
			b.WriteRune(r)
		}
	}
	return token{}, 0, &lexError{col: start + 1, msg: `unterminated string: add the closing " on the same line`}
}
