// Package sim simulates customers: each one drives the hub's real customer
// websocket (/v1/customer) exactly as the web chat page does. The demo uses
// a scripted Crowd of them; tests use single Customers.
package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// ErrGone is returned by Wait and the senders once the customer's socket is
// closed (left, dropped, or closed by the hub) and no more frames can come.
var ErrGone = errors.New("sim: customer connection closed")

// CustomerOption changes how Open joins.
type CustomerOption func(*customerOptions)

type customerOptions struct {
	queue   string
	contact string
	resume  string
	dial    *websocket.DialOptions
	timeout time.Duration
}

// WithQueue picks the queue to join (default: the hub's first queue).
func WithQueue(q string) CustomerOption { return func(o *customerOptions) { o.queue = q } }

// WithContact sets the stable contact id the web page keeps, which links
// this chat to the contact's older sessions (R-I2).
func WithContact(id string) CustomerOption { return func(o *customerOptions) { o.contact = id } }

// WithResume rejoins the chat of an earlier join, by its resume token.
func WithResume(token string) CustomerOption { return func(o *customerOptions) { o.resume = token } }

// WithDialOptions sets the websocket dial options.
func WithDialOptions(d *websocket.DialOptions) CustomerOption {
	return func(o *customerOptions) { o.dial = d }
}

// Customer is one simulated customer connected to /v1/customer. Its
// methods are safe for concurrent use.
type Customer struct {
	conn   *websocket.Conn
	name   string
	joined session.JoinedData

	mu     sync.Mutex
	frames []session.Envelope    // every frame from the hub, in order
	lines  []session.MessageData // transcript lines seen
	cursor int                   // next frame Wait looks at
	notify chan struct{}         // closed and replaced on each new frame
	err    error                 // why the reader stopped
	done   chan struct{}         // closed when the reader stops
	cancel context.CancelFunc    // stops the reader
}

// Open connects to the hub at baseURL (http://host:port), joins as name and
// waits for the hub's joined answer. The customer then reads frames in the
// background until Leave, Drop or the hub closes the socket.
func Open(ctx context.Context, baseURL, name string, opts ...CustomerOption) (*Customer, error) {
	o := customerOptions{timeout: 10 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	u, err := customerURL(baseURL)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, u, o.dial)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("sim: %s cannot reach the hub at %s: %w", name, u, err)
	}
	rctx, stop := context.WithCancel(context.Background())
	c := &Customer{conn: conn, name: name, notify: make(chan struct{}), done: make(chan struct{}), cancel: stop}
	go c.read(rctx)

	join := session.JoinData{Name: name, Contact: o.contact, Queue: o.queue, Resume: o.resume}
	if err := c.send(dctx, session.TypeJoin, join); err != nil {
		c.Drop()
		return nil, err
	}
	e, err := c.Wait(dctx, func(e session.Envelope) bool {
		return e.Type == session.TypeJoined || e.Type == session.TypeError
	})
	if err != nil {
		c.Drop()
		return nil, fmt.Errorf("sim: %s joined no chat: %w", name, err)
	}
	if e.Type == session.TypeError {
		c.Drop()
		var d session.ErrorData
		_ = e.Decode(&d)
		return nil, fmt.Errorf("sim: %s: the hub refused the join: %s (%s)", name, d.Message, d.Code)
	}
	if err := e.Decode(&c.joined); err != nil {
		c.Drop()
		return nil, err
	}
	c.mu.Lock()
	c.lines = append(c.lines, c.joined.Lines...)
	c.mu.Unlock()
	return c, nil
}

// Name is the customer's display name.
func (c *Customer) Name() string { return c.name }

// Chat is the id of the customer's chat, from joined.
func (c *Customer) Chat() string { return c.joined.Chat }

// Resume is the token that rejoins this chat after a drop (WithResume).
func (c *Customer) Resume() string { return c.joined.Resume }

// Queue is the queue the hub put the chat in.
func (c *Customer) Queue() string { return c.joined.Queue }

// Say sends a message line.
func (c *Customer) Say(ctx context.Context, text string) error {
	return c.send(ctx, session.TypeSend, session.SendData{Text: text})
}

// Type tells the agent the customer is typing, with what is typed so far as
// the preview (R-I3). Nothing is sent as a message.
func (c *Customer) Type(ctx context.Context, text string) error {
	return c.send(ctx, session.TypeTyping, session.TypingData{Typing: true, Preview: text})
}

// Leave leaves the chat and closes the socket cleanly. It returns the
// error of sending leave; the close itself may race the hub's own close
// once the chat has ended, which is not an error.
func (c *Customer) Leave(ctx context.Context) error {
	err := c.send(ctx, session.TypeLeave, nil)
	_ = c.conn.Close(websocket.StatusNormalClosure, "customer left")
	c.cancel()
	<-c.done
	return err
}

// Drop closes the socket without leaving, as when the network drops or the
// page is closed. It is idempotent.
func (c *Customer) Drop() error {
	c.conn.CloseNow()
	c.cancel()
	<-c.done
	return nil
}

// Lines returns a copy of the transcript lines the customer has seen.
func (c *Customer) Lines() []session.MessageData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]session.MessageData(nil), c.lines...)
}

// Frames returns a copy of every frame the hub has sent the customer.
func (c *Customer) Frames() []session.Envelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]session.Envelope(nil), c.frames...)
}

// Wait returns the next frame matching pred. Frames are a stream: each
// Wait starts after the frame the previous Wait returned, so a frame that
// arrived before the call is still found; frames skipped over are passed.
// It returns ErrGone when the socket closed with no match, or ctx's error.
func (c *Customer) Wait(ctx context.Context, pred func(session.Envelope) bool) (session.Envelope, error) {
	for {
		c.mu.Lock()
		for c.cursor < len(c.frames) {
			e := c.frames[c.cursor]
			c.cursor++
			if pred(e) {
				c.mu.Unlock()
				return e, nil
			}
		}
		notify, err := c.notify, c.err
		c.mu.Unlock()
		if err != nil {
			return session.Envelope{}, fmt.Errorf("%w: %v", ErrGone, err)
		}
		select {
		case <-notify:
		case <-ctx.Done():
			return session.Envelope{}, ctx.Err()
		}
	}
}

// Done is closed when the customer's socket is closed.
func (c *Customer) Done() <-chan struct{} { return c.done }

func (c *Customer) read(ctx context.Context) {
	defer close(c.done)
	for {
		_, b, err := c.conn.Read(ctx)
		c.mu.Lock()
		if err != nil {
			c.err = err
			close(c.notify)
			c.mu.Unlock()
			return
		}
		var e session.Envelope
		if json.Unmarshal(b, &e) == nil {
			c.frames = append(c.frames, e)
			if e.Type == session.TypeMessage {
				var m session.MessageData
				if e.Decode(&m) == nil {
					c.lines = append(c.lines, m)
				}
			}
		}
		close(c.notify)
		c.notify = make(chan struct{})
		c.mu.Unlock()
	}
}

func (c *Customer) send(ctx context.Context, typ string, data any) error {
	e, err := session.NewEnvelope(typ, c.joined.Chat, data)
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("sim: encode %s: %w", typ, err)
	}
	select {
	case <-c.done:
		return ErrGone
	default:
	}
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("sim: %s send %s: %w", c.name, typ, err)
	}
	return nil
}

// customerURL maps the hub base address to its customer endpoint.
func customerURL(base string) (string, error) {
	s := strings.TrimSpace(base)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("sim: bad hub address %q: want http://host:port", base)
	}
	if !strings.HasSuffix(u.Path, "/v1/customer") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/customer"
	}
	return u.String(), nil
}
