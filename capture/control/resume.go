package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// Leftovers (issue 11 point 7). A desktop that quits (or crashes) while a
// chat is recorded leaves its spool; the hub keeps the chat for the agent
// grace. When the desktop is back in time, the recording goes on in the
// same spool and makes one file under the name the hub gives it when the
// chat is done, not a "_recovered" file beside it. So a leftover of a
// live chat is not combined at start: it waits for the hub's welcome.
//   - The chat is in the welcome: its capture, when the recording runs
//     again, carries on writing that spool (the time away is cut like a
//     stop). A leftover that cannot be carried on (another screen size) is
//     combined when the chat is done, with the hub's names too.
//   - The chat is not in the welcome (it ended while the desktop was away):
//     the leftover is combined at once, under the recording's own name when
//     the hub sent one, else <chat>_<recording>_recovered.

// readSidecar reads the state kept beside the spool base; the zero
// sidecar (with the configured agent) when there is none.
func (c *Controller) readSidecar(base string) sidecar {
	sc := sidecar{Agent: c.cfg.Agent}
	if b, err := os.ReadFile(base + ".json"); err == nil {
		_ = json.Unmarshal(b, &sc)
	}
	return sc
}

// finalNamed reports whether the hub named the chat's recordings: it saw
// the chat done, and the files can be made.
func finalNamed(ch session.ChatData) bool {
	if ch.Recording == nil {
		return false
	}
	for _, r := range ch.Recording.Recordings {
		if r.Name != "" {
			return true
		}
	}
	return false
}

// keepLeftover sets a live chat's spool aside until the hub's welcome.
func (c *Controller) keepLeftover(chat, base string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leftover == nil {
		c.leftover = map[string][]string{}
	}
	c.leftover[chat] = append(c.leftover[chat], base)
	c.logf("capture %s: a spool left while the chat was live waits for the hub (%s)", chat, base)
}

// welcomedLocked combines the leftovers of chats the hub no longer has:
// they ended while the desktop was away.
func (c *Controller) welcomedLocked(ctx context.Context) {
	for chat, bases := range c.leftover {
		if c.desk.Chat(chat) != nil {
			continue
		}
		delete(c.leftover, chat)
		for _, base := range bases {
			c.combineLater(ctx, base, c.readSidecar(base), false)
		}
	}
}

// doneLocked combines the leftovers of chat, which is done now, under the
// names the hub gave its recordings (ch, its final state).
func (c *Controller) doneLocked(ctx context.Context, ch session.ChatData) {
	bases := c.leftover[ch.ID]
	delete(c.leftover, ch.ID)
	for _, base := range bases {
		sc := c.readSidecar(base)
		sc.Chat = ch
		c.combineLater(ctx, base, sc, true)
	}
}

// combineLater combines a leftover in the background (Wait waits for it).
func (c *Controller) combineLater(ctx context.Context, base string, sc sidecar, final bool) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.combineChat(context.WithoutCancel(ctx), base, sc, final); err != nil {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
			c.logf("capture %s: %v (the spool is kept and combined at the next start)", sc.Chat.ID, err)
			return
		}
		c.logf("capture %s: the spool left before is combined (%s)", sc.Chat.ID, base)
	}()
}

// takeLeftover returns the leftover a new capture of chat may carry on,
// if it has one, with its sidecar; it is no longer a leftover then.
func (c *Controller) takeLeftover(chat string) (string, sidecar, bool) {
	bases := c.leftover[chat]
	if len(bases) == 0 {
		return "", sidecar{}, false
	}
	base := bases[len(bases)-1]
	c.leftover[chat] = bases[:len(bases)-1]
	if len(c.leftover[chat]) == 0 {
		delete(c.leftover, chat)
	}
	return base, c.readSidecar(base), true
}

