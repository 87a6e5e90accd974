package hub

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// StatusNoHello closes a socket that did not say hello (agent) or join
// (customer) within limits.hello_timeout: websocket's policy violation.
const StatusNoHello = websocket.StatusPolicyViolation

// accept upgrades a request to a websocket peer with the frame limits set
// and the hello deadline running: unless the peer says hello (or join)
// within limits.hello_timeout (helloDone), the socket is closed with
// StatusNoHello and reason.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, reason string) (*peer, *websocket.Conn, bool) {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		http.Error(w, "the hub is shutting down", http.StatusServiceUnavailable)
		return nil, nil, false
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, nil, false // Accept already answered the request
	}
	// Frames up to max are read; larger ones up to 4x are drained and
	// refused with too_large; beyond that the library closes the socket
	// with 1009 and a reason that says so.
	c.SetReadLimit(4*s.cfg.MaxFrameBytes + 1024)
	p := s.newSocket(c, reason)
	if p == nil {
		_ = c.Close(websocket.StatusGoingAway, "hub shutting down")
		return nil, nil, false
	}
	return p, c, true
}

// newSocket makes the peer of a socket (a websocket here, or one a
// cluster edge carries) with its hello deadline running; nil when the hub
// is shutting down.
func (s *Server) newSocket(c wsConn, reason string) *peer {
	p := newPeer(c, s.j)
	if !s.addPeer(p) {
		return nil
	}
	p.mu.Lock()
	p.hello = time.AfterFunc(s.cfg.Limits.HelloTimeout, func() {
		p.closeAfter(StatusNoHello, reason)
		time.AfterFunc(5*time.Second, p.kill) // one that does not read gets no close handshake
	})
	p.mu.Unlock()
	return p
}

// frameSource is where a socket's frames come from: its websocket, or the
// cluster edge that holds it (cluster.go). next returns errTooLarge for a
// frame over max_frame_bytes (the socket stays), any other error when the
// socket has ended.
type frameSource interface {
	next() ([]byte, error)
}

// wsSource reads a websocket's frames into one reused buffer.
type wsSource struct {
	c   *websocket.Conn
	fr  frameReader
	max int64
}

func (w *wsSource) next() ([]byte, error) {
	return w.fr.read(context.Background(), w.c, w.max) // no per-call context: see drain
}

// helloDone stops p's hello deadline: it said hello or join.
func (p *peer) helloDone() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hello != nil {
		p.hello.Stop()
		p.hello = nil
	}
}

// readLoop reads frames from c and hands each to s.frame until the socket
// ends or is refused for good.
func (s *Server) readLoop(p *peer, src frameSource, handle func(*inbound) *frameError) {
	in := new(inbound) // reused: one per socket, not per frame
	for {
		frame, err := src.next()
		if errors.Is(err, errTooLarge) {
			p.sendError("", session.ErrCodeTooLarge, "the frame is larger than max_frame_bytes; send less", false)
			continue
		}
		if err != nil {
			return
		}
		p.frames.Add(1)
		if !s.frame(p, in, frame, handle) {
			return
		}
	}
}

// frame decodes one frame and hands a good envelope to handle; a refused
// frame is answered with an error and the socket stays up, unless the
// refusal is for good (a wrong token): then it reports false once the
// error and the close are sent.
func (s *Server) frame(p *peer, in *inbound, frame []byte, handle func(*inbound) *frameError) bool {
	fe := in.parse(frame)
	if fe == nil {
		if in.env.Type == session.TypePing {
			p.send(session.TypePong, "", nil)
			return true
		}
		fe = handle(in)
	}
	if fe == nil {
		return true
	}
	p.sendError(in.env.Ref, fe.code, fe.msg, fe.code == session.ErrCodeUnauthorized)
	if fe.code != session.ErrCodeUnauthorized {
		return true
	}
	p.closeAfter(StatusUnauthorized, "unauthorized: wrong token")
	select { // let the writer send the error and the close first
	case <-p.gone:
	case <-time.After(5 * time.Second):
	}
	return false
}

// pinger pings every socket that has read nothing for
// limits.ping_interval and kills it when the pong does not come within
// limits.ping_timeout: a peer that vanished without a close (a cut
// network, a suspended laptop, a client that never reads) is noticed and
// its socket freed. It runs until stop is closed, on real time whatever
// the hub's clock (the network's time is real).
func (s *Server) pinger(stop <-chan struct{}) {
	every, timeout := s.cfg.Limits.PingInterval, s.cfg.Limits.PingTimeout
	t := time.NewTicker(max(every/4, 25*time.Millisecond))
	defer t.Stop()
	var peers []*peer
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now()
		peers = peers[:0]
		s.mu.RLock()
		for p := range s.peers {
			peers = append(peers, p)
		}
		s.mu.RUnlock()
		for _, p := range peers {
			if n := p.frames.Load(); n != p.seen || p.quiet.IsZero() {
				p.seen, p.quiet = n, now
				continue
			}
			if now.Sub(p.quiet) < every || !p.pinging.CompareAndSwap(false, true) {
				continue
			}
			p.quiet = now
			go s.ping(p, timeout)
		}
		clear(peers[:cap(peers)]) // hold no peer past its socket
	}
}

// ping pings p once and kills it when no pong comes within timeout.
func (s *Server) ping(p *peer, timeout time.Duration) {
	defer p.pinging.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := p.conn.Ping(ctx); err != nil {
		select {
		case <-p.gone:
		default:
			s.log.Debug("socket closed: no pong", "within", timeout)
			p.kill()
		}
	}
}
