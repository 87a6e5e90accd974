package script

import (
	"strings"
	"testing"
)

// Issue 14, R-C8: supervisor steps parse (the chat they watch named by
// customer, by id or the selected one), and bad ones say how to write
// them; outside demo mode they are a script error before the run.
func TestParseSupervisor(t *testing.T) {
	s, err := Parse("s.script", strings.NewReader("set timeout 3s\nsupervisor sue monitors\nsupervisor sue monitors customer alice\n"+
		"supervisor sue monitors chat chat-3\nsupervisor sue barges\nsupervisor sue says \"hi all\"\nsupervisor sue leaves\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Steps {
		if st.Op == OpSupervisor {
			got = append(got, strings.Join([]string{st.Name, st.Action, st.Customer, st.Chat, st.Text, st.Timeout.String()}, ","))
		}
	}
	want := "sue,monitors,,,,3s|sue,monitors,alice,,,3s|sue,monitors,,chat-3,,3s|sue,barges,,,,3s|sue,says,,,hi all,3s|sue,leaves,,,,3s"
	if strings.Join(got, "|") != want {
		t.Errorf("steps %q\nwant %q", strings.Join(got, "|"), want)
	}
	if OpSupervisor.String() != "supervisor" {
		t.Errorf("OpSupervisor.String() = %q", OpSupervisor.String())
	}
	for src, want := range map[string]string{
		"supervisor\n":                           "supervisor needs a name and an action",
		"supervisor sue listens\n":               `unknown supervisor action "listens"`,
		"supervisor sue says\n":                  "supervisor says takes one non-empty text",
		"supervisor sue barges now\n":            "supervisor barges takes nothing more",
		"supervisor sue monitors alice\n":        "supervisor monitors takes customer NAME or chat ID",
		"supervisor sue monitors customer a/b\n": "bad customer name",
		"supervisor s/ue leaves\n":               "bad supervisor name",
		"supervsor sue leaves\n":                 `did you mean "supervisor"`,
	} {
		if _, err := Parse("b.script", strings.NewReader(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", src, err, want)
		}
	}
	one, err := Parse("c.script", strings.NewReader("supervisor sue monitors chat chat-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := check(one, Env{}); err == nil || !strings.Contains(err.Error(), "supervisor steps need the supervisors of demo mode") {
		t.Errorf("check: %v", err)
	}
}

// Issue 14: an agent step invites a queue (a skill) as well as an agent.
func TestParseAgentQueue(t *testing.T) {
	s, err := Parse("q.script", strings.NewReader("agent grace transfers queue billing\nagent grace consults queue general\nagent grace conferences ada\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.Steps {
		got = append(got, st.Action+" "+Target{Agent: st.Text, Queue: st.Queue}.String())
	}
	if want := "transfers queue billing|consults queue general|conferences ada"; strings.Join(got, "|") != want {
		t.Errorf("steps %q, want %q", strings.Join(got, "|"), want)
	}
	for _, src := range []string{"agent grace transfers queue\n", "agent grace transfers queue a/b\n", "agent grace transfers\n"} {
		if _, err := Parse("b.script", strings.NewReader(src)); err == nil || !strings.Contains(err.Error(), "agent transfers takes the id of the agent or queue") {
			t.Errorf("%q: error %v", src, err)
		}
	}
}
