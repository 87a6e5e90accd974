// Package natstest starts a real NATS server (Debian's nats-server) on
// loopback for tests of the hub's cluster, and stops it when the test
// ends.
package natstest

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Server is a running nats-server.
type Server struct {
	URL   string // nats://127.0.0.1:PORT
	Token string // what clients log in with
	cmd   *exec.Cmd
}

var listening = regexp.MustCompile(`Listening for client connections on (\S+)`)

// Binary is the nats-server program: on PATH, or where Debian puts it.
// Without one the test is skipped, or fails when CI is set (make test
// installs it).
func Binary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"} {
		if b, err := exec.LookPath(p); err == nil {
			return b
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nats-server is not installed (apt-get install nats-server; make test installs it)")
	}
	t.Skip("nats-server is not installed")
	return ""
}

// Start runs nats-server on a free loopback port with token auth.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	s := &Server{Token: "natstest-token-0123456789"}
	s.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", "-1", "--auth", s.Token)
	errp, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		s.URL = "nats://" + strings.TrimSpace(addr)
	case <-time.After(10 * time.Second):
		t.Fatal("nats-server did not start listening")
	}
	return s
}

// Stop kills the server (idempotent).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}
