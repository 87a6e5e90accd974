package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// StatusUnauthorized closes an agent socket whose hello carried a wrong
// token (a private-use code in the 4000 range: policy).
const StatusUnauthorized websocket.StatusCode = 4001

// outQueue is how many frames may wait for a slow peer before it is cut off.
const outQueue = 256

// outFrame is one frame for the writer, or a close order when close is set.
type outFrame struct {
	b      []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

// peer is one websocket. Frames are queued by the hub (under its lock,
// never blocking) and written in order by the peer's own writer goroutine.
type peer struct {
	conn *websocket.Conn
	out  chan outFrame
	gone chan struct{} // closed when the peer is finished
	once sync.Once
}

func newPeer(c *websocket.Conn) *peer {
	return &peer{conn: c, out: make(chan outFrame, outQueue), gone: make(chan struct{})}
}

// send queues an envelope. A peer too slow to keep up is cut off rather
// than allowed to stall the hub.
func (p *peer) send(typ, chat string, data any) {
	env, err := session.NewEnvelope(typ, chat, data)
	if err != nil {
		return // our own payloads always encode
	}
	b, _ := json.Marshal(env)
	p.push(outFrame{b: b})
}

func (p *peer) push(f outFrame) {
	select {
	case <-p.gone:
	case p.out <- f:
	default:
		p.kill()
	}
}

// sendError answers a refused frame.
func (p *peer) sendError(ref, code, msg string, fatal bool) {
	env, _ := session.NewEnvelope(session.TypeError, "", session.ErrorData{Code: code, Message: msg, Fatal: fatal})
	env.Ref = ref
	b, _ := json.Marshal(env)
	p.push(outFrame{b: b})
}

// closeAfter queues a close: frames queued before it are written first.
func (p *peer) closeAfter(code websocket.StatusCode, reason string) {
	p.push(outFrame{close: true, code: code, reason: reason})
}

// kill ends the peer at once. Idempotent.
func (p *peer) kill() {
	p.once.Do(func() {
		close(p.gone)
		go p.conn.CloseNow()
	})
}

// writeLoop writes queued frames until the peer is gone or ctx ends.
func (p *peer) writeLoop(ctx context.Context) {
	defer p.kill()
	for {
		select {
		case <-p.gone:
			return
		case <-ctx.Done():
			_ = p.conn.Close(websocket.StatusGoingAway, "hub shutting down")
			return
		case f := <-p.out:
			if f.close {
				_ = p.conn.Close(f.code, f.reason)
				return
			}
			if err := p.conn.Write(ctx, websocket.MessageText, f.b); err != nil {
				return
			}
		}
	}
}

// Errors from readFrame.
var (
	errTooLarge = errors.New("frame too large")
)

// readFrame reads one message of at most max bytes. A larger message is
// drained (up to the hard read limit set on the conn) and reported as
// errTooLarge so the hub can answer and keep the socket; anything else is a
// dead socket.
func readFrame(ctx context.Context, c *websocket.Conn, max int64, buf *bytes.Buffer) error {
	_, r, err := c.Reader(ctx)
	if err != nil {
		return err
	}
	buf.Reset()
	n, err := io.Copy(buf, io.LimitReader(r, max+1))
	if err != nil {
		return err
	}
	if n > max {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		return errTooLarge
	}
	return nil
}

// frameError is a refused frame: the code and words sent back.
type frameError struct {
	code, msg string
}

func (e *frameError) Error() string { return e.code + ": " + e.msg }

func ferr(code, format string, a ...any) *frameError {
	return &frameError{code: code, msg: fmt.Sprintf(format, a...)}
}

// parseEnvelope checks a frame's JSON and version.
func parseEnvelope(b []byte) (session.Envelope, *frameError) {
	var env session.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return env, ferr(session.ErrCodeBadJSON, "the frame is not a JSON envelope: %v", err)
	}
	if env.V != session.ProtocolVersion {
		return env, ferr(session.ErrCodeBadVersion, "protocol version %d is not supported; send \"v\": %d", env.V, session.ProtocolVersion)
	}
	if env.Type == "" {
		return env, ferr(session.ErrCodeUnknownType, "the envelope has no \"type\"")
	}
	return env, nil
}

// decode reads an envelope's payload or says what is wrong with it.
func decode(env session.Envelope, v any) *frameError {
	if err := env.Decode(v); err != nil {
		return ferr(session.ErrCodeBadRequest, "%s: %v", env.Type, err)
	}
	return nil
}
