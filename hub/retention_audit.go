package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/store"
)

// retentionAudited appends an archive, restore, purge or erasure of r (of
// its file f when set) to the audit log (R-V9): who, from where, why, the
// recording's metadata, the file's SHA-256 and size; never its content.
// The file's id is in the metadata (an entry's id is the access log's).
func (s *Server) retentionAudited(ctx context.Context, a actor, action string, r store.Recording, f *store.FileRef, why, outcome string, extra map[string]any) {
	meta := map[string]any{"agent": r.Agent, "queue": r.Queue}
	if r.Name != "" {
		meta["name"] = r.Name
	}
	if !r.FinishedAt.IsZero() {
		meta["finished"] = r.FinishedAt.UTC().Format(time.RFC3339Nano)
	}
	if len(r.Partitions) > 0 {
		meta["partitions"] = r.Partitions
	}
	if len(r.Tags) > 0 {
		meta["tags"] = r.Tags
	}
	if r.Disposition != "" {
		meta["disposition"] = r.Disposition
	}
	sha := ""
	if f != nil {
		meta["file"], meta["size"] = f.ID, f.Size
		if f.Name != "" {
			meta["file_name"] = f.Name
		}
		sha = f.SHA256
	}
	for k, v := range extra {
		meta[k] = v
	}
	b, _ := json.Marshal(meta) // strings, numbers, string maps and slices only
	s.audited(ctx, audit.Entry{Action: action, At: s.clock.Now().UTC().Format(time.RFC3339Nano), User: a.User, Role: a.Role,
		From: a.From, Recording: r.ID, Interaction: r.Interaction, Customer: r.Customer, Kind: r.Kind, SHA256: sha,
		Metadata: b, Reason: why, Outcome: outcome})
}

// holdAudited appends a legal hold placed or lifted (action ActionHold or
// ActionHoldLifted) to the audit log, with its reason.
func (s *Server) holdAudited(ctx context.Context, a actor, action string, h store.Hold, why string) {
	meta := map[string]any{"hold": h.ID}
	if h.Matter != "" {
		meta["matter"] = h.Matter
	}
	if h.Search != "" {
		meta["search"] = h.Search
	}
	b, _ := json.Marshal(meta)
	s.audited(ctx, audit.Entry{Action: action, At: s.clock.Now().UTC().Format(time.RFC3339Nano), User: a.User, Role: a.Role,
		From: a.From, Recording: h.Recording, Interaction: h.Interaction, Query: h.Query, Metadata: b, Reason: why,
		Outcome: store.OutcomeOK})
}
