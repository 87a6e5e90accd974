// Package servicetest runs the real capture-agent service (issue 15) as a
// child process, with a real Xvfb screen, a real PulseAudio input, the
// real hub and the real desktop, and kills them with SIGKILL. Its tests
// are slow, so they sit in a package of their own (run beside the rest).
package servicetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/service"
)

// bins are the three programs, built once for the package.
var (
	binsOnce sync.Once
	binsDir  string
	binsErr  error
)

// moduleRoot is the repository root (two folders up from here… three).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(wd, "..", "..", "..")
}

// bin builds the programs (once) and returns the path of name.
func bin(t *testing.T, name string) string {
	t.Helper()
	root := moduleRoot(t)
	binsOnce.Do(func() {
		binsDir, binsErr = os.MkdirTemp("", "servicetest-bin-")
		if binsErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binsDir+"/", "./cmd/capture-agent", "./cmd/agentdesk", "./cmd/chathub")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			binsErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binsErr != nil {
		t.Fatal(binsErr)
	}
	return filepath.Join(binsDir, name)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binsDir != "" {
		os.RemoveAll(binsDir)
	}
	os.Exit(code)
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (make deps)", name)
		}
		t.Skipf("%s not installed (make deps)", name)
	}
}

// agent is a running `capture-agent run`.
type agent struct {
	cmd    *exec.Cmd
	socket string
	stderr *lockedBuf
	done   chan struct{}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeConfig writes a config file into dir and returns its path.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "capture.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startAgent runs capture-agent run with config and env (added to the
// environment) and waits for its "running" line.
func startAgent(t *testing.T, config, socket string, env ...string) *agent {
	t.Helper()
	cmd := exec.Command(bin(t, "capture-agent"), "run", "--config", config, "--user-config", "")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{cmd: cmd, socket: socket, stderr: &lockedBuf{}, done: make(chan struct{})}
	cmd.Stderr = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-a.done
		if t.Failed() {
			t.Logf("capture-agent stderr:\n%s", a.stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "capture agent ") {
			t.Fatalf("capture-agent did not start: %q\n%s", l, a.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("capture-agent did not start in 30 s\n%s", a.stderr.String())
	}
	return a
}

// kill9 kills the agent with SIGKILL and waits for it.
func (a *agent) kill9(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
}

// report asks the service for its status.
func report(t *testing.T, socket string) service.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := service.NewClient(socket).Report(ctx)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return r
}

// waitReport polls the status until ok, for at most d.
func waitReport(t *testing.T, socket, what string, d time.Duration, ok func(service.Report) bool) service.Report {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r := report(t, socket)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; status: %+v", what, d, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shortDir is a temp folder with a short path (Unix sockets take at most
// 107 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "ca-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
