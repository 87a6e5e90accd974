// Package sftpsink delivers recordings to the recording platform over SFTP
// (R-H1): key authentication, the host key checked against a known_hosts
// file, the file written to a temp name, fsynced, its size and SHA-256
// checked by reading it back, then renamed into place with its manifest
// beside it. A partial temp file is resumed by its size.
package sftpsink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/agentdesk/agentdesk/uploader"
)

// Config says where and how to connect.
type Config struct {
	Addr       string     // host:port
	User       string     // login name
	Signer     ssh.Signer // the private key; or KeyFile
	KeyFile    string     // an unencrypted private key file (OpenSSH or PEM)
	KnownHosts string     // known_hosts file holding the server's host key
	Dir        string     // remote folder the recordings go to
	Timeout    time.Duration
}

// Sink stores files on an SFTP server. It connects for each call.
type Sink struct {
	cfg  Config
	ssh  *ssh.ClientConfig
	root string
}

var (
	_ uploader.Sink     = (*Sink)(nil)
	_ uploader.Resumer  = (*Sink)(nil)
	_ uploader.Verifier = (*Sink)(nil)
)

// New checks cfg and returns a Sink. It does not connect yet.
func New(cfg Config) (*Sink, error) {
	if cfg.Addr == "" || cfg.User == "" || cfg.Dir == "" {
		return nil, errors.New("sftpsink: Addr, User and Dir are required")
	}
	if cfg.KnownHosts == "" {
		return nil, errors.New("sftpsink: a known_hosts file is required (the server's host key is always checked)")
	}
	hk, err := knownhosts.New(cfg.KnownHosts)
	if err != nil {
		return nil, fmt.Errorf("sftpsink: known_hosts: %w", err)
	}
	signer := cfg.Signer
	if signer == nil {
		if cfg.KeyFile == "" {
			return nil, errors.New("sftpsink: a private key (Signer or KeyFile) is required")
		}
		pem, err := os.ReadFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("sftpsink: key: %w", err)
		}
		if signer, err = ssh.ParsePrivateKey(pem); err != nil {
			return nil, fmt.Errorf("sftpsink: key %s: %w", cfg.KeyFile, err)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &Sink{cfg: cfg, root: cfg.Dir, ssh: &ssh.ClientConfig{
		User: cfg.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk, Timeout: cfg.Timeout,
	}}, nil
}

// session is one SSH connection with its SFTP client.
type session struct {
	conn net.Conn
	ssh  *ssh.Client
	sftp *sftp.Client
	stop func() bool
}

// dial connects; the connection is closed when ctx ends.
func (s *Sink) dial(ctx context.Context) (*session, error) {
	d := net.Dialer{Timeout: s.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("sftpsink: connect %s: %w", s.cfg.Addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, s.cfg.Addr, s.ssh)
	if err != nil {
		stop()
		conn.Close()
		var kerr *knownhosts.KeyError
		switch {
		case errors.As(err, &kerr):
			return nil, fmt.Errorf("sftpsink: %s: %w: the server's host key is not the one in %s (%v)", s.cfg.Addr, uploader.ErrPermanent, s.cfg.KnownHosts, err)
		case isAuthErr(err):
			return nil, fmt.Errorf("sftpsink: %s: %w: the server refused our key for user %q (%v)", s.cfg.Addr, uploader.ErrPermanent, s.cfg.User, err)
		}
		return nil, fmt.Errorf("sftpsink: ssh %s: %w", s.cfg.Addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	sc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		stop()
		client.Close()
		return nil, fmt.Errorf("sftpsink: start sftp: %w", err)
	}
	return &session{conn: conn, ssh: client, sftp: sc, stop: stop}, nil
}

func isAuthErr(err error) bool {
	var se *ssh.ServerAuthError
	return errors.As(err, &se) || strings.Contains(err.Error(), "unable to authenticate")
}

func (ss *session) close() {
	ss.stop()
	ss.sftp.Close()
	ss.ssh.Close()
}

// paths returns the remote folder, final and temp paths for item.
func (s *Sink) paths(item uploader.Item) (dir, final, tmp string, err error) {
	dest, name, partial, err := item.Target()
	if err != nil {
		return "", "", "", fmt.Errorf("sftpsink: %w", err)
	}
	dir = path.Join(s.root, dest)
	return dir, path.Join(dir, name), path.Join(dir, partial), nil
}

// remoteSum reads a remote file back and returns its SHA-256 and size.
func remoteSum(c *sftp.Client, p string) (string, int64, error) {
	f, err := c.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := f.WriteTo(h)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Offset returns the size of item's partial temp file on the server.
func (s *Sink) Offset(ctx context.Context, item uploader.Item) (int64, error) {
	_, _, tmp, err := s.paths(item)
	if err != nil {
		return 0, err
	}
	ss, err := s.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer ss.close()
	st, err := ss.sftp.Stat(tmp)
	if err != nil {
		return 0, nil
	}
	return resumePoint(st.Size(), item.Size), nil
}

// Verify reads the stored file back over SFTP and compares its SHA-256.
func (s *Sink) Verify(ctx context.Context, item uploader.Item) (string, error) {
	_, final, _, err := s.paths(item)
	if err != nil {
		return "", err
	}
	ss, err := s.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ss.close()
	sum, size, err := remoteSum(ss.sftp, final)
	if err != nil || sum != item.SHA256 || size != item.Size {
		return "", fmt.Errorf("sftpsink: %s: %w", item.Name, uploader.ErrNotStored)
	}
	return final, nil
}
