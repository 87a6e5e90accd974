package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/store"
)

// ActionPolicy is the audit action of a policy change (issue 13 point 1,
// R-V9): the hub reads its config only at start, so a change IT made is
// audited when the hub next starts on it, naming each section that
// changed with its fingerprint before and after (never its content: the
// config holds secrets).
const ActionPolicy = "policy"

// policyFile keeps, in the store folder, the fingerprints of the config
// the hub last started on.
const policyFile = "policy.json"

// policySections fingerprints the config's sections that make policy: who
// may do what, what is recorded and kept, and the limits. Each is the
// SHA-256 of its JSON (tokens and hashes included: a changed secret is a
// change, and a fingerprint gives none away).
func (c *Config) policySections() map[string]string {
	agents := make([]AgentConfig, len(c.Agents))
	copy(agents, c.Agents)
	sections := map[string]any{
		"timers": c.Timers, "dispositions": c.Dispositions, "require_disposition": c.RequireDisposition,
		"queues": c.Queues, "agents": agents, "recording": c.Recording, "limits": c.Limits,
		"files": c.Files, "audit": c.Audit, "retention": c.Retention, "teams": c.Teams, "users": c.Users,
		"access": c.Access, "trusted_proxies": c.TrustedProxies,
		"store": map[string]any{"immutable": c.Store.Immutable, "max_upload_bytes": c.Store.MaxUploadBytes,
			"partial_expiry": c.Store.PartialExpiry, "recipient": c.Store.Recipient},
		"mail": map[string]any{"smtp": c.Mail.SMTP, "from": c.Mail.From},
		"tls":  map[string]any{"cert_file": c.TLS.CertFile, "key_file": c.TLS.KeyFile},
	}
	out := make(map[string]string, len(sections))
	for name, v := range sections {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(err.Error())
		}
		sum := sha256.Sum256(b)
		out[name] = hex.EncodeToString(sum[:])
	}
	return out
}

// auditPolicy compares the config the hub starts on with the one it last
// started on (store.dir/policy.json) and audits the sections that
// changed; the first start records the fingerprints only.
func (s *Server) auditPolicy() {
	if s.cfg.Store.Dir == "" || s.audit == nil {
		return
	}
	path := filepath.Join(s.cfg.Store.Dir, policyFile)
	now := s.cfg.policySections()
	var before map[string]string
	b, err := os.ReadFile(path) // #nosec G304 -- the hub's own file in its store folder
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		s.log.Error("audit: cannot read the last config's fingerprints; a change of policy will not be audited", "err", err)
		return
	default:
		if json.Unmarshal(b, &before) != nil {
			before = nil
		}
	}
	if before != nil {
		var changed []string
		for name, sum := range now {
			if before[name] != sum {
				changed = append(changed, name)
			}
		}
		for name := range before {
			if _, ok := now[name]; !ok {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		if len(changed) > 0 {
			was, is := map[string]string{}, map[string]string{}
			for _, name := range changed {
				was[name], is[name] = before[name], now[name]
			}
			meta, _ := json.Marshal(map[string]any{"changed": changed, "before": was, "after": is})
			s.audited(context.Background(), audit.Entry{Action: ActionPolicy, At: s.clock.Now().UTC().Format(time.RFC3339Nano),
				User: "config", Role: "it", Query: "changed: " + strings.Join(changed, ", "), Metadata: meta, Outcome: store.OutcomeOK})
		}
	}
	out, _ := json.MarshalIndent(now, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		s.log.Error("audit: cannot keep the config's fingerprints", "err", err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		s.log.Error("audit: cannot keep the config's fingerprints", "err", err)
	}
}
