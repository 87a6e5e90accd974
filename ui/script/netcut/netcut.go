// Package netcut is a TCP relay whose "network" can be cut: the `hub down` /
// `hub up` of a keystroke script (script.HubControl) in demo mode, and the
// network drop of end-to-end tests. It is an adapter: only cmd/agentdesk and
// tests import it.
package netcut

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/agentdesk/agentdesk/ui/script"
)

// ErrClosed is returned by Down and Up after Close.
var ErrClosed = errors.New("netcut: the relay is closed")

// Proxy relays TCP connections from a loopback port to a target, for
// example from the agent's desktop to the hub. Down closes every relayed
// connection and refuses new ones until Up. Safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	down   bool
	closed bool
	conns  map[net.Conn]struct{}
}

var _ script.HubControl = (*Proxy)(nil)

// New listens on a free loopback port and relays to target (host:port).
// Close it to stop.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("netcut: %w", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the relay's address as http://127.0.0.1:PORT.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.down || p.closed
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		h, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.down || p.closed { // cut while dialling
			p.mu.Unlock()
			c.Close()
			h.Close()
			continue
		}
		p.conns[c], p.conns[h] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(h, c)
		go p.pipe(c, h)
	}
}

// pipe copies src to dst until either ends, then closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Down cuts the network: every relayed connection closes, new ones are
// refused. It is idempotent.
func (p *Proxy) Down(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.down = true
	p.dropLocked()
	return nil
}

// Up lets new connections through again. It is idempotent.
func (p *Proxy) Up(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.down = false
	return nil
}

func (p *Proxy) dropLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Close stops listening, drops every connection and waits for the relay
// goroutines. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.dropLocked()
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
