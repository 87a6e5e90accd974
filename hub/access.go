package hub

import (
	"context"
	"net/http"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/store"
)

// fileAccess decides who may fetch a stored file (issue 12 point 5, R-V8,
// R-C7): whoever's scope holds its recording may, decrypted; the agent who
// uploaded it may have the sealed bytes of what their scope does not hold
// (they know it exists: asking for it decrypted is a 403, not a 404);
// anyone else gets the 404 of an unknown file. The recording's own row
// decides its agent and kind when the store has it, not the upload's
// metadata, which the desktop wrote.
func (s *Server) fileAccess(c api.Caller, f store.File) (see, decrypt bool) {
	agent, kind := f.Agent, f.Kind
	if f.Recording != "" && f.Interaction != "" {
		page, err := s.st.Recordings(context.Background(), store.RecordingFilter{ID: f.Recording, Interaction: f.Interaction, NoLines: true, Limit: 100})
		if err == nil {
			for _, r := range page.Recordings {
				if r.ID == f.Recording {
					agent, kind = r.Agent, r.Kind
				}
			}
		}
	}
	if s.tokens.Scope(c).Allows(agent, kind) {
		return true, true
	}
	return c.Agent() && c.ID == f.Agent, false
}

// Directory is who may use the hub: users, teams, tokens and each one's
// scope (the web app logs in and scopes through it).
func (s *Server) Directory() *auth.Directory { return s.tokens }

// Backlog is the unfinished uploads per desktop (none without store.dir).
func (s *Server) Backlog(ctx context.Context) ([]ingest.Backlog, error) {
	if s.in == nil {
		return nil, nil
	}
	return s.in.Backlog(ctx)
}

// logAccess keeps one access in the store's access log (issue 12 point 8,
// R-V9): who (c), when, from where (the client's address, through a
// trusted proxy), and what acc says. A log that cannot be written is an
// error in the hub's log; the answer has gone already.
func (s *Server) logAccess(r *http.Request, c api.Caller, acc *store.Access) {
	acc.User, acc.Role, acc.From = c.ID, c.Role, s.clientIP(r)
	if acc.At.IsZero() {
		acc.At = s.clock.Now()
	}
	if err := s.st.LogAccess(context.WithoutCancel(r.Context()), acc); err != nil {
		s.log.Error("store: access log", "err", err, "action", acc.Action, "user", c.ID)
	}
}

// fileAccessed keeps a stored file's fetch in the access log: a download,
// sealed or decrypted, with the reason code given (?reason=) and whether
// it was served, refused or not found.
func (s *Server) fileAccessed(r *http.Request, c api.Caller, f store.File, decrypt bool, outcome string) {
	acc := &store.Access{Action: store.ActionDownload, Recording: f.Recording, Interaction: f.Interaction,
		Customer: f.Customer, Kind: f.Kind, Reason: r.URL.Query().Get("reason"), Outcome: outcome}
	if outcome == store.OutcomeNotFound {
		acc.Query = "file=" + r.PathValue("id") // the id asked for: nothing of a file the caller may not see
		acc.Recording, acc.Interaction, acc.Customer, acc.Kind = "", "", "", ""
	}
	if decrypt {
		acc.Query = "decrypt=1"
	}
	s.logAccess(r, c, acc)
}
