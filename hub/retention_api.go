package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
)

// The error codes of the retention, hold and erasure API (docs/retention.md).
const (
	ErrCodeOnHold    = "on_hold"   // 409: a legal hold covers the recording; the message names it
	ErrCodeImmutable = "immutable" // 409: store.immutable refuses the deletion before the retention age
	errCodeNotFound  = "not_found" // 404: no such page, or not the caller's
)

// HoldRequest is the body of POST /v1/holds: a hold on one recording
// (Recording, and Interaction when its id is not unique) or on a matter
// (Matter, and Search: the id or name of one of the caller's saved
// searches, or Query: a search's URL query). Reason is required.
type HoldRequest struct {
	Recording   string `json:"recording,omitempty"`
	Interaction string `json:"interaction,omitempty"`
	Matter      string `json:"matter,omitempty"`
	Search      string `json:"search,omitempty"`
	Query       string `json:"query,omitempty"`
	Reason      string `json:"reason"`
}

// ReasonRequest is the body of an erasure, a restore and a hold's lift.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// HoldList is the answer of GET /v1/holds.
type HoldList struct {
	Holds []store.Hold `json:"holds"`
}

// ErasureAnswer is the answer of DELETE /v1/recordings/{id}: the
// tombstones kept (hash and size, never the content).
type ErasureAnswer struct {
	Tombstones []store.Tombstone `json:"tombstones"`
}

// mountRetention serves the retention, legal hold and erasure API,
// compliance officers' and admins' only: anyone else gets a 404.
func (s *Server) mountRetention(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/retention", s.serveRetention)
	mux.HandleFunc("POST /v1/retention/run", s.serveRetention)
	mux.HandleFunc("GET /v1/holds", s.serveHolds)
	mux.HandleFunc("POST /v1/holds", s.servePlaceHold)
	mux.HandleFunc("POST /v1/holds/{id}/lift", s.serveLiftHold)
	mux.HandleFunc("POST /v1/recordings/{id}/restore", s.serveRestore)
	mux.HandleFunc("DELETE /v1/recordings/{id}", s.serveErase)
}

// officer finds a compliance officer or an admin calling by bearer
// token; it answers 401 to no token and 404 to anyone else (the pages do
// not exist for them).
func (s *Server) officer(w http.ResponseWriter, r *http.Request) (api.Caller, actor, bool) {
	c, ok := s.tokens.FromRequest(r, false)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chathub"`)
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "send Authorization: Bearer <token>: a compliance officer's or an admin's API token (chathub user token)")
		return c, actor{}, false
	}
	if c.Service || (c.Role != api.RoleCompliance && c.Role != api.RoleAdmin) {
		api.WriteError(w, http.StatusNotFound, errCodeNotFound, "no such page: %s", r.URL.Path)
		return c, actor{}, false
	}
	return c, actor{User: c.ID, Role: c.Role, From: s.clientIP(r)}, true
}

// readBody decodes a small JSON body into v (an empty body leaves it).
func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.WriteError(w, http.StatusRequestEntityTooLarge, api.ErrTooLarge, "the body is over %d bytes", maxAPIBody)
			return false
		}
		api.WriteError(w, http.StatusBadRequest, api.ErrBadJSON, "the body is not the JSON this endpoint takes: %v", err)
		return false
	}
	return true
}

// needReason answers 400 when the reason is empty.
func needReason(w http.ResponseWriter, reason, what string) bool {
	if strings.TrimSpace(reason) == "" {
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "give a reason for %s: {\"reason\": \"…\"} (it is kept in the audit log)", what)
		return false
	}
	if len(reason) > store.MaxHoldText {
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "a reason is at most %d bytes", store.MaxHoldText)
		return false
	}
	return true
}

// writeRetentionError answers a failed retention, hold or erasure in words.
func (s *Server) writeRetentionError(w http.ResponseWriter, err error) {
	var held *HeldError
	switch {
	case errors.As(err, &held):
		api.WriteError(w, http.StatusConflict, ErrCodeOnHold, "%v", err)
	case errors.Is(err, store.ErrHeld): // the store's own check (a hold of the recording's own)
		api.WriteError(w, http.StatusConflict, ErrCodeOnHold, "%v", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, ErrImmutable):
		api.WriteError(w, http.StatusConflict, ErrCodeImmutable, "%v", err)
	case errors.Is(err, store.ErrNotFound):
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchRecording, "%v", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, ErrAmbiguous), errors.Is(err, store.ErrBadFilter), errors.Is(err, store.ErrTooLong):
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrLifted), errors.Is(err, errNothingToDo):
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "%v", strings.TrimPrefix(err.Error(), "store: "))
	default:
		s.log.Error("retention", "err", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the store cannot do that just now; try again")
	}
}

