// Package sshd starts Debian's real OpenSSH server for tests: a private
// sshd on 127.0.0.1 and a free port, generated host and user keys, the
// user's key authorised, internal-sftp, and a known_hosts file for the
// client. It is stopped at the end of the test.
package sshd

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Binary is where Debian's openssh-server puts the daemon.
const Binary = "/usr/sbin/sshd"

// Server is a running sshd.
type Server struct {
	Addr       string     // 127.0.0.1:PORT
	User       string     // the user to log in as (the one running the test)
	Signer     ssh.Signer // the user's authorised key
	KeyFile    string     // the same key, OpenSSH PEM, for clients that read files
	KnownHosts string     // a known_hosts file naming the server's host key
	HostKey    ssh.PublicKey
	Dir        string // a scratch folder the user can write to
	cmd        *exec.Cmd
	exited     chan struct{}
}

// Start starts sshd for t. Without the binary the test fails when the
// environment variable CI is set and is skipped otherwise.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("sshd: %v (install openssh-server: .ci/deps.sh)", err)
		}
		t.Skipf("sshd: %v (install openssh-server)", err)
	}
	dir := t.TempDir()
	s, err := start(dir)
	if err != nil {
		t.Fatalf("sshd: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func start(dir string) (*Server, error) {
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil { // privilege separation dir
			return nil, err
		}
	}
	s := &Server{User: u.Username, Dir: filepath.Join(dir, "files")}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	if _, s.HostKey, err = writeKey(filepath.Join(dir, "host_ed25519")); err != nil {
		return nil, err
	}
	s.KeyFile = filepath.Join(dir, "user_ed25519")
	if s.Signer, _, err = writeKey(s.KeyFile); err != nil {
		return nil, err
	}
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, ssh.MarshalAuthorizedKey(s.Signer.PublicKey()), 0o600); err != nil {
		return nil, err
	}
	var last error
	for range 5 { // the free port may be taken between probe and bind
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		if last = s.launch(dir, port, auth); last == nil {
			return s, nil
		}
	}
	return nil, last
}

func (s *Server) launch(dir string, port int, auth string) error {
	cfg := filepath.Join(dir, "sshd_config")
	conf := strings.Join([]string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host_ed25519"),
		"AuthorizedKeysFile " + auth,
		"PidFile none",
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin prohibit-password",
		"Subsystem sftp internal-sftp",
		"LogLevel ERROR",
		"",
	}, "\n")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		return err
	}
	var stderr strings.Builder
	cmd := exec.Command(Binary, "-D", "-e", "-f", cfg)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	line := fmt.Sprintf("[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(s.HostKey))
	s.KnownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(s.KnownHosts, []byte(line), 0o600); err != nil {
		s.Stop()
		return err
	}
	// Wait for the banner: the daemon is up.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited at start: %s", strings.TrimSpace(stderr.String()))
		default:
		}
		if banner(s.Addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return errors.New("sshd did not answer within 15 s")
}

func banner(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	l, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(l, "SSH-2.0-")
}

// Stop kills the daemon and waits for it. Idempotent.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writeKey generates an ed25519 key, writes it in OpenSSH PEM form to path
// and returns its signer and public key.
func writeKey(path string) (ssh.Signer, ssh.PublicKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, err
	}
	return signer, signer.PublicKey(), nil
}
