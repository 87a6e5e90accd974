package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// errProxyClosed is returned by Down and Up after Close.
var errProxyClosed = errors.New("the network proxy is closed")

// netProxy is a TCP relay between the demo agent's desktop and the hub
// whose "network" can be cut: Down closes every relayed connection and
// refuses new ones until Up. It is the `hub down` / `hub up` of a script
// (script.HubControl) and the network drop of the end-to-end tests.
type netProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	down   bool
	closed bool
	conns  map[net.Conn]struct{}
}

// newNetProxy listens on a free loopback port and relays to target
// (host:port).
func newNetProxy(target string) (*netProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("network proxy: %w", err)
	}
	p := &netProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the proxy's http address.
func (p *netProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *netProxy) serve() {
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
func (p *netProxy) pipe(dst, src net.Conn) {
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
func (p *netProxy) Down(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errProxyClosed
	}
	p.down = true
	p.dropLocked()
	return nil
}

// Up lets new connections through again. It is idempotent.
func (p *netProxy) Up(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errProxyClosed
	}
	p.down = false
	return nil
}

func (p *netProxy) dropLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Close stops listening, drops every connection and waits for the relay
// goroutines. It is idempotent.
func (p *netProxy) Close() error {
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
