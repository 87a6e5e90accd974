package sshd

import (
	"os"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestStartLogsIn: the daemon accepts the generated user key and its host
// key matches the known_hosts file; a stranger's key is refused.
func TestStartLogsIn(t *testing.T) {
	s := Start(t)
	hk, err := knownhosts.New(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(s.Signer)}, HostKeyCallback: hk})
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	c.Close()
	other, _, err := writeKey(t.TempDir() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(other)}, HostKeyCallback: hk}); err == nil {
		c.Close()
		t.Fatal("a key that is not authorised logged in")
	}
	if _, err := os.Stat(s.KeyFile); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Stop() // idempotent
}
