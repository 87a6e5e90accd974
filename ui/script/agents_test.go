package script

import (
	"context"
	"strings"
	"testing"
)

// Issue 14: agent steps parse, and bad ones say how to write them.
func TestParseAgent(t *testing.T) {
	s, err := Parse("a.script", strings.NewReader("set timeout 2s\nagent grace ready\nagent grace accepts\nagent grace says \"hi\"\nagent grace ends\n"))
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, st := range s.Steps {
		if st.Op == OpAgent {
			acts = append(acts, st.Name+" "+st.Action+" "+st.Text)
			if st.Timeout.String() != "2s" {
				t.Errorf("%s: timeout %s, want the current 2s", st.Action, st.Timeout)
			}
		}
	}
	if got := strings.Join(acts, "|"); got != "grace ready |grace accepts |grace says hi|grace ends " {
		t.Errorf("steps %q", got)
	}
	if OpAgent.String() != "agent" {
		t.Errorf("OpAgent.String() = %q", OpAgent.String())
	}
	for src, want := range map[string]string{
		"agent\n":                 "agent needs a name and an action",
		"agent grace dances\n":    `unknown agent action "dances"`,
		"agent grace says\n":      "agent says takes one non-empty text",
		"agent grace ready now\n": "agent ready takes nothing more",
		"agent gr/ace ready\n":    "bad agent name",
	} {
		if _, err := Parse("b.script", strings.NewReader(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
}

// Outside demo mode an agent step is a script error before the run.
func TestAgentNeedsDemo(t *testing.T) {
	s, err := Parse("c.script", strings.NewReader("agent grace ready\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), s, Env{Model: nil})
	if err == nil {
		t.Fatal("no error")
	}
	if err := check(s, Env{}); err == nil || !strings.Contains(err.Error(), "agent steps need the other agents of demo mode") {
		t.Errorf("check: %v", err)
	}
}
