package sim

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Persona is one scripted customer of the demo.
type Persona struct {
	Name    string
	Contact string        // stable contact id (R-I2 history); empty for none
	Queue   string        // "general", "billing"; empty for the hub's first queue
	Arrive  time.Duration // wait before opening the chat
	Script  []Step
	// Return, when set with Again, brings the customer back this long after
	// the first chat ended, for a second chat that plays Again (the agent
	// then sees the first one as history, R-I2).
	Return time.Duration
	Again  []Step
}

// Step is one thing a persona does. Exactly one of Say, Leave, Quiet is
// set; Pause and WaitReply happen before it.
type Step struct {
	Pause     time.Duration // think time before the step
	WaitReply bool          // first wait for an agent message not yet answered
	Say       string        // typed char by char (typing previews), then sent
	Leave     bool          // leave the chat (mid-chat, without warning)
	Quiet     bool          // stop talking; keep the chat open until it ends
}

// Crowd runs a cast of personas against a hub, each in its own goroutine.
type Crowd struct {
	BaseURL string
	Cast    []Persona
	Log     *slog.Logger // nil: discard
	// Speed scales every pause (0 or 1: human pace; 10: ten times faster).
	Speed float64
	// KeyDelay is the mean time per typed character (0: 70ms).
	KeyDelay time.Duration
}

// RunCrowd runs cast against the hub at baseURL until ctx ends.
func RunCrowd(ctx context.Context, baseURL string, cast []Persona, log *slog.Logger) {
	(&Crowd{BaseURL: baseURL, Cast: cast, Log: log}).Run(ctx)
}

// Run starts every persona and returns when ctx ends and all have left.
// A persona whose chat ends (or whose join fails) simply stops; failures
// are logged, never fatal.
func (cr *Crowd) Run(ctx context.Context) {
	log := cr.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var wg sync.WaitGroup
	for _, p := range cr.Cast {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cr.play(ctx, p, log.With("customer", p.Name))
		}()
	}
	wg.Wait()
	<-ctx.Done()
}

// play runs one persona: the first visit, then the return visit if any.
func (cr *Crowd) play(ctx context.Context, p Persona, log *slog.Logger) {
	if !cr.sleep(ctx, p.Arrive) {
		return
	}
	cr.visit(ctx, p, p.Script, log)
	if p.Return <= 0 || len(p.Again) == 0 || !cr.sleep(ctx, p.Return) {
		return
	}
	log.Info("customer comes back")
	cr.visit(ctx, p, p.Again, log)
}

// visit opens one chat and plays script in it.
func (cr *Crowd) visit(ctx context.Context, p Persona, script []Step, log *slog.Logger) {
	var opts []CustomerOption
	if p.Queue != "" {
		opts = append(opts, WithQueue(p.Queue))
	}
	if p.Contact != "" {
		opts = append(opts, WithContact(p.Contact))
	}
	c, err := Open(ctx, cr.BaseURL, p.Name, opts...)
	if err != nil {
		log.Warn("customer could not join", "err", err)
		return
	}
	defer c.Drop()
	log.Info("customer joined", "chat", c.Chat(), "queue", c.Queue())

	replies := 0 // agent lines already answered
	for _, st := range script {
		if st.WaitReply {
			n, ok := cr.awaitReply(ctx, c, replies)
			if !ok {
				return
			}
			replies = n
		}
		if !cr.sleep(ctx, st.Pause) {
			return
		}
		switch {
		case st.Leave:
			log.Info("customer leaves mid-chat")
			if err := c.Leave(ctx); err != nil {
				log.Warn("leave failed", "err", err)
			}
			return
		case st.Quiet:
			log.Info("customer goes quiet")
			cr.untilEnded(ctx, c)
			return
		case st.Say != "":
			if err := cr.typeAndSay(ctx, c, st.Say); err != nil {
				log.Info("customer stopped", "err", err)
				return
			}
		}
	}
	cr.untilEnded(ctx, c)
	log.Info("customer done")
}

// typeAndSay sends typing previews char by char, then the line.
func (cr *Crowd) typeAndSay(ctx context.Context, c *Customer, text string) error {
	key := cr.KeyDelay
	if key <= 0 {
		key = 70 * time.Millisecond
	}
	typed := []rune{}
	for _, r := range text {
		typed = append(typed, r)
		if err := c.Type(ctx, string(typed)); err != nil {
			return err
		}
		// 50%..150% of the mean key delay: people do not type evenly.
		if !cr.sleep(ctx, time.Duration(float64(key)*(0.5+rand.Float64()))) {
			return ctx.Err()
		}
	}
	return c.Say(ctx, text)
}

// awaitReply waits until the customer has seen more than seen agent lines;
// it returns the new count, or false when the chat is over.
func (cr *Crowd) awaitReply(ctx context.Context, c *Customer, seen int) (int, bool) {
	for {
		n := 0
		for _, l := range c.Lines() {
			if l.From == session.FromAgent {
				n++
			}
		}
		if n > seen {
			return n, true
		}
		e, err := c.Wait(ctx, func(e session.Envelope) bool {
			return e.Type == session.TypeMessage || e.Type == session.TypeEnded
		})
		if err != nil || e.Type == session.TypeEnded {
			return seen, false
		}
	}
}

// untilEnded keeps the customer connected until the chat ends or ctx ends.
func (cr *Crowd) untilEnded(ctx context.Context, c *Customer) {
	_, _ = c.Wait(ctx, func(e session.Envelope) bool { return e.Type == session.TypeEnded })
}

// sleep waits d scaled by Speed; false when ctx ended first.
func (cr *Crowd) sleep(ctx context.Context, d time.Duration) bool {
	if cr.Speed > 0 {
		d = time.Duration(float64(d) / cr.Speed)
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
