package hub

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/webapp"
)

// The web app's audit page and a recording's access history (issue 13
// point 3) read the hub's audit log through its index (audit.Index).
var _ webapp.Auditor = appBackend{}

// canAudit: compliance and admins read the audit log.
func canAudit(role string) bool { return role == api.RoleCompliance || role == api.RoleAdmin }

// seesHistory: who sees a recording's access history on its page (the
// recordings in their scope): compliance, admins, supervisors, and agents
// when access.agents_see_viewers is on.
func (b appBackend) seesHistory(role string) bool {
	switch role {
	case api.RoleCompliance, api.RoleAdmin, api.RoleSupervisor:
		return true
	case api.RoleAgent:
		return b.s.cfg.Access.AgentsSeeViewers
	}
	return false
}

func auditFilter(f webapp.AuditFilter) audit.Filter {
	return audit.Filter{User: f.User, Recording: f.Recording, Action: f.Action, Outcome: f.Outcome, From: f.From, To: f.To,
		Before: f.Before, Limit: f.Limit, Count: true}
}

func entryView(e audit.Entry) webapp.AuditEntry {
	at, _ := time.Parse(time.RFC3339Nano, e.At)
	return webapp.AuditEntry{Seq: e.Seq, At: at, User: e.User, Role: e.Role, From: e.From, Action: e.Action,
		Recording: e.Recording, Interaction: e.Interaction, Customer: e.Customer, Kind: e.Kind, Reason: e.Reason,
		Query: e.Query, Outcome: e.Outcome, SHA256: e.SHA256, Late: e.Late}
}

// AuditEntries lists a page of the audit log (compliance and admin only:
// others get an empty page; the web app shows them a 404 before).
func (b appBackend) AuditEntries(ctx context.Context, u webapp.User, f webapp.AuditFilter) (webapp.AuditPage, error) {
	if b.s.audit == nil || !canAudit(u.Role) {
		return webapp.AuditPage{}, nil
	}
	p, err := b.s.audit.Index().Find(ctx, auditFilter(f))
	if err != nil {
		return webapp.AuditPage{}, err
	}
	out := webapp.AuditPage{Total: p.Total, Next: p.Next}
	for _, e := range p.Entries {
		out.Entries = append(out.Entries, entryView(e))
	}
	return out, nil
}

// EachAuditEntry is the CSV export's walk through the audit log.
func (b appBackend) EachAuditEntry(ctx context.Context, u webapp.User, f webapp.AuditFilter, fn func(webapp.AuditEntry) error) error {
	if b.s.audit == nil || !canAudit(u.Role) {
		return nil
	}
	af := auditFilter(f)
	return b.s.audit.Index().Each(ctx, af, func(e audit.Entry) error { return fn(entryView(e)) })
}

// AuditCheckpoint is the newest signed checkpoint of the audit log.
func (b appBackend) AuditCheckpoint(ctx context.Context) (webapp.AuditCheckpoint, bool, error) {
	if b.s.audit == nil {
		return webapp.AuditCheckpoint{}, false, nil
	}
	c, ok, err := b.s.audit.Latest(ctx)
	if !ok || err != nil {
		return webapp.AuditCheckpoint{}, false, err
	}
	return webapp.AuditCheckpoint{Size: c.Size, At: c.At, Verifier: b.s.audit.Verifier(),
		Root: base64.StdEncoding.EncodeToString(c.Root[:])}, true, nil
}

// errEnough ends a walk through the log that found what it wanted.
var errEnough = errors.New("enough")

// viewedActions are what an agent's history of their own recording lists.
var viewedActions = map[string]bool{"view": true, "play": true, "download": true}

// AccessHistory lists the audit log's entries about a recording, newest
// first (the web app has checked the recording is in u's scope); for an
// agent only who viewed, played or downloaded it, and when.
func (b appBackend) AccessHistory(ctx context.Context, u webapp.User, rec string, limit int) ([]webapp.AuditEntry, bool, error) {
	if b.s.audit == nil || !b.seesHistory(u.Role) || rec == "" {
		return nil, false, nil
	}
	agent := u.Role == api.RoleAgent
	var out []webapp.AuditEntry
	more := false
	f := audit.Filter{Recording: rec}
	if !agent {
		f.Limit = limit + 1
	}
	err := b.s.audit.Index().Each(ctx, f, func(e audit.Entry) error {
		if agent && (!viewedActions[e.Action] || e.Outcome != "ok") {
			return nil
		}
		if len(out) == limit {
			more = true
			return errEnough
		}
		v := entryView(e)
		if agent {
			v.From, v.Reason, v.Query, v.Seq, v.Customer = "", "", "", 0, ""
		}
		out = append(out, v)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, false, err
	}
	return out, more, nil
}
