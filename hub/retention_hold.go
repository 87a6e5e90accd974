package hub

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
)

// PlaceHold places a legal hold (issue 13 point 5) as c (a compliance
// officer or an admin; a is c as an actor): on one recording c may see,
// or on a matter covering one of c's saved searches (by id or name) or a
// search given as a URL query. The search is copied into the hold: later
// edits of the saved search change nothing. Placing it is audited with
// its reason.
func (s *Server) PlaceHold(ctx context.Context, c api.Caller, a actor, req HoldRequest) (store.Hold, error) {
	h := store.Hold{PlacedBy: a.by(), PlacedAt: s.clock.Now().UTC(), Reason: strings.TrimSpace(req.Reason)}
	switch {
	case req.Matter == "" && req.Recording == "":
		return h, fmt.Errorf("%w: a hold names a recording, or a matter and a search", store.ErrBadFilter)
	case req.Matter != "" && req.Recording != "":
		return h, fmt.Errorf("%w: a hold is on one recording or on a matter, not both", store.ErrBadFilter)
	case req.Matter != "" && (req.Search == "") == (req.Query == ""):
		return h, fmt.Errorf("%w: a matter's hold covers a saved search (search: its id or name) or a query, one of them", store.ErrBadFilter)
	}
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	if req.Recording != "" {
		rec, err := s.findRecording(ctx, req.Recording, req.Interaction)
		if err == nil && !s.tokens.Scope(c).Allows(rec.Agent, rec.Kind) {
			err = fmt.Errorf("%w: recording %s", store.ErrNotFound, req.Recording)
		}
		if err != nil {
			return h, err
		}
		h.Recording, h.Interaction = rec.ID, rec.Interaction
	} else {
		h.Matter = strings.TrimSpace(req.Matter)
		q := req.Query
		if req.Search != "" {
			ss, err := s.savedSearch(ctx, c.ID, req.Search)
			if err != nil {
				return h, err
			}
			q, h.Search = ss.Query, ss.ID
		}
		var err error
		if h.Query, err = queryOf(q); err != nil {
			return h, fmt.Errorf("%w: the matter's search: %v", store.ErrBadFilter, err)
		}
	}
	if err := s.st.PlaceHold(ctx, &h); err != nil {
		return h, err
	}
	s.holdAudited(ctx, a, ActionHold, h, h.Reason)
	s.log.Info("legal hold placed", "hold", h.ID, "matter", h.Matter, "recording", h.Recording, "by", h.PlacedBy)
	return h, nil
}

// savedSearch is the caller's saved search with that id or name.
func (s *Server) savedSearch(ctx context.Context, user, idOrName string) (store.SavedSearch, error) {
	ss, err := s.st.SavedSearches(ctx, user)
	if err != nil {
		return store.SavedSearch{}, err
	}
	for _, x := range ss {
		if x.ID == idOrName || x.Name == idOrName {
			return x, nil
		}
	}
	return store.SavedSearch{}, fmt.Errorf("%w: you have no saved search %q", store.ErrBadFilter, idOrName)
}

// LiftHold lifts the legal hold with id, as a, with a reason; audited.
func (s *Server) LiftHold(ctx context.Context, a actor, id, reason string) (store.Hold, error) {
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	h, err := s.st.LiftHold(ctx, id, a.by(), strings.TrimSpace(reason), s.clock.Now().UTC())
	if err != nil {
		return h, err
	}
	s.holdAudited(ctx, a, ActionHoldLifted, h, h.LiftReason)
	s.log.Info("legal hold lifted", "hold", h.ID, "by", h.LiftedBy)
	return h, nil
}

// holdKey keys a recording in a heldSet.
func holdKey(interaction, id string) string { return interaction + "\x00" + id }

// heldSet is every recording an active legal hold covers, with the first
// hold that does: the holds on one recording, and every recording each
// matter's search finds (no cap).
func (s *Server) heldSet(ctx context.Context) (map[string]store.Hold, error) {
	hs, err := s.st.Holds(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("retention: holds: %w", err)
	}
	out := map[string]store.Hold{}
	for _, h := range hs {
		if h.Matter == "" {
			if _, ok := out[holdKey(h.Interaction, h.Recording)]; !ok {
				out[holdKey(h.Interaction, h.Recording)] = h
			}
			continue
		}
		f, err := matterFilter(h)
		if err != nil {
			return nil, err
		}
		f.Limit, f.NoLines = store.DefaultLimit, true
		for {
			page, err := s.st.Recordings(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("retention: hold %s: %w", h.ID, err)
			}
			for _, r := range page.Recordings {
				if _, ok := out[holdKey(r.Interaction, r.ID)]; !ok {
					out[holdKey(r.Interaction, r.ID)] = h
				}
			}
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
	}
	return out, nil
}

// matterFilter is a matter hold's search.
func matterFilter(h store.Hold) (store.RecordingFilter, error) {
	q, err := url.ParseQuery(h.Query)
	if err != nil {
		return store.RecordingFilter{}, fmt.Errorf("retention: hold %s: %w", h.ID, err)
	}
	f, err := store.ParseQuery(q)
	if err != nil {
		return store.RecordingFilter{}, fmt.Errorf("retention: hold %s: %w", h.ID, err)
	}
	f.Cursor, f.Count = "", false
	return f, nil
}

// holdOn is the first active legal hold that covers r, if any.
func (s *Server) holdOn(ctx context.Context, r store.Recording) (store.Hold, bool, error) {
	hs, err := s.st.Holds(ctx, false)
	if err != nil {
		return store.Hold{}, false, err
	}
	for _, h := range hs {
		if h.Matter == "" {
			if h.Recording == r.ID && h.Interaction == r.Interaction {
				return h, true, nil
			}
			continue
		}
		f, err := matterFilter(h)
		if err != nil {
			return store.Hold{}, false, err
		}
		if (f.ID != "" && f.ID != r.ID) || (f.Interaction != "" && f.Interaction != r.Interaction) {
			continue
		}
		f.ID, f.Interaction, f.Limit, f.NoLines = r.ID, r.Interaction, 1, true
		page, err := s.st.Recordings(ctx, f)
		if err != nil {
			return store.Hold{}, false, err
		}
		if len(page.Recordings) > 0 {
			return h, true, nil
		}
	}
	return store.Hold{}, false, nil
}
