package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// StatusUnauthorized closes an agent socket whose hello carried a wrong
// token (a private-use code in the 4000 range: policy).
const StatusUnauthorized websocket.StatusCode = 4001

// maxQueue is how many frames may wait for a slow peer before it is cut off.
const maxQueue = 1024

// wsConn is what a peer needs of its websocket: a *websocket.Conn, or in
// the fuzz targets a stand-in that keeps what is written.
type wsConn interface {
	Write(ctx context.Context, typ websocket.MessageType, p []byte) error
	Close(code websocket.StatusCode, reason string) error
	CloseNow() error
	Ping(ctx context.Context) error
}

// peer is one websocket. Frames are queued by the hub (under its locks,
// never blocking) and written in order by a writer goroutine that runs only
// while there is something to write, so an idle socket costs no goroutine.
// A frame waits in the queue until the journal has stored every change
// made before it was queued (write-through: nothing is acknowledged before
// it is stored).
type peer struct {
	conn    wsConn
	gate    *journal
	gone    chan struct{} // closed when the peer is finished
	once    sync.Once
	drainFn func() // p.drain, made once: go p.drain() would allocate a closure per start

	mu      sync.Mutex
	queue   [][]byte // queue[head:] waits to be written
	needs   []uint64 // the journal epoch each queued frame waits for
	queued  []int64  // when each queued frame was queued (monotonic ns, see mono), for the relay latency
	head    int
	writing bool // a drain goroutine is running
	closing bool // close with code and reason once the queue is written
	dead    bool
	code    websocket.StatusCode
	reason  string

	frames  atomic.Uint64 // frames read: the pinger tells a quiet socket by it
	pinging atomic.Bool   // a ping is in flight
	hello   *time.Timer   // closes the socket unless it says hello or join in time; nil after
	// The pinger's own notes, touched by its goroutine alone.
	seen  uint64    // frames when last looked at
	quiet time.Time // since when it has read nothing
}

func newPeer(c wsConn, gate *journal) *peer {
	p := &peer{conn: c, gate: gate, gone: make(chan struct{})}
	p.drainFn = p.drain
	return p
}

// send queues an envelope.
func (p *peer) send(typ, chat string, data any) {
	if b := encode(typ, chat, data); b != nil {
		p.push(b)
	}
}

// encode marshals an envelope once, for sending to one or several peers.
// It writes the envelope around the payload by hand: json.Marshal of an
// Envelope would validate and compact the RawMessage a second time.
func encode(typ, chat string, data any) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, session.ProtocolVersion, 10)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	if chat != "" {
		b = append(b, `,"chat":`...)
		b = appendJSONString(b, chat)
	}
	if data != nil {
		d, err := json.Marshal(data)
		if err != nil {
			return nil // our own payloads always encode
		}
		b = append(b, `,"data":`...)
		b = append(b, d...)
	}
	return append(b, '}')
}

