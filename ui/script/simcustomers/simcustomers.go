// Package simcustomers drives the simulated customers of hub/sim for the
// `customer` steps of a keystroke script (script.Customers). It is an
// adapter: only cmd/agentdesk (demo mode) and tests import it.
package simcustomers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/agentdesk/agentdesk/hub/sim"
	"github.com/agentdesk/agentdesk/ui/script"
)

// Errors of a customer step used out of order.
var (
	ErrNotOpen     = errors.New("simcustomers: this customer has no open chat: add `customer NAME open` before")
	ErrAlreadyOpen = errors.New("simcustomers: this customer already has an open chat: use another name")
	ErrNeverOpened = errors.New("simcustomers: this customer never opened a chat: add `customer NAME open` before")
)

// Customers are the script's customers, by script name, on one hub. Safe
// for concurrent use.
type Customers struct {
	baseURL string

	mu    sync.Mutex
	byKey map[string]*sim.Customer
	chats map[string]string // name → the interaction id of its last chat, kept after it left
}

var (
	_ script.Customers     = (*Customers)(nil)
	_ script.CustomerChats = (*Customers)(nil)
)

// New returns customers that join the hub at baseURL (http://host:port).
func New(baseURL string) *Customers {
	return &Customers{baseURL: baseURL, byKey: map[string]*sim.Customer{}, chats: map[string]string{}}
}

// Open joins the hub as a customer called name, in queue (empty: the hub's
// first queue), and waits for the hub's answer.
func (c *Customers) Open(ctx context.Context, name, queue string) error {
	c.mu.Lock()
	_, dup := c.byKey[name]
	c.mu.Unlock()
	if dup {
		return fmt.Errorf("%w (%s)", ErrAlreadyOpen, name)
	}
	var opts []sim.CustomerOption
	if queue != "" {
		opts = append(opts, sim.WithQueue(queue))
	}
	cu, err := sim.Open(ctx, c.baseURL, name, opts...)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.byKey[name] = cu
	c.chats[name] = cu.Chat()
	c.mu.Unlock()
	return nil
}

// ChatOf returns the interaction id of the chat customer name opened last;
// it stays known after the customer left, so that a script can ask the
// recording API about an ended chat.
func (c *Customers) ChatOf(name string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.chats[name]
	if !ok {
		return "", fmt.Errorf("%w (%s)", ErrNeverOpened, name)
	}
	return id, nil
}

func (c *Customers) get(name string) (*sim.Customer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu, ok := c.byKey[name]
	if !ok {
		return nil, fmt.Errorf("%w (%s)", ErrNotOpen, name)
	}
	return cu, nil
}

// Say sends a chat line as customer name.
func (c *Customers) Say(ctx context.Context, name, text string) error {
	cu, err := c.get(name)
	if err != nil {
		return err
	}
	return cu.Say(ctx, text)
}

// Type sends a typing notice with text as the preview, without sending it.
func (c *Customers) Type(ctx context.Context, name, text string) error {
	cu, err := c.get(name)
	if err != nil {
		return err
	}
	return cu.Type(ctx, text)
}

// Leave leaves customer name's chat; the name may then open a new one.
func (c *Customers) Leave(ctx context.Context, name string) error {
	cu, err := c.get(name)
	if err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.byKey, name)
	c.mu.Unlock()
	return cu.Leave(ctx)
}

// Close drops every customer still connected (as a closed page would). It
// is idempotent.
func (c *Customers) Close() error {
	c.mu.Lock()
	all := c.byKey
	c.byKey = map[string]*sim.Customer{}
	c.mu.Unlock()
	for _, cu := range all {
		_ = cu.Drop()
	}
	return nil
}
