package hub

import (
	"context"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/webapp"
)

var _ webapp.Compliance = appBackend{}

// ComplianceOfficer: compliance officers and admins use the compliance
// page (docs/retention.md).
func (b appBackend) ComplianceOfficer(u webapp.User) bool {
	return u.Role == api.RoleCompliance || u.Role == api.RoleAdmin
}

// Holds lists the legal holds in force.
func (b appBackend) Holds(ctx context.Context, _ webapp.User) ([]store.Hold, error) {
	return b.s.st.Holds(ctx, false)
}

// RetentionDryRun is what the rules would archive and purge now.
func (b appBackend) RetentionDryRun(ctx context.Context, u webapp.User) (retention.Report, error) {
	return b.s.RunRetention(ctx, true, actor{User: u.ID, Role: u.Role})
}

// LiftHold lifts a hold as u, audited.
func (b appBackend) LiftHold(ctx context.Context, u webapp.User, id, reason, from string) error {
	_, err := b.s.LiftHold(context.WithoutCancel(ctx), actor{User: u.ID, Role: u.Role, From: from}, id, reason)
	return err
}

// EraseRecording erases a recording u may see (GDPR art. 17), audited.
func (b appBackend) EraseRecording(ctx context.Context, u webapp.User, id, reason, from string) error {
	_, err := b.s.EraseRecording(context.WithoutCancel(ctx), callerOf(u), from, id, "", reason)
	return err
}
