package service

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNotOwner is what a client of another user reads from the socket.
var ErrNotOwner = errors.New("refused: the capture agent's socket answers only the user it runs as")

// Listen makes the control socket at path: its folder 0700, the socket
// 0600, a stale socket (no one listening) replaced, a live one refused
// (another service of the same user runs: attach to it instead). Every
// connection is checked with SO_PEERCRED: one of another uid gets a 403
// naming ErrNotOwner and is closed (refused counts them).
func Listen(path string, uid int, refused func(peerUID int)) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, ErrRunning)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	return &credListener{Listener: l, uid: uid, refused: refused}, nil
}

// ErrRunning: a service already answers on the socket.
var ErrRunning = errors.New("a capture agent is already running for this user")

// credListener accepts only connections of its uid.
type credListener struct {
	net.Listener
	uid     int
	refused func(int)
}

// Accept returns the next connection of the socket's own user; others are
// told why and closed.
func (l *credListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer, err := PeerUID(c)
		if err == nil && peer == l.uid {
			return c, nil
		}
		if l.refused != nil {
			l.refused(peer)
		}
		msg := ErrNotOwner.Error() + "\n"
		if err != nil {
			msg = "refused: cannot tell who you are: " + err.Error() + "\n"
		}
		go refuse(c, msg)
	}
}

// refuse answers a connection of another user with 403 and msg. It lets
// the client finish writing its request first (read, bounded in size and
// time): a socket closed under a client still writing would make it see a
// broken pipe instead of the reason.
func refuse(c net.Conn, msg string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(msg), msg)
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// PeerUID is the uid of the process at the other end of a Unix socket
// (SO_PEERCRED).
func PeerUID(c net.Conn) (int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, fmt.Errorf("SO_PEERCRED: %w", cerr)
	}
	return int(cred.Uid), nil
}

// IsNotOwner says a response body is the socket's refusal.
func IsNotOwner(body string) bool { return strings.HasPrefix(body, "refused:") }
