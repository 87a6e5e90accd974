package hub

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
)

// Issue 11 point 17: a config error names the key and the line it is on:
// a word where a number goes says which key wants a number, and a line
// indented wrongly is named itself, not the first line of its block.
func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	good := string(configs.ChatHub)
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"word for a number", strings.Replace(good, "capacity: 3", "capacity: three", 1),
			[]string{`line 39: agents[0].capacity wants a whole number, e.g. 3, not "three"`}},
		{"bad indent", strings.Replace(good, "    token: demo-token-ada", "   token: demo-token-ada", 1),
			[]string{`line 38: "   token: demo-token-ada" is not indented like the lines above it`}},
		{"list for a word", strings.Replace(good, "name: Ada Lovelace", "name: [Ada]", 1),
			[]string{"line 37: agents[0].name wants a single value (text), not a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hub.") || strings.Contains(err.Error(), "unmarshal") {
				t.Errorf("error %q shows Go or YAML internals", err)
			}
		})
	}
}
