package audit

import (
	"context"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Latest is the newest signed checkpoint: the last one this Log made, or
// before it made any, the newest the store keeps (ok false when there is
// none yet). For the audit page.
func (l *Log) Latest(ctx context.Context) (c store.AuditCheckpoint, ok bool, err error) {
	l.mu.Lock()
	c = l.latest
	l.mu.Unlock()
	if c.Note != nil {
		return c, true, nil
	}
	all, err := l.st.AuditCheckpoints(ctx)
	if err != nil || len(all) == 0 {
		return store.AuditCheckpoint{}, false, err
	}
	c = all[len(all)-1]
	l.mu.Lock()
	if l.latest.Note == nil {
		l.latest = c
	}
	l.mu.Unlock()
	return c, true, nil
}