// serveRetention is GET /v1/retention (the dry run: what the rules would
// archive and purge now, and why) and POST /v1/retention/run (a run now).
func (s *Server) serveRetention(w http.ResponseWriter, r *http.Request) {
	_, a, ok := s.officer(w, r)
	if !ok {
		return
	}
	rep, err := s.RunRetention(context.WithoutCancel(r.Context()), r.Method == http.MethodGet, a)
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rep)
}

// serveHolds is GET /v1/holds (?all=1: lifted ones too).
func (s *Server) serveHolds(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.officer(w, r); !ok {
		return
	}
	hs, err := s.st.Holds(r.Context(), r.URL.Query().Get("all") == "1")
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	if hs == nil {
		hs = []store.Hold{}
	}
	api.WriteJSON(w, http.StatusOK, HoldList{Holds: hs})
}

// servePlaceHold is POST /v1/holds.
func (s *Server) servePlaceHold(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.officer(w, r)
	if !ok {
		return
	}
	var req HoldRequest
	if !readBody(w, r, &req) || !needReason(w, req.Reason, "a legal hold") {
		return
	}
	h, err := s.PlaceHold(context.WithoutCancel(r.Context()), c, a, req)
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, h)
}

// serveLiftHold is POST /v1/holds/{id}/lift.
func (s *Server) serveLiftHold(w http.ResponseWriter, r *http.Request) {
	_, a, ok := s.officer(w, r)
	if !ok {
		return
	}
	var req ReasonRequest
	if !readBody(w, r, &req) || !needReason(w, req.Reason, "lifting a legal hold") {
		return
	}
	h, err := s.LiftHold(context.WithoutCancel(r.Context()), a, r.PathValue("id"), req.Reason)
	if errors.Is(err, store.ErrNotFound) {
		api.WriteError(w, http.StatusNotFound, errCodeNotFound, "no legal hold has id %q", r.PathValue("id"))
		return
	}
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, h)
}

// officerRecording finds the recording of a request's path (and
// ?interaction=) that the caller may see; it answers and returns false
// when there is none.
func (s *Server) officerRecording(w http.ResponseWriter, r *http.Request, c api.Caller) (store.Recording, bool) {
	rec, err := s.findRecording(r.Context(), r.PathValue("id"), r.URL.Query().Get("interaction"))
	if err == nil && !s.tokens.Scope(c).Allows(rec.Agent, rec.Kind) {
		err = store.ErrNotFound // a snippet, for compliance (R-C7): it does not exist for them
	}
	if err != nil {
		s.writeRetentionError(w, err)
		return rec, false
	}
	return rec, true
}

// serveRestore is POST /v1/recordings/{id}/restore: an archived
// recording's files move back from the archive folder.
func (s *Server) serveRestore(w http.ResponseWriter, r *http.Request) {
	c, a, ok := s.officer(w, r)
	if !ok {
		return
	}
	var req ReasonRequest
	if !readBody(w, r, &req) || !needReason(w, req.Reason, "a restore") {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	rec, ok := s.officerRecording(w, r, c)
	if !ok {
		return
	}
	if err := s.restoreArchived(ctx, rec, a, req.Reason); err != nil {
		s.writeRetentionError(w, err)
		return
	}
	rec, err := s.findRecording(ctx, rec.ID, rec.Interaction)
	if err != nil {
		s.writeRetentionError(w, err)
		return
	}
	api.WriteJSON(w, http.StatusOK, rec)
}

// queryOf reads a matter's search: a URL query, with or without "?".
func queryOf(q string) (string, error) {
	v, err := url.ParseQuery(strings.TrimPrefix(strings.TrimSpace(q), "?"))
	if err != nil {
		return "", err
	}
	if _, err := store.ParseQuery(v); err != nil {
		return "", err
	}
	return v.Encode(), nil
}