// encodeMessage is encode for a transcript line, by hand: it is the hot
// path, and encoding/json costs several allocations per line.
func encodeMessage(chat string, m session.MessageData) []byte {
	if m.File != nil {
		return encode(session.TypeMessage, chat, m) // rare: the plain way
	}
	b := make([]byte, 0, 160+len(m.Text)+len(m.URL))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, session.ProtocolVersion, 10)
	b = append(b, `,"type":"message","chat":`...)
	b = appendJSONString(b, chat)
	b = append(b, `,"data":{"id":`...)
	b = strconv.AppendInt(b, m.ID, 10)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, m.From)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, m.Name)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, m.Text)
	if m.URL != "" {
		b = append(b, `,"url":`...)
		b = appendJSONString(b, m.URL)
	}
	b = append(b, `,"at":"`...)
	b = m.At.AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}}`...)
}

// encodeTyping is encode for a typing notice, by hand like encodeMessage:
// customers send one per keystroke or so.
func encodeTyping(chat string, d session.TypingData) []byte {
	b := make([]byte, 0, 80+len(chat)+len(d.Preview))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, session.ProtocolVersion, 10)
	b = append(b, `,"type":"typing"`...)
	if chat != "" {
		b = append(b, `,"chat":`...)
		b = appendJSONString(b, chat)
	}
	b = append(b, `,"data":{"typing":`...)
	b = strconv.AppendBool(b, d.Typing)
	if d.Preview != "" {
		b = append(b, `,"preview":`...)
		b = appendJSONString(b, d.Preview)
	}
	return append(b, `}}`...)
}

// appendJSONString appends s as a JSON string; anything but plain ASCII
// goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// push queues a frame. A peer too slow to keep up is cut off rather than
// allowed to grow the hub's memory.
func (p *peer) push(b []byte) {
	p.mu.Lock()
	if p.dead || p.closing {
		p.mu.Unlock()
		return
	}
	if len(p.queue)-p.head >= maxQueue {
		p.mu.Unlock()
		p.kill()
		return
	}
	p.queue = append(p.queue, b)
	p.needs = append(p.needs, p.gate.next.Load())
	p.queued = append(p.queued, mono())
	p.startLocked()
	p.mu.Unlock()
}

// resume restarts the writer of a peer that waited for the journal.
func (p *peer) resume() {
	p.mu.Lock()
	if !p.dead && p.head < len(p.queue) {
		p.startLocked()
	}
	p.mu.Unlock()
}

func (p *peer) startLocked() {
	if !p.writing {
		p.writing = true
		go p.drainFn()
	}
}

// sendError answers a refused frame.
func (p *peer) sendError(ref, code, msg string, fatal bool) {
	env, _ := session.NewEnvelope(session.TypeError, "", session.ErrorData{Code: code, Message: msg, Fatal: fatal})
	env.Ref = ref
	b, _ := json.Marshal(env)
	p.push(b)
}

// closeAfter closes the socket with code and reason once the frames queued
// before it are written.
func (p *peer) closeAfter(code websocket.StatusCode, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead || p.closing {
		return
	}
	p.closing, p.code, p.reason = true, code, reason
	p.startLocked()
}

// kill ends the peer at once. Idempotent.
func (p *peer) kill() {
	p.once.Do(func() {
		p.mu.Lock()
		p.dead, p.queue, p.needs, p.queued, p.head = true, nil, nil, nil, 0
		p.mu.Unlock()
		close(p.gone)
		go p.conn.CloseNow()
	})
}

// drain writes the queue in order, then ends (or closes the socket when
// asked to).
func (p *peer) drain() {
	for {
		p.mu.Lock()
		if p.dead {
			p.writing = false
			p.mu.Unlock()
			return
		}
		if p.head == len(p.queue) {
			p.head = 0
			if cap(p.queue) > 64 {
				p.queue, p.needs, p.queued = nil, nil, nil // give a burst's memory back
			} else {
				p.queue, p.needs, p.queued = p.queue[:0], p.needs[:0], p.queued[:0]
			}
			if p.closing {
				p.mu.Unlock()
				_ = p.conn.Close(p.code, p.reason)
				p.kill()
				return
			}
			p.writing = false
			p.mu.Unlock()
			return
		}
		if need := p.needs[p.head]; need > p.gate.durable.Load() {
			// Not stored yet: wait for the journal, which resumes us.
			p.writing = false
			p.mu.Unlock()
			if p.gate.park(p, need) {
				return
			}
			p.resume() // stored meanwhile
			return
		}
		b, at := p.queue[p.head], p.queued[p.head]
		p.queue[p.head] = nil
		p.head++
		p.mu.Unlock()
		// No deadline context: coder/websocket registers a
		// context.AfterFunc per call otherwise. A stuck peer fills its
		// queue and is killed, which ends this write.
		if err := p.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
			p.kill()
			return
		}
		if m := p.gate.m; m != nil {
			m.relay.Observe(float64(mono()-at) / 1e9)
		}
	}
}

// Errors from readFrame.
var (
	errTooLarge = errors.New("frame too large")
)

// frameReader reads frames into one reused buffer.
type frameReader struct {
	buf bytes.Buffer
	lr  io.LimitedReader
}

// read reads one message of at most max bytes. A larger message is drained
// (up to the hard read limit set on the conn) and reported as errTooLarge so
// the hub can answer and keep the socket; anything else is a dead socket.
func (f *frameReader) read(ctx context.Context, c *websocket.Conn, max int64) ([]byte, error) {
	_, r, err := c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	f.buf.Reset()
	f.lr.R, f.lr.N = r, max+1
	n, err := f.buf.ReadFrom(&f.lr)
	f.lr.R = nil
	if err != nil {
		return nil, err
	}
	if n > max {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err
		}
		return nil, errTooLarge
	}
	if f.buf.Cap() > 16<<10 {
		b := bytes.Clone(f.buf.Bytes())
		f.buf = bytes.Buffer{} // a big frame's buffer is not kept per socket
		return b, nil
	}
	return f.buf.Bytes(), nil
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

// monoBase is the origin of mono.
var monoBase = time.Now()

// mono is a monotonic clock reading in nanoseconds: a queued frame's
// time stamp in 8 bytes.
func mono() int64 { return int64(time.Since(monoBase)) }