// carryOn reopens a leftover spool for cc's capture, whose streams are h:
// cc takes over its base, start and parts (closed where the spool ended:
// the time away is not in the files). It reports false, leaving the
// leftover to be combined at done, when the streams differ.
func (c *Controller) carryOn(cc *chatCapture, base string, sc sidecar, h spool.Header) (*spool.Writer, bool) {
	sp, end, err := spool.Append(base+".spool", h, spool.Options{MinFree: c.cfg.MinFree})
	if err != nil {
		c.logf("capture %s: cannot carry on the spool left before (%v): it becomes a file of its own at done", cc.id, err)
		if errors.Is(err, spool.ErrMismatch) || errors.Is(err, spool.ErrLowDisk) {
			c.leftover[cc.id] = append(c.leftover[cc.id], base)
		}
		return nil, false
	}
	cc.base, cc.started, cc.off = base, sc.Started, max(time.Since(sc.Started), end)
	for id, ps := range sc.Parts {
		ps = append([]webm.Part(nil), ps...)
		if n := len(ps); n > 0 && ps[n-1].To < 0 {
			ps[n-1].To = end
		}
		cc.parts[id] = ps
	}
	c.logf("capture %s: carrying on the spool left before, after %v", cc.id, end)
	return sp, true
}

// offsetSink writes a capture into a spool carried on: the capture's
// media time starts at 0 as always, the spool's goes on from where the
// chat's first capture began (its wall time), so off is added to every
// time stamp; the time away is a stretch without packets, which no part
// holds.
type offsetSink struct {
	w   *spool.Writer
	off time.Duration
}

func (o offsetSink) WritePacket(p capture.Packet) error {
	p.PTS += o.off
	return o.w.WritePacket(p)
}

func (o offsetSink) WriteMark(m capture.Mark) error {
	m.PTS += o.off
	return o.w.WriteMark(m)
}

// Bytes is the spool's size (capture.Recording's Status reads it).
func (o offsetSink) Bytes() int64 { return o.w.Bytes() }

// Recover combines and queues what a crash left in the spool folder
// (R-V10): files combined but not yet queued, and spools of chats that
// are not being captured now, each with the chat state its sidecar kept.
// A spool of a chat that was live when the desktop went waits for the
// hub's welcome instead (resume.go). It returns how many files it queued.
func (c *Controller) Recover(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	dir := filepath.Join(c.cfg.SpoolDir, outDir)
	mans, _ := filepath.Glob(filepath.Join(dir, "*"+manifestExt))
	for _, mp := range mans {
		path := strings.TrimSuffix(mp, manifestExt)
		var m uploader.Manifest
		b, err := os.ReadFile(mp)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if _, serr := os.Stat(path); err == nil && serr != nil {
			// The queue took the file; the manifest stayed.
			if rerr := os.Remove(mp); rerr != nil && !os.IsNotExist(rerr) {
				errs = append(errs, fmt.Errorf("recover %s: remove the stale manifest: %w", path, rerr))
			}
			continue
		}
		if err == nil {
			err = c.queue(ctx, path, m)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", path, err))
			continue
		}
		n++
	}
	spools, _ := filepath.Glob(filepath.Join(c.cfg.SpoolDir, "*.spool"))
	for _, sp := range spools {
		base := strings.TrimSuffix(sp, ".spool")
		c.mu.Lock()
		busy := false
		for _, cc := range c.chats {
			busy = busy || cc.base == base
		}
		c.mu.Unlock()
		if busy {
			continue
		}
		sc := c.readSidecar(base)
		if c.cfg.AwaitWelcome && sc.Chat.ID != "" && sc.Chat.State.Live() && !finalNamed(sc.Chat) {
			// the desktop went while the chat was live (q within the agent
			// grace, a crash): its recording may go on when the hub welcomes
			// the desktop back, into this same spool (resume.go)
			c.keepLeftover(sc.Chat.ID, base)
			continue
		}
		if sc.Chat.ID == "" { // no state kept: one recording of what was captured
			sc.Chat.ID = filepath.Base(base)
			sc.Chat.Recording = &session.RecordingData{Recordings: []session.RecordingInfo{{ID: "r1", Kind: "record", Screen: true}}}
		}
		before := 0
		for _, ri := range produced(sc.Chat, false) {
			if !slices.Contains(sc.Queued, ri.ID) {
				before++
			}
		}
		if err := c.combineChat(ctx, base, sc, false); err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", sp, err))
			continue
		}
		n += before
		c.logf("recovered %s: %d combined and queued", sp, before)
	}
	return n, errors.Join(errs...)
}
