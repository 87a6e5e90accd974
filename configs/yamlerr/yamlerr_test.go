package yamlerr

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type agent struct {
	ID       string   `yaml:"id"`
	Capacity int      `yaml:"capacity"`
	Queues   []string `yaml:"queues"`
	Bell     bool     `yaml:"bell"`
}

type config struct {
	Agents []agent        `yaml:"agents"`
	Grace  time.Duration  `yaml:"grace"`
	Name   string         `yaml:"name"`
	Rate   float64        `yaml:"rate"`
	Tags   map[string]int `yaml:"tags"`
}

func explain(t *testing.T, src string) string {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(src)))
	dec.KnownFields(true)
	var c config
	err := dec.Decode(&c)
	if err == nil {
		t.Fatalf("%q decoded without an error", src)
	}
	return Explain([]byte(src), err, "see the docs")
}

// Issue 11 point 17: a config error names the key and its line in the
// file's words, never a Go type name, and a bad indent points at its own
// line.
func TestExplain(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"number wanted", "agents:\n  - id: ada\n    capacity: three\n",
			[]string{`line 3: agents[0].capacity wants a whole number, e.g. 3, not "three"`}},
		{"second item", "agents:\n  - id: ada\n  - id: bo\n    capacity: 2x\n",
			[]string{`line 4: agents[1].capacity wants a whole number`}},
		{"bool wanted", "agents:\n  - id: ada\n    bell: loud\n", []string{`line 3: agents[0].bell wants true or false, not "loud"`}},
		{"duration", "grace: soon\n", []string{`line 1: grace "soon" is not a duration`}},
		{"list wanted", "agents:\n  - id: ada\n    queues: general\n", []string{`line 3: agents[0].queues wants a list, e.g. [a, b], not "general"`}},
		{"text wanted", "name: {a: 1}\n", []string{`line 1: name wants a single value (text), not a set of keys`}},
		{"float", "rate: fast\n", []string{`line 1: rate wants a number, e.g. 0.5, not "fast"`}},
		{"map value", "tags:\n  a: x\n", []string{`line 2: tags.a wants a whole number`}},
		{"unknown key", "agents:\n  - id: ada\n    tokn: x\n", []string{`line 3: unknown key agents[0].tokn (see the docs)`}},
		{"unknown top key", "nmae: x\n", []string{`line 1: unknown key nmae (see the docs)`}},
		{"two problems", "name: x\ngrace: soon\nrate: fast\n", []string{"line 2: grace", "; line 3: rate"}},
		{"bad indent, fewer spaces", "agents:\n  - id: ada\n    capacity: 2\n   queues: [a]\n",
			[]string{`line 4: "   queues: [a]" is not indented like the lines above it`}},
		{"bad indent, more spaces", "agents:\n  - id: ada\n    capacity: 2\n      queues: [a]\n",
			[]string{`line 4: "      queues: [a]" is not indented like the lines above it`}},
		{"bad indent after a list", "name: x\nagents: [a,\n  b]\ngrace: 1s\n  rate: 2\n", []string{`line 5: "  rate: 2" is not indented`}},
		{"colon in a value", "name: Ada: Lovelace\n", []string{`line 1: "name: Ada: Lovelace" has a value with ": " in it: put the value in quotes`}},
		{"empty", "", []string{"the file is empty"}},
		{"not a config at all", "wait \"● Connected\" and some more words than fit\n", []string{`line 1: the file wants keys (key: value lines), not "wait \"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain(t, tt.src)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Explain = %q\nwant it to contain %q", got, w)
				}
			}
			for _, bad := range []string{"yamlerr.", "config", "agent}", "!!", "unmarshal", "time.Duration", "[]string"} {
				if strings.Contains(got, bad) {
					t.Errorf("Explain = %q: says %q, a Go or YAML internal", got, bad)
				}
			}
		})
	}
}
