package hubclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// Option changes how Dial connects.
type Option func(*options)

type options struct {
	minBackoff   time.Duration
	maxBackoff   time.Duration
	jitter       float64
	pingEvery    time.Duration
	pingTimeout  time.Duration
	dialTimeout  time.Duration
	writeTimeout time.Duration
	readLimit    int64
	buffer       int
	version      string
	log          *slog.Logger
	dialOptions  *websocket.DialOptions
}

func defaults() options {
	return options{
		minBackoff:   250 * time.Millisecond,
		maxBackoff:   10 * time.Second,
		jitter:       0.2,
		pingEvery:    5 * time.Second,
		pingTimeout:  5 * time.Second,
		dialTimeout:  10 * time.Second,
		writeTimeout: 10 * time.Second,
		readLimit:    4 << 20,
		buffer:       256,
		version:      Version,
		log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// backoff returns the wait before reconnect attempt n (1-based): min
// doubling up to max, spread by the jitter.
func (o options) backoff(n int) time.Duration {
	d := o.minBackoff
	for i := 1; i < n && d < o.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.maxBackoff)
	return jitter(d, o.jitter)
}

// WithBackoff sets the first reconnect wait and the cap it doubles up to
// (default 250ms and 10s). Non-positive values keep the default.
func WithBackoff(first, max time.Duration) Option {
	return func(o *options) {
		if first > 0 {
			o.minBackoff = first
		}
		if max > 0 {
			o.maxBackoff = max
		}
		if o.maxBackoff < o.minBackoff {
			o.maxBackoff = o.minBackoff
		}
	}
}

// WithJitter sets the random spread of each wait, as a fraction (default
// 0.2 for ±20%; 0 for none).
func WithJitter(frac float64) Option {
	return func(o *options) {
		if frac >= 0 && frac < 1 {
			o.jitter = frac
		}
	}
}

// WithKeepAlive sets how often the hub is pinged and how long a pong may
// take before the connection is declared dead (default 5s and 5s).
func WithKeepAlive(every, timeout time.Duration) Option {
	return func(o *options) {
		if every > 0 {
			o.pingEvery = every
		}
		if timeout > 0 {
			o.pingTimeout = timeout
		}
	}
}

// WithDialTimeout bounds each connection attempt: the websocket handshake,
// and then the wait for the hub's welcome (default 10s).
func WithDialTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.dialTimeout = d
		}
	}
}

// WithLogger sets the logger for connection events (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithDialer sets the websocket dial options, e.g. an http.Client with a
// custom transport or headers. The client does not modify them.
func WithDialer(d *websocket.DialOptions) Option {
	return func(o *options) { o.dialOptions = d }
}

// WithVersion sets the version named in hello ("agentdesk/<v>").
func WithVersion(v string) Option {
	return func(o *options) {
		if v != "" {
			o.version = v
		}
	}
}

func marshal(e session.Envelope) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("hubclient: encode %s: %w", e.Type, err)
	}
	return b, nil
}

// readEnvelope reads the next frame that decodes as an envelope. Frames
// that do not are skipped (the hub never sends them; a bad one must not
// drop the link). Errors are connection errors.
func readEnvelope(ctx context.Context, conn *websocket.Conn) (session.Envelope, error) {
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return session.Envelope{}, err
		}
		var e session.Envelope
		if json.Unmarshal(b, &e) == nil && e.Type != "" {
			return e, nil
		}
	}
}
