package control

import (
	"context"
	"sort"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/session"
)

// Active is one chat's capture as the service reports it.
type Active struct {
	Chat   string
	Status Status
	// Media is the recording's own figures (bytes, frames, grab and
	// encode time); zero for a transcript-only capture.
	Media capture.Status
}

// Actives lists the chats being captured or combined, by chat id.
func (c *Controller) Actives() []Active {
	c.mu.Lock()
	ids := make([]string, 0, len(c.chats))
	recs := make(map[string]*capture.Recording, len(c.chats))
	for id, cc := range c.chats {
		ids = append(ids, id)
		if cc.rec != nil {
			recs[id] = cc.rec
		}
	}
	c.mu.Unlock()
	sort.Strings(ids)
	out := make([]Active, 0, len(ids))
	for _, id := range ids {
		a := Active{Chat: id, Status: c.Status(id)}
		if r := recs[id]; r != nil {
			a.Media = r.Status()
		}
		out = append(out, a)
	}
	return out
}

// Abandon finishes every capture in progress although its chat's end was
// not seen (the desktop that followed the chats is gone): each is
// stopped, combined under the fallback name with mark in its tags and
// manifest (MarkKey), and queued, in the background (Wait waits for it).
// What the controller knew of the chats is forgotten: a desktop that
// attaches later starts afresh. It returns how many captures it finished.
func (c *Controller) Abandon(ctx context.Context, mark string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, cc := range c.chats {
		if cc.done {
			continue
		}
		cc.mark = mark
		c.finishLocked(ctx, cc)
		c.logf("capture %s: finished without the chat's end (%s)", cc.id, mark)
		n++
	}
	c.desk = session.NewDesk()
	return n
}
