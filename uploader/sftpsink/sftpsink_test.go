package sftpsink_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
	"github.com/agentdesk/agentdesk/uploader/internal/sshd"
	"github.com/agentdesk/agentdesk/uploader/sftpsink"
)

func config(srv *sshd.Server) sftpsink.Config {
	return sftpsink.Config{Addr: srv.Addr, User: srv.User, KeyFile: srv.KeyFile, KnownHosts: srv.KnownHosts, Dir: srv.Dir + "/recordings"}
}

// TestContract proves R-H1: recordings are delivered over SFTP to Debian's
// openssh-server, verified by checksum, resumable.
func TestContract(t *testing.T) {
	srv := sshd.Start(t)
	n := 0
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		n++
		cfg := config(srv)
		cfg.Dir = fmt.Sprintf("%s/case%d", srv.Dir, n)
		s, err := sftpsink.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return sinktest.Harness{Sink: s, Fetch: func(dest, name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(cfg.Dir, dest, name))
		}}
	})
}

func otherSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRefusals: a wrong host key or an unauthorised user key is a
// permanent error in words; nothing is written.
func TestRefusals(t *testing.T) {
	srv := sshd.Start(t)
	data := []byte("recording")
	for _, tc := range []struct {
		name string
		edit func(c *sftpsink.Config)
	}{
		{"unknown user key", func(c *sftpsink.Config) { c.KeyFile, c.Signer = "", otherSigner(t) }},
		{"host key differs", func(c *sftpsink.Config) {
			kh := filepath.Join(t.TempDir(), "known_hosts")
			line := fmt.Sprintf("[127.0.0.1]:%s %s", srv.Addr[len("127.0.0.1:"):], ssh.MarshalAuthorizedKey(otherSigner(t).PublicKey()))
			os.WriteFile(kh, []byte(line), 0o600)
			c.KnownHosts = kh
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(srv)
			tc.edit(&cfg)
			s, err := sftpsink.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Put(context.Background(), *sinktest.Item("r.webm", data), bytes.NewReader(data), nil)
			if !errors.Is(err, uploader.ErrPermanent) {
				t.Fatalf("Put: %v, want ErrPermanent", err)
			}
			t.Log(err)
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	kh := filepath.Join(t.TempDir(), "kh")
	os.WriteFile(kh, nil, 0o600)
	for _, tc := range []struct {
		name string
		cfg  sftpsink.Config
	}{
		{"empty", sftpsink.Config{}},
		{"no known_hosts", sftpsink.Config{Addr: "h:22", User: "u", Dir: "/d", KeyFile: "k"}},
		{"no key", sftpsink.Config{Addr: "h:22", User: "u", Dir: "/d", KnownHosts: kh}},
		{"key file missing", sftpsink.Config{Addr: "h:22", User: "u", Dir: "/d", KnownHosts: kh, KeyFile: "/nonexistent"}},
		{"key file not a key", sftpsink.Config{Addr: "h:22", User: "u", Dir: "/d", KnownHosts: kh, KeyFile: kh}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sftpsink.New(tc.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
