package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/agentdesk/agentdesk/uploader/durable"
)

// Run delivers queued items one at a time, oldest first, until ctx is
// done (it then returns ctx.Err()) or the queue is closed (ErrClosed). Outside the upload windows it waits
// for the next one; an upload begun inside a window runs to its end.
// Retryable failures wait a backoff with full jitter (on the clock, ending
// with ctx) and try the same item again, resuming where the sink can; an
// item fails only on a permanent error. Nothing is lost when Run stops:
// a later Run (or a new Queue on the same directory) continues.
func (q *Queue) Run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if q.isClosed() {
			return ErrClosed
		}
		e := q.next()
		if e == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-q.wake:
			}
			continue
		}
		now := q.opts.Clock.Now()
		if open, at := NextOpen(q.opts.Windows, now); !open {
			wait := q.opts.Clock.After(at.Sub(now)) // armed before the panel says so
			q.setWaiting(at)
			q.logf("outside the upload windows: waiting until %s", at.Format("15:04"))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wait:
			}
			continue
		}
		q.clearWaiting()
		err := q.attempt(ctx, e)
		if err == nil || ctx.Err() != nil {
			continue
		}
		if errors.Is(err, ErrGone) {
			q.erase(e, err)
			continue
		}
		if errors.Is(err, ErrPermanent) {
			q.fail(e, err)
			continue
		}
		if err := q.retryWait(ctx, e, err); err != nil {
			return err
		}
	}
}

// setWaiting marks every queued item as waiting for a window until at.
func (q *Queue) setWaiting(at time.Time) {
	q.mu.Lock()
	for _, e := range q.items {
		if e.st.Status == statusQueued {
			e.live, e.until = StateWaiting, at
		}
	}
	q.mu.Unlock()
	q.changed()
}

// clearWaiting puts items that waited for a window back to queued.
func (q *Queue) clearWaiting() {
	q.mu.Lock()
	changed := false
	for _, e := range q.items {
		if e.live == StateWaiting {
			e.live, e.until, changed = StateQueued, time.Time{}, true
		}
	}
	q.mu.Unlock()
	if changed {
		q.changed()
	}
}

// backoff returns the wait before retry number attempt (1-based): full
// jitter over an exponentially growing cap.
func (q *Queue) backoff(attempt int) time.Duration {
	ceil := q.opts.MinBackoff
	for i := 1; i < attempt && ceil < q.opts.MaxBackoff; i++ {
		ceil *= 2
	}
	return q.opts.Jitter(min(ceil, q.opts.MaxBackoff))
}

func (q *Queue) retryWait(ctx context.Context, e *entry, cause error) error {
	q.mu.Lock()
	attempt := e.st.Attempts
	q.mu.Unlock()
	d := q.backoff(attempt)
	wait := q.opts.Clock.After(d) // armed before the panel says so
	q.mu.Lock()
	e.live, e.until = StateRetrying, q.opts.Clock.Now().Add(d)
	e.st.LastError = cause.Error()
	q.mu.Unlock()
	_ = q.save(e)
	q.changed()
	q.logf("%s: attempt %d failed: %v; retrying in %s", e.st.Name, attempt, cause, d.Round(time.Millisecond))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wait:
	}
	return nil
}

func (q *Queue) fail(e *entry, cause error) {
	q.mu.Lock()
	e.st.Status, e.live, e.st.LastError = statusFailed, StateFailed, cause.Error()
	q.mu.Unlock()
	_ = q.save(e)
	q.changed()
	q.logf("%s: failed: %v", e.st.Name, cause)
}

// erase deletes the local copy of a recording the store says must not
// exist (R-H6): nothing of it is left on this desktop.
func (q *Queue) erase(e *entry, cause error) {
	if err := os.Remove(filepath.Join(e.dir, e.st.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		q.fail(e, fmt.Errorf("the store says it must not exist (%v), but the local copy cannot be deleted: %w", cause, err))
		return
	}
	_ = durable.SyncDir(e.dir)
	q.mu.Lock()
	e.st.Status, e.live, e.st.Resume, e.st.LastError = statusDeleted, StateDeleted, "", cause.Error()
	q.mu.Unlock()
	_ = q.save(e)
	q.changed()
	q.logf("%s: deleted without storing it: %v", e.st.Name, cause)
}

// attempt makes one delivery attempt of e.
func (q *Queue) attempt(ctx context.Context, e *entry) error {
	q.mu.Lock()
	e.st.Attempts++
	e.live, e.until = StateUploading, time.Time{}
	e.meter = rateMeter{}
	q.mu.Unlock()
	if err := q.save(e); err != nil {
		return err
	}
	q.changed()
	item := q.item(e)
	sink := q.opts.Sink
	if v, ok := sink.(Verifier); ok && (e.st.Attempts > 1 || e.st.Resume != "") {
		// An earlier attempt may have finished before we could record it.
		if stored, err := v.Verify(ctx, item); err == nil {
			return q.finish(e, stored)
		}
	}
	if r, ok := sink.(Resumer); ok {
		if off, err := r.Offset(ctx, item); err == nil && off > 0 {
			q.logf("%s: resuming at byte %d of %d", e.st.Name, off, e.st.Size)
			q.progress(e, off)
		}
	}
	f, err := os.Open(filepath.Join(e.dir, e.st.Name))
	if err != nil {
		return fmt.Errorf("uploader: %w: the local file: %w", ErrPermanent, err)
	}
	defer f.Close()
	var r io.ReaderAt = f
	if q.opts.RateLimit > 0 {
		r = &limitedReaderAt{ctx: ctx, r: f, b: newBucket(q.opts.Clock, q.opts.RateLimit)}
	}
	if err := sink.Put(ctx, item, r, func(n int64) { q.progress(e, n) }); err != nil {
		return err
	}
	q.mu.Lock()
	stored := e.st.Stored
	q.mu.Unlock()
	return q.finish(e, stored)
}

// item builds the Sink's view of e.
func (q *Queue) item(e *entry) Item {
	q.mu.Lock()
	defer q.mu.Unlock()
	return Item{
		ID: e.id, Name: e.st.Name, Size: e.st.Size, SHA256: e.st.SHA256, Manifest: e.man,
		Resume: e.st.Resume,
		SaveResume: func(token string) error {
			q.mu.Lock()
			e.st.Resume = token
			q.mu.Unlock()
			return q.save(e)
		},
		Stored: func(id string) {
			q.mu.Lock()
			e.st.Stored = id
			q.mu.Unlock()
		},
	}
}

// finish records a confirmed delivery: the local file goes, then the
// state says done.
func (q *Queue) finish(e *entry, stored string) error {
	if err := os.Remove(filepath.Join(e.dir, e.st.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("uploader: remove delivered file: %w", err)
	}
	if err := durable.SyncDir(e.dir); err != nil {
		return err
	}
	q.mu.Lock()
	e.st.Status, e.live, e.st.Stored, e.st.Resume, e.st.LastError = statusDone, StateDone, stored, "", ""
	e.sent = e.st.Size
	q.mu.Unlock()
	if err := q.save(e); err != nil {
		return err
	}
	q.changed()
	q.logf("%s: stored as %q, checksum confirmed; local copy deleted", e.st.Name, stored)
	return nil
}

func (q *Queue) progress(e *entry, n int64) {
	q.mu.Lock()
	e.sent = min(max(n, 0), e.st.Size)
	e.meter.add(q.opts.Clock.Now(), e.sent)
	q.mu.Unlock()
	q.changed()
}
