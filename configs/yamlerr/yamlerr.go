// Package yamlerr puts yaml.v3's decoding errors of a config file in the
// file's own words: the line, the key's path in the file ("agents[0].capacity"),
// and what the key wants ("a whole number"), never a Go type name. A
// syntax error is put on the line that breaks the file, not on the line
// of the block it broke (yaml.v3 reports an indentation slip at the
// block's first line).
//
// The hub's config and the desktop's share it.
package yamlerr

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Explain returns err, from decoding src with yaml.v3, in words; several
// problems are joined with "; ". unknownHint follows an unknown key, e.g.
// "check the spelling against docs/configuration.md".
func Explain(src []byte, err error, unknownHint string) string {
	if errors.Is(err, io.EOF) {
		return "the file is empty"
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return syntax(src, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(src, &root) // it parsed: the error is about types
	var out []string
	for _, e := range te.Errors {
		out = append(out, typeProblem(&root, e, unknownHint))
	}
	return strings.Join(out, "; ")
}

var (
	lineRE    = regexp.MustCompile(`^line (\d+): `)
	unknownRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	typeRE    = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+) (`[^`]*`|\\S+)? ?into (\\S+)$")
)

// typeProblem explains one entry of a yaml.TypeError.
func typeProblem(root *yaml.Node, e, unknownHint string) string {
	if m := unknownRE.FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := joinPath(pathAt(root, line, true), m[2])
		s := fmt.Sprintf("line %d: unknown key %s", line, path)
		if unknownHint != "" {
			s += " (" + unknownHint + ")"
		}
		return s
	}
	if m := typeRE.FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		key := pathAt(root, line, false)
		if key == "" {
			key = "the file"
		}
		return fmt.Sprintf("line %d: %s %s", line, key, wants(m[2], strings.Trim(m[3], "`"), m[4]))
	}
	// another of yaml.v3's words: keep them, without Go type names
	return goTypes.ReplaceAllString(e, "a value")
}

// goTypes matches what names a Go type in yaml.v3's words.
var goTypes = regexp.MustCompile(`\b(?:type )?(?:\[\])?(?:map\[\w+\])?\*?[a-z]\w*\.[A-Z]\w*\b`)

// wants says what is wrong with a value of YAML kind tag (str, int, map,
// seq, …) where the Go type goType is wanted.
func wants(tag, value, goType string) string {
	value = strings.ToValidUTF8(value, "") // yaml.v3 cuts long values mid-character
	if r := []rune(value); len(r) > 24 {
		value = string(r[:24]) + "…"
	}
	got := strconv.Quote(value)
	switch tag {
	case "map":
		got = "a set of keys"
	case "seq":
		got = "a list"
	}
	switch {
	case goType == "time.Duration":
		return got + " is not a duration; write a Go duration such as 500ms, 30s, 5m or 72h"
	case strings.HasPrefix(goType, "[]"):
		return "wants a list, e.g. [a, b], not " + got
	case strings.HasPrefix(goType, "map["):
		return "wants keys under it, not " + got
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "wants a whole number, e.g. 3, not " + got
	case strings.HasPrefix(goType, "float"):
		return "wants a number, e.g. 0.5, not " + got
	case goType == "bool":
		return "wants true or false, not " + got
	case goType == "string":
		return "wants a single value (text), not " + got
	case strings.Contains(goType, "."): // a struct of the config
		return "wants keys (key: value lines), not " + got
	}
	return "has the wrong kind of value: " + got
}

// pathAt finds the key on line (1-based) and returns its path from the
// root: "agents[0].capacity". parent asks for the path of the mapping the
// key is in instead (an unknown key is not in the tree's known names).
func pathAt(root *yaml.Node, line int, parent bool) string {
	var found string
	var walk func(n *yaml.Node, path string) bool
	walk = func(n *yaml.Node, path string) bool {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if walk(c, path) {
					return true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := joinPath(path, k.Value)
				if k.Line == line {
					found = p
					if parent {
						found = path
					}
					return true
				}
				if walk(v, p) {
					return true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Kind == yaml.ScalarNode && c.Line == line {
					found = p
					return true
				}
				if walk(c, p) {
					return true
				}
			}
		}
		return false
	}
	walk(root, "")
	return found
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// syntax explains a syntax error on the line that breaks the file: the
// first line whose addition makes the file fail the same way. yaml.v3
// puts an indentation slip on the first line of the block it broke.
func syntax(src []byte, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	what := lineRE.ReplaceAllString(msg, "")
	lines := strings.SplitAfter(string(src), "\n")
	for k := 1; k <= len(lines); k++ {
		var n yaml.Node
		perr := yaml.Unmarshal([]byte(strings.Join(lines[:k], "")), &n)
		if perr == nil {
			continue
		}
		if lineRE.ReplaceAllString(strings.TrimPrefix(perr.Error(), "yaml: "), "") != what {
			continue // a block still open at this line (a multi-line list)
		}
		text := strings.TrimRight(lines[k-1], "\r\n")
		if _, val, ok := strings.Cut(text, ": "); ok && strings.Contains(what, "mapping values") && strings.Contains(val, ": ") {
			return fmt.Sprintf("line %d: %q has a value with \": \" in it: put the value in quotes", k, text)
		}
		if indentSlip(what) {
			return fmt.Sprintf("line %d: %q is not indented like the lines above it: keys of one block start in the same column (spaces, not tabs)", k, text)
		}
		return fmt.Sprintf("line %d: %s (%q)", k, what, text)
	}
	return msg
}

// indentSlip reports whether yaml.v3's words mean a line indented wrongly.
func indentSlip(what string) bool {
	for _, s := range []string{"did not find expected key", "did not find expected '-' indicator", "mapping values are not allowed in this context"} {
		if strings.Contains(what, s) {
			return true
		}
	}
	return false
}
