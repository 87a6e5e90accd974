package netcut

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second)) // a broken relay fails, never hangs
	return c
}

// echo sends a line and reads the answer; ok is false when the connection
// is closed instead.
func echo(t *testing.T, c net.Conn, line string) (string, bool) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", false
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("read timed out: the relay neither answered nor closed")
		}
		return "", false
	}
	return strings.TrimSuffix(got, "\n"), true
}

func TestProxyDownUp(t *testing.T) {
	p, err := New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := t.Context()

	before := dial(t, p)
	if got, ok := echo(t, before, "hello"); !ok || got != "hello" {
		t.Fatalf("through the relay: %q %v, want the echo", got, ok)
	}

	if err := p.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := echo(t, before, "still there?"); ok {
		t.Error("a connection made before Down still relays")
	}
	if _, ok := echo(t, dial(t, p), "new"); ok {
		t.Error("a new connection relays while down")
	}
	if err := p.Down(ctx); err != nil { // idempotent
		t.Fatal(err)
	}

	if err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok := echo(t, dial(t, p), "back"); !ok || got != "back" {
		t.Errorf("after Up: %q %v, want the echo", got, ok)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil { // idempotent
		t.Errorf("second Close: %v", err)
	}
	if err := p.Down(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Down after Close = %v, want ErrClosed", err)
	}
	if err := p.Up(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Up after Close = %v, want ErrClosed", err)
	}
}

func TestProxyTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p, err := New(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, ok := echo(t, dial(t, p), "anyone?"); ok {
		t.Error("relayed to a target that does not listen")
	}
}
