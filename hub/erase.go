package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// mustNotExist reports why a chat's recordings must not exist anywhere
// (R-H6: its deletion was confirmed, or consent was declined), "" when
// they may: an abusive chat is recorded whatever (R-H7). The caller holds
// the hub's lock.
func mustNotExist(c *chat) string {
	if c.rec != nil && c.rec.Abusive() {
		return ""
	}
	switch {
	case c.deleted:
		return session.ErrDeleted.Error()
	case c.consent == "no":
		return session.ErrConsentDeclined.Error()
	}
	return ""
}

// erase deletes every stored file and unfinished upload of a chat whose
// recordings must not exist, and writes their tombstones (what, when, who
// confirmed, why; never the content). by names who decided. A desktop
// that uploads one later is answered 410 (uploadRefused). The caller holds
// the hub's lock.
func (s *Server) erase(c *chat, by, why string) {
	var gone []store.File
	if s.in != nil {
		var err error
		if gone, err = s.in.Erase(context.Background(), c.id); err != nil {
			s.log.Error("erase: a recording that must not exist is still stored", "chat", c.id, "err", err)
		}
	}
	now := s.now()
	stones := make([]store.Tombstone, 0, len(gone)+1)
	for _, f := range gone {
		stones = append(stones, store.Tombstone{At: now, Interaction: c.id, Recording: f.Recording, File: f.ID,
			SHA256: f.SHA256, Size: f.Size, By: by, Why: why})
	}
	if len(stones) == 0 {
		stones = append(stones, store.Tombstone{At: now, Interaction: c.id, By: by, Why: why})
	}
	s.j.add(func(b *store.Batch) { b.Tombstones = append(b.Tombstones, stones...) })
	s.erasedAudited(stones)
	s.eraseChatFiles(c, by, why) // the files sent in the chat are part of its recordings (R-I6)
	s.log.Info("recordings erased", "chat", c.id, "files", len(gone), "by", by, "why", why)
}

// uploadRefused is the ingest's question: must recordings of interaction
// not be stored? It is asked before an upload is created and before its
// last byte is acknowledged.
func (s *Server) uploadRefused(ctx context.Context, interaction string) string {
	s.mu.RLock()
	c := s.chats[interaction]
	why := ""
	if c != nil {
		why = mustNotExist(c)
	}
	s.mu.RUnlock()
	if c != nil {
		return why
	}
	s.j.sync()
	row, err := s.st.Chat(ctx, interaction)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		s.log.Error("store: chat", "chat", interaction, "err", err)
		return ""
	}
	if !row.Deleted && row.Consent != "no" {
		return ""
	}
	// Done: an abusive chat's recordings were produced (R-H7) and may be
	// stored; otherwise none was, and none may be.
	page, err := s.st.Recordings(ctx, store.RecordingFilter{Interaction: interaction})
	if err == nil {
		for _, r := range page.Recordings {
			if r.Produced {
				return ""
			}
		}
	}
	if row.Deleted {
		return session.ErrDeleted.Error()
	}
	return session.ErrConsentDeclined.Error()
}

// EraseRecording is a compliance erasure (GDPR art. 17, issue 13 point
// 6): the recording with id (in interaction, when given) that c may see
// goes for good, with its files, its transcript lines and its index rows;
// a tombstone per file (its SHA-256 and size, who, why; never the
// content) stays in the store and in the audit log. It is refused while a
// legal hold covers it (*HeldError names the hold) and, with
// store.immutable, before its retention age (ErrImmutable); the refusal
// is audited too.
func (s *Server) EraseRecording(ctx context.Context, c api.Caller, from, id, interaction, reason string) ([]store.Tombstone, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: an erasure needs a reason", store.ErrBadFilter)
	}
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	rec, err := s.findRecording(ctx, id, interaction)
	if err == nil && !s.tokens.Scope(c).Allows(rec.Agent, rec.Kind) {
		err = fmt.Errorf("%w: recording %s", store.ErrNotFound, id) // a snippet, for compliance (R-C7)
	}
	if err != nil {
		return nil, err
	}
	return s.deleteRecording(ctx, rec, actor{User: c.ID, Role: c.Role, From: from}, ActionErase, reason)
}

// serveErase is DELETE /v1/recordings/{id} (?interaction=), body
// {"reason": "…"}: a compliance officer's or an admin's erasure.
func (s *Server) serveErase(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.officer(w, r)
	if !ok {
		return
	}
	var req ReasonRequest
	if !readBody(w, r, &req) || !needReason(w, req.Reason, "an erasure") {
		return
	}
	stones, err := s.EraseRecording(context.WithoutCancel(r.Context()), c, a.From, r.PathValue("id"), r.URL.Query().Get("interaction"), req.Reason)
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, ErasureAnswer{Tombstones: stones})
}
