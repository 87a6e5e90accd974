package script

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// awaitReady waits until the model has its size and has rendered once, so
// the first step sees the first screen.
func (r *runner) awaitReady(ctx context.Context) error {
	ok, err := r.await(ctx, DefaultTimeout, func(string, int, int, int) bool { return r.obs.ready() })
	if err == nil && !ok {
		err = fmt.Errorf("script: the desktop did not render within %s", DefaultTimeout)
	}
	return err
}

// awaitKeys waits until the model has received want key presses in all.
func (r *runner) awaitKeys(ctx context.Context, want int, timeout time.Duration) (bool, error) {
	return r.await(ctx, timeout, func(_ string, keys, _, _ int) bool { return keys >= want })
}

// await waits until cond holds of the observed state, the timeout passes
// (false), the program exits (ErrProgramExited) or ctx ends.
func (r *runner) await(ctx context.Context, timeout time.Duration, cond func(screen string, keys, cols, rows int) bool) (bool, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(r.env.Poll)
	defer tick.Stop()
	for {
		screen, keys, cols, rows, changed := r.obs.snapshot()
		if cond(screen, keys, cols, rows) {
			return true, nil
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			return false, nil
		case <-r.done:
			screen, keys, cols, rows, _ = r.obs.snapshot()
			if cond(screen, keys, cols, rows) {
				return true, nil
			}
			return false, ErrProgramExited
		case <-ctx.Done():
			return false, fmt.Errorf("script: %w", ctx.Err())
		}
	}
}

// send writes bytes to the program's input and waits until the model has
// received n more key presses.
func (r *runner) send(ctx context.Context, b string, n int, what string) (*Failure, error) {
	_, before, _, _, _ := r.obs.snapshot()
	if _, err := r.in.WriteString(b); err != nil {
		return &Failure{Expected: "to send " + what, Detail: err.Error()}, nil
	}
	ok, err := r.awaitKeys(ctx, before+n, DefaultTimeout)
	switch {
	case errors.Is(err, ErrProgramExited):
		return &Failure{Expected: fmt.Sprintf("the desktop to receive %s", what), Detail: "the desktop program has exited"}, nil
	case err != nil:
		return nil, err
	case !ok:
		return &Failure{Expected: fmt.Sprintf("the desktop to receive %s within %s", what, DefaultTimeout)}, nil
	}
	return nil, nil
}

func (r *runner) wait(ctx context.Context, st *Step) (*Failure, error) {
	gone := st.Op == OpWaitGone
	ok, err := r.await(ctx, st.Timeout, func(screen string, _, _, _ int) bool {
		return strings.Contains(screen, st.Text) != gone
	})
	r.logCheck(st, ok)
	what := fmt.Sprintf("%q on the screen within %s", st.Text, st.Timeout)
	if gone {
		what = fmt.Sprintf("%q gone from the screen within %s", st.Text, st.Timeout)
	}
	switch {
	case errors.Is(err, ErrProgramExited):
		return &Failure{Expected: what, Detail: "the desktop program has exited"}, nil
	case err != nil:
		return nil, err
	case !ok:
		return &Failure{Expected: what + " (timed out)"}, nil
	}
	return nil, nil
}

func (r *runner) expect(st *Step) *Failure {
	has := strings.Contains(r.obs.Screen(), st.Text)
	ok := has == (st.Op == OpExpect)
	r.logCheck(st, ok)
	switch {
	case ok:
		return nil
	case st.Op == OpExpect:
		return &Failure{Expected: fmt.Sprintf("%q on the screen", st.Text)}
	}
	return &Failure{Expected: fmt.Sprintf("no %q on the screen", st.Text)}
}

func (r *runner) logCheck(st *Step, ok bool) {
	_ = r.env.Events.Write(EventCheck, map[string]any{"line": st.Pos.Line, "op": st.Op.String(), "text": st.Text, "ok": ok})
	_ = r.env.Events.Write(EventScreen, map[string]any{"line": st.Pos.Line, "screen": r.obs.Screen()})
}

func (r *runner) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("script: %w", ctx.Err())
	}
}

func (r *runner) resize(ctx context.Context, st *Step) (*Failure, error) {
	select {
	case <-r.done:
		return &Failure{Expected: "to resize the terminal", Detail: "the desktop program has exited"}, nil
	default:
	}
	r.prog.Send(tea.WindowSizeMsg{Width: st.Cols, Height: st.Rows})
	ok, err := r.await(ctx, DefaultTimeout, func(_ string, _, cols, rows int) bool {
		return cols == st.Cols && rows == st.Rows
	})
	switch {
	case errors.Is(err, ErrProgramExited):
		return &Failure{Expected: "to resize the terminal", Detail: "the desktop program has exited"}, nil
	case err != nil:
		return nil, err
	case !ok:
		return &Failure{Expected: fmt.Sprintf("the desktop to get the size %dx%d within %s", st.Cols, st.Rows, DefaultTimeout)}, nil
	}
	return nil, nil
}

func (r *runner) customer(ctx context.Context, st *Step) (*Failure, error) {
	c := r.env.Customers
	var err error
	switch st.Action {
	case CustomerOpen:
		err = c.Open(ctx, st.Name, st.Queue)
	case CustomerSays:
		err = c.Say(ctx, st.Name, st.Text)
	case CustomerTypes:
		err = c.Type(ctx, st.Name, st.Text)
	case CustomerLeave:
		err = c.Leave(ctx, st.Name)
	}
	f := map[string]any{"name": st.Name, "action": st.Action, "line": st.Pos.Line, "ok": err == nil}
	if st.Text != "" {
		f["text"] = st.Text
	}
	if st.Queue != "" {
		f["queue"] = st.Queue
	}
	if err != nil {
		f["err"] = err.Error()
	}
	_ = r.env.Events.Write(EventCustomer, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("script: %w", ctx.Err())
		}
		return &Failure{Expected: fmt.Sprintf("customer %s to %s", st.Name, strings.TrimSuffix(st.Action, "s")), Detail: err.Error()}, nil
	}
	return nil, nil
}

// hub cuts or restores the network to the hub.
func (r *runner) hub(ctx context.Context, st *Step) (*Failure, error) {
	var err error
	if st.Action == HubDown {
		err = r.env.Hub.Down(ctx)
	} else {
		err = r.env.Hub.Up(ctx)
	}
	f := map[string]any{"action": st.Action, "line": st.Pos.Line, "ok": err == nil}
	if err != nil {
		f["err"] = err.Error()
	}
	_ = r.env.Events.Write(EventHub, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("script: %w", ctx.Err())
		}
		return &Failure{Expected: "the hub to go " + st.Action, Detail: err.Error()}, nil
	}
	return nil, nil
}
