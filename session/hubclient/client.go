// Package hubclient is the agent desktop's websocket connection to the hub
// (/v1/agent). It authenticates with hello, delivers every hub frame and
// every change of the connection as session.LinkEvent values, keeps the
// connection alive with pings, and reconnects with exponential backoff when
// the hub restarts or the network drops.
package hubclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// Version is the client version sent in hello ("agentdesk/<Version>").
const Version = "0.1.0"

// ErrOffline is returned by Send when the client is not connected and
// welcomed by the hub.
var ErrOffline = errors.New("hubclient: not connected to the hub")

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("hubclient: client closed")

// restartPatience is how long after the hub said it restarts a failed
// reconnect is put down to the restart rather than to the network.
const restartPatience = 2 * time.Minute

// closeUnauthorized is the close status the hub uses for a bad token.
const closeUnauthorized websocket.StatusCode = 4001

// errRefused marks a session the hub refused for good (bad token).
var errRefused = errors.New("hubclient: refused by the hub")

// Client is one agent's connection to the hub. It is safe for concurrent
// use. Build it with Dial; stop it with Close.
type Client struct {
	url    string
	token  string
	opt    options
	events chan session.LinkEvent

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu   sync.Mutex
	conn *websocket.Conn // set while welcomed, nil otherwise
}

// Dial starts connecting to the hub at url (http://host:port, https://…,
// ws://… or wss://…; the path /v1/agent is added when missing) with the
// agent's token. It returns at once; the connection is made in the
// background and reported on Events. ctx bounds the client's whole life:
// when it ends the client stops as if closed (Close must still be called to
// close Events).
func Dial(ctx context.Context, url, token string, opts ...Option) *Client {
	o := defaults()
	for _, f := range opts {
		f(&o)
	}
	cctx, cancel := context.WithCancel(ctx)
	c := &Client{
		url:    agentURL(url),
		token:  token,
		opt:    o,
		events: make(chan session.LinkEvent, o.buffer),
		ctx:    cctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go c.run()
	return c
}

// Events delivers every status change and every frame from the hub, in
// order. It is closed by Close. The client waits for the reader, so the
// desktop must keep reading.
func (c *Client) Events() <-chan session.LinkEvent { return c.events }

// Send writes one envelope to the hub. V is set to the protocol version
// when zero. It returns ErrOffline when the client is not connected (or not
// yet welcomed) and ErrClosed after Close.
func (c *Client) Send(ctx context.Context, e session.Envelope) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrOffline
	}
	return c.write(ctx, conn, e)
}

// Close stops the client: it closes the connection, stops retrying, waits
// for its goroutines and closes Events. It is idempotent and always
// returns nil.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		close(c.events)
	})
	return nil
}

// write sends e on conn, bounded by the write timeout.
func (c *Client) write(ctx context.Context, conn *websocket.Conn, e session.Envelope) error {
	if e.V == 0 {
		e.V = session.ProtocolVersion
	}
	b, err := marshal(e)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, c.opt.writeTimeout)
	defer cancel()
	if err := conn.Write(wctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("hubclient: send %s: %w", e.Type, err)
	}
	return nil
}

// emit hands ev to the reader; it gives up when the client is closing.
func (c *Client) emit(ev session.LinkEvent) bool {
	select {
	case c.events <- ev:
		return true
	case <-c.ctx.Done():
		return false
	}
}

func (c *Client) status(s session.LinkStatus) bool {
	return c.emit(session.LinkEvent{Status: &s})
}

// run is the connect / serve / back off loop. It ends when the context
// ends or the hub refuses the token.
func (c *Client) run() {
	defer close(c.done)
	attempt := 0
	var restarting time.Time // the hub said it restarts: until it is back, say so
	for {
		if !c.status(session.LinkStatus{State: session.LinkConnecting, Attempt: attempt}) {
			return
		}
		welcomed, err := c.serve()
		if welcomed {
			restarting = time.Time{}
		}
		if websocket.CloseStatus(err) == websocket.StatusServiceRestart {
			restarting = time.Now()
		}
		if c.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRefused) {
			c.opt.log.Warn("hub refused the agent", "err", err)
			c.status(session.LinkStatus{State: session.LinkRefused, Err: words(err), Attempt: attempt})
			return
		}
		if welcomed {
			attempt = 0
		}
		attempt++
		wait := c.opt.backoff(attempt)
		c.opt.log.Info("hub link down", "err", err, "retry_in", wait, "attempt", attempt)
		why := words(err)
		if !restarting.IsZero() && time.Since(restarting) < restartPatience {
			why = "the hub is restarting"
		}
		if !c.status(session.LinkStatus{State: session.LinkDown, Err: why, RetryIn: wait, Attempt: attempt}) {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return
		}
	}
}

