package script

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// fakeHubControl records hub steps; fail makes an action fail.
type fakeHubControl struct {
	mu    sync.Mutex
	calls []string
	fail  string
}

func (f *fakeHubControl) do(action string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action)
	if action == f.fail {
		return errors.New("proxy is closed")
	}
	return nil
}

func (f *fakeHubControl) Down(context.Context) error { return f.do(HubDown) }
func (f *fakeHubControl) Up(context.Context) error   { return f.do(HubUp) }

func TestParseHub(t *testing.T) {
	s := mustParse(t, "hub down   # the network goes\nhub up\n")
	if len(s.Steps) != 2 {
		t.Fatalf("steps %+v", s.Steps)
	}
	for i, want := range []string{HubDown, HubUp} {
		if st := s.Steps[i]; st.Op != OpHub || st.Action != want || st.Pos.Line != i+1 || st.Pos.Col != 1 {
			t.Errorf("step %d = %+v, want hub %s", i, st, want)
		}
	}
	if OpHub.String() != "hub" {
		t.Errorf("OpHub.String() = %q", OpHub.String())
	}
	cases := []struct {
		name, src, pos, msg string
	}{
		{"no action", "hub", "t.script:1:5", "hub needs an action: hub down"},
		{"unknown action", "hub sideways", "t.script:1:5", `unknown hub action "sideways": use hub down or hub up`},
		{"extra word", "hub down now", "t.script:1:10", "hub down takes nothing more"},
		{"typo of hub", "hbu down", "t.script:1:1", `did you mean "hub"?`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.script", strings.NewReader(c.src))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Error(), c.pos+": ") || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got  %v\nwant %s: …%s…", err, c.pos, c.msg)
			}
		})
	}
}

func TestRunHub(t *testing.T) {
	fh := &fakeHubControl{}
	var log bytes.Buffer
	ev := NewEventLog(&log, nil)
	res, err := run(t, "hub down\nexpect keys\nhub up\nhub up", Env{Hub: fh, Events: ev})
	if ExitCode(res, err) != ExitPass {
		t.Fatalf("%v %s", err, failure(res))
	}
	if got := strings.Join(fh.calls, ","); got != "down,up,up" {
		t.Errorf("calls %q, want down,up,up", got)
	}
	_ = ev.Close()
	if !strings.Contains(log.String(), `"kind":"hub","action":"down","line":1,"ok":true`) {
		t.Errorf("events log lacks the hub step:\n%s", log.String())
	}

	// Outside demo mode a hub step is a script error (exit 2) found before
	// the run starts, like a customer step.
	res, err = run(t, "key a\nhub down", Env{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || se.Col != 1 || !strings.Contains(se.Msg, "agentdesk demo --script") {
		t.Fatalf("got %v", err)
	}
	if ExitCode(res, err) != ExitBadScript {
		t.Errorf("exit %d, want 2", ExitCode(res, err))
	}

	// A hub control that fails fails the run at its line.
	res, err = run(t, "hub down\nhub up", Env{Hub: &fakeHubControl{fail: HubUp}})
	if ExitCode(res, err) != ExitFail || res.Failure.Pos.Line != 2 || res.Failure.Detail != "proxy is closed" ||
		res.Failure.Expected != "the hub to go up" {
		t.Fatalf("got %v %+v", err, res)
	}
}
