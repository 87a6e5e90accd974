package ingest

import (
	"context"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/session/upload"
)

// Backlog is one desktop's unfinished uploads as the hub sees them (issue
// 12 point 7): started, not yet whole. A desktop that has not started an
// upload is not here: the dashboard's coverage lists its recordings as
// having no file.
type Backlog struct {
	Agent     string    `json:"agent"`
	Uploads   int       `json:"uploads"`
	Pending   int64     `json:"pending_bytes"` // still to come
	Received  int64     `json:"received_bytes"`
	Oldest    time.Time `json:"oldest"`    // when the oldest of them was started
	LastMoved time.Time `json:"last_move"` // when a byte last arrived for any of them
}

// backlogFor is how long a Backlog read from a staging bucket is served
// again: the dashboard's every view would otherwise cost three requests
// per unfinished upload. The folder is read each time.
const backlogFor = 10 * time.Second

// Backlog lists the unfinished uploads per agent, the oldest first.
func (in *Ingest) Backlog(ctx context.Context) ([]Backlog, error) {
	_, folder := in.staging.(*folderStaging)
	if !folder {
		in.backlogMu.Lock()
		defer in.backlogMu.Unlock() // one listing at a time; the others wait for it
		if in.backlogAt.After(time.Now().Add(-backlogFor)) {
			return slices.Clone(in.backlog), nil
		}
	}
	ups, err := in.staging.Uploads(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string]*Backlog{}
	for _, u := range ups {
		info := u.Info
		if info.SizeIsDeferred || info.Offset >= info.Size {
			continue
		}
		agent := info.MetaData[upload.MetaAgent]
		b := by[agent]
		if b == nil {
			b = &Backlog{Agent: agent}
			by[agent] = b
		}
		b.Uploads++
		b.Pending += info.Size - info.Offset
		b.Received += info.Offset
		if b.Oldest.IsZero() || u.Started.Before(b.Oldest) {
			b.Oldest = u.Started
		}
		if u.Moved.After(b.LastMoved) {
			b.LastMoved = u.Moved
		}
	}
	out := make([]Backlog, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	slices.SortFunc(out, func(x, y Backlog) int { return x.Oldest.Compare(y.Oldest) })
	if !folder {
		in.backlog, in.backlogAt = slices.Clone(out), time.Now()
	}
	return out, nil
}