// serve makes one connection and reads it until it fails. welcomed reports
// whether the hub welcomed us on it.
func (c *Client) serve() (welcomed bool, err error) {
	dctx, cancel := context.WithTimeout(c.ctx, c.opt.dialTimeout)
	conn, resp, err := websocket.Dial(dctx, c.url, c.opt.dialOptions)
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return false, fmt.Errorf("%w: %s", errRefused, resp.Status)
		}
		return false, dialError(c.url, c.opt.dialTimeout, resp, err)
	}
	conn.SetReadLimit(c.opt.readLimit)
	defer conn.CloseNow()

	hello, err := session.NewEnvelope(session.TypeHello, "", session.HelloData{Token: c.token, Client: "agentdesk/" + c.opt.version})
	if err != nil {
		return false, err
	}
	if err := c.write(c.ctx, conn, hello); err != nil {
		return false, err
	}

	pctx, stopPing := context.WithCancel(c.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.keepAlive(pctx, conn) }()
	defer func() {
		c.setConn(nil)
		stopPing()
		conn.CloseNow()
		wg.Wait()
	}()

	// A hub that takes the connection but never welcomes us is as good as
	// down: give up on it after the dial timeout and try again.
	var late atomic.Bool
	welcomeTimer := time.AfterFunc(c.opt.dialTimeout, func() { late.Store(true); conn.CloseNow() })
	defer welcomeTimer.Stop()

	for {
		e, err := readEnvelope(c.ctx, conn)
		if err != nil {
			if !welcomed && late.Load() {
				return false, fmt.Errorf("the hub did not answer hello within %v", c.opt.dialTimeout)
			}
			if websocket.CloseStatus(err) == closeUnauthorized {
				return welcomed, fmt.Errorf("%w: the hub does not accept this token", errRefused)
			}
			return welcomed, err
		}
		if e.Type == session.TypeError {
			if rerr := refusal(e); rerr != nil {
				return welcomed, rerr // the deferred close drops the socket
			}
		}
		if e.Type == session.TypeWelcome && !welcomed {
			if !welcomeTimer.Stop() {
				return false, fmt.Errorf("the hub did not answer hello within %v", c.opt.dialTimeout)
			}
			welcomed = true
			c.setConn(conn)
			c.opt.log.Info("hub link up", "url", c.url)
			if !c.status(session.LinkStatus{State: session.LinkUp}) {
				return welcomed, c.ctx.Err()
			}
		}
		if !c.emit(session.LinkEvent{Envelope: &e}) {
			return welcomed, c.ctx.Err()
		}
	}
}

func (c *Client) setConn(conn *websocket.Conn) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
}

// keepAlive pings the hub so a dead network is noticed; a failed ping
// closes the connection, which ends the read loop.
func (c *Client) keepAlive(ctx context.Context, conn *websocket.Conn) {
	t := time.NewTicker(c.opt.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, c.opt.pingTimeout)
		err := conn.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			c.opt.log.Info("hub ping failed", "err", err)
			conn.CloseNow()
			return
		}
	}
}

// refusal returns an errRefused error when the error frame refuses the
// agent for good, nil otherwise.
func refusal(e session.Envelope) error {
	var d session.ErrorData
	if err := e.Decode(&d); err != nil {
		return nil
	}
	switch d.Code {
	case session.ErrCodeUnauthorized, session.ErrCodeBadVersion:
		msg := d.Message
		if msg == "" {
			msg = d.Code
		}
		return fmt.Errorf("%w: %s", errRefused, msg)
	}
	return nil
}

// agentURL maps the hub base address to its agent endpoint.
func agentURL(raw string) string {
	s := strings.TrimSpace(raw)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s // Dial reports it, in words, on Events
	}
	if !strings.HasSuffix(u.Path, "/v1/agent") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/agent"
	}
	return u.String()
}

// words turns an error into a short sentence for the status bar.
func words(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errRefused):
		return strings.TrimPrefix(err.Error(), errRefused.Error()+": ")
	case errors.Is(err, io.EOF):
		return "the hub closed the connection"
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusGoingAway:
		return "the hub is shutting down"
	case websocket.StatusServiceRestart:
		return "the hub is restarting"
	case websocket.StatusNormalClosure:
		return "the hub closed the connection"
	case -1:
	default:
		return fmt.Sprintf("the hub closed the connection (%v)", websocket.CloseStatus(err))
	}
	return err.Error()
}

// dialError says in words why a connection attempt failed.
func dialError(target string, timeout time.Duration, resp *http.Response, err error) error {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	var dns *net.DNSError
	switch {
	case resp != nil:
		return fmt.Errorf("the hub at %s answered %q instead of a websocket: is this the hub's address?", host, resp.Status)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach the hub at %s: connection refused (is it running?)", host)
	case errors.As(err, &dns):
		return fmt.Errorf("cannot reach the hub: unknown host %s", dns.Name)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cannot reach the hub at %s: no answer within %v", host, timeout)
	}
	return fmt.Errorf("cannot reach the hub at %s: %w", host, err)
}

// jitter spreads d by ±frac.
func jitter(d time.Duration, frac float64) time.Duration {
	if frac <= 0 {
		return d
	}
	f := 1 + frac*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}
