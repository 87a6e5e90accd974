package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// maxAPIBody bounds a recording API request body.
const maxAPIBody = 64 << 10

// RecordingRequest is the body of POST /v1/recording (R-G3). Operation is
// 3013..3016 as a number or a string, or START, STOP, PAUSE, RESUME in any
// case; Partitions is "a,b" or ["a","b"].
type RecordingRequest struct {
	Operation   json.RawMessage `json:"operation"`
	Interaction string          `json:"interaction"`
	Record      string          `json:"record,omitempty"` // "source" or "destination" (default)
	Partitions  json.RawMessage `json:"partitions,omitempty"`
	ID          string          `json:"id,omitempty"`
}

// RecordingAnswer is the 200 answer of POST /v1/recording: the recordings
// the request changed and the chat's recording state after it.
type RecordingAnswer struct {
	Interaction string                  `json:"interaction"`
	Recordings  []session.RecordingInfo `json:"recordings"`
	State       *session.RecordingData  `json:"state"`
}

// handleAPI routes method on path to h and every other method to a JSON
// method_not_allowed (the mux's own 405 is plain text).
func (s *Server) handleAPI(mux *http.ServeMux, method, path string, h http.HandlerFunc) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == method {
			mux.HandleFunc(m+" "+path, h)
			continue
		}
		mux.HandleFunc(m+" "+path, func(w http.ResponseWriter, r *http.Request) { s.apiAuth(w, r, method) })
	}
}

// apiAuth checks the method and the bearer token of a request that acts
// on chats (POST): the config's recording API tokens, supervisors' and
// admins' own tokens. It answers the request and returns false when the
// method or the caller is wrong.
func (s *Server) apiAuth(w http.ResponseWriter, r *http.Request, method string) (APIToken, bool) {
	c, ok := s.caller(w, r, method)
	if !ok {
		return APIToken{}, false
	}
	if !c.Service && c.Role != api.RoleSupervisor && c.Role != api.RoleAdmin {
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "the %s %s may not %s %s: it needs a recording API token, or a supervisor's or admin's", c.Role, c.ID, method, r.URL.Path)
		return APIToken{}, false
	}
	return APIToken{Name: c.ID, Role: c.Role}, true
}

// caller checks the method and finds who calls by the bearer token: any
// agent, user or recording API token. It answers the request and returns
// false when the method is wrong or nobody is named.
func (s *Server) caller(w http.ResponseWriter, r *http.Request, method string) (api.Caller, bool) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		api.WriteError(w, http.StatusMethodNotAllowed, api.ErrMethodNotAllowed, "use %s on %s", method, r.URL.Path)
		return api.Caller{}, false
	}
	if c, ok := s.tokens.FromRequest(r, false); ok {
		return c, true
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="chathub recording API"`)
	api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "send Authorization: Bearer <token>: an agent's token, a user's API token (chathub user token) or one of recording.api_tokens")
	return api.Caller{}, false
}

// serveRecordingAPI is POST /v1/recording: the dynamic recording API (R-G3).
func (s *Server) serveRecordingAPI(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.apiAuth(w, r, http.MethodPost)
	if !ok {
		return
	}
	var body RecordingRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			api.WriteError(w, http.StatusRequestEntityTooLarge, api.ErrTooLarge, "the body is larger than %d bytes", maxAPIBody)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v; known fields: operation, interaction, record, partitions, id", err)
		default:
			api.WriteError(w, http.StatusBadRequest, api.ErrBadJSON, "the body is not a JSON object: %v", err)
		}
		return
	}
	req, err := body.parse(tok)
	if err != nil {
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", err)
		return
	}
	s.lock()
	c := s.chats[body.Interaction]
	if c == nil || c.rec == nil {
		s.unlock()
		if s.finished(body.Interaction) {
			api.WriteError(w, http.StatusConflict, api.ErrWrongState, "chat %s is done: %v", body.Interaction, session.ErrChatNotConnected)
			return
		}
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchInteraction, "no interaction %q", body.Interaction)
		return
	}
	var changed []*session.Recording
	change, err := s.recDo(c, func(now time.Time) (string, error) {
		var err error
		changed, err = c.rec.API(req, now)
		return "", err
	})
	switch {
	case errors.Is(err, session.ErrBadRecOp):
		s.unlock()
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", err)
		return
	case errors.Is(err, session.ErrNoSuchRecording):
		s.unlock()
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchRecording, "%v", err)
		return
	case err != nil:
		s.unlock()
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "%v", err)
		return
	}
	ans := RecordingAnswer{Interaction: c.id, Recordings: []session.RecordingInfo{}, State: c.recordingData(change)}
	for _, rec := range changed {
		ans.Recordings = append(ans.Recordings, recInfo(rec, c.names[rec.ID]))
	}
	s.unlock()
	s.j.sync() // stored before it is acknowledged
	api.WriteJSON(w, http.StatusOK, ans)
}

// parse checks a request and turns it into the Recorder's terms.
func (b RecordingRequest) parse(tok APIToken) (session.APIRequest, error) {
	var req session.APIRequest
	if len(b.Operation) == 0 || string(b.Operation) == "null" {
		return req, errors.New("operation is required: 3013/START, 3014/STOP, 3015/PAUSE or 3016/RESUME")
	}
	var op string
	if err := json.Unmarshal(b.Operation, &op); err != nil {
		var n json.Number
		if err := json.Unmarshal(b.Operation, &n); err != nil {
			return req, fmt.Errorf("operation must be a number or a string, not %s", b.Operation)
		}
		op = n.String()
	}
	o, err := session.ParseRecOp(strings.TrimSpace(op))
	if err != nil {
		return req, err
	}
	if strings.TrimSpace(b.Interaction) == "" {
		return req, errors.New("interaction is required: the chat id, e.g. chat-1")
	}
	switch b.Record {
	case "", "source", "destination":
	default:
		return req, fmt.Errorf("record must be source or destination, not %q", b.Record)
	}
	parts, err := partitions(b.Partitions)
	if err != nil {
		return req, err
	}
	reason := fmt.Sprintf("recording API %d %s", int(o), strings.ToUpper(o.String()))
	return session.APIRequest{Op: o, ID: b.ID, Side: b.Record, Partitions: parts,
		By: session.Actor{Role: tok.Role, ID: tok.Name, Reason: reason}}, nil
}

// partitions reads "a,b" or ["a","b"].
func partitions(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = strings.Split(one, ",")
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf(`partitions must be "a,b" or ["a","b"], not %s`, raw)
	}
	out := list[:0]
	for _, p := range list {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// serveRecordingList is GET /v1/recordings[?interaction=ID][&limit=N]
// [&cursor=NEXT] and the search (issue 12, R-V5, R-V7; every parameter of
// store.ParseQuery, and team=T): finished (with their stored files),
// dropped and live recordings with their change logs, from the store, a
// page at a time; only those in the caller's scope (agents: their own ad
// hoc recordings; auth.Scope). With format=csv (or Accept: text/csv) every
// finished one, as CSV, for a caller who may export.
// listParams are GET /v1/recordings' parameters besides the search's
// (store.QueryParams).
var listParams = []string{"team", "format"}

func (s *Server) serveRecordingList(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(w, r, http.MethodGet)
	if !ok {
		return
	}
	f, err := store.ParseQuery(r.URL.Query())
	if unknown := store.UnknownParams(r.URL.Query(), listParams...); err == nil && len(unknown) > 0 {
		err = fmt.Errorf("%s: not a parameter of this list (a typo?); it takes %s, tag.NAME, %s",
			strings.Join(unknown, ", "), strings.Join(store.QueryParams, ", "), strings.Join(listParams, ", "))
	}
	if err != nil {
		s.logAccess(r, c, &store.Access{Action: store.ActionSearch, Query: r.URL.RawQuery, Outcome: store.OutcomeDenied})
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", err)
		return
	}
	if team := r.URL.Query().Get("team"); team != "" {
		f.AgentIn = s.tokens.TeamAgents(team)
	}
	scope := s.tokens.Scope(c)
	scope.Apply(&f) // only what the caller may see (R-V8, R-C7)
	if wantsCSV(r) {
		s.serveRecordingCSV(w, r, c, scope.CanExport(), f)
		return
	}
	l, err := s.SearchRecordings(f)
	acc := &store.Access{Action: store.ActionSearch, Query: r.URL.RawQuery, Outcome: store.OutcomeOK}
	defer s.logAccess(r, c, acc) // every search, by whom and for what (point 8, R-V9)
	switch {
	case errors.Is(err, store.ErrBadFilter):
		acc.Outcome = store.OutcomeDenied
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", err)
	case errors.Is(err, store.ErrBadCursor):
		acc.Outcome = store.OutcomeDenied
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "cursor %q is not one this hub handed out for this sort: use the \"next\" of a page", f.Cursor)
	case err != nil:
		acc.Outcome = store.OutcomeFailed
		s.log.Error("store: recordings", "err", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the store cannot be read just now; try again")
	default:
		if f.Interaction != "" && len(l.Recordings) == 1 {
			acc.Recording, acc.Interaction, acc.Customer, acc.Kind = l.Recordings[0].ID, f.Interaction, l.Recordings[0].Customer, l.Recordings[0].Kind
		}
		if c.Agent() {
			l.Mail = s.mailStates(r.Context(), c.ID, l.Recordings) // their own ad hoc recordings' e-mail (R-C7)
		}
		api.WriteJSON(w, http.StatusOK, l)
	}
}

// AbusiveRequest is the body of POST /v1/abusive.
type AbusiveRequest struct {
	Interaction string `json:"interaction"`
	Reason      string `json:"reason,omitempty"`
}

// serveAbusive is POST /v1/abusive: a supervisor (or the flow) flags a
// chat abusive, so it is recorded whatever R-H6 says (R-H7).
func (s *Server) serveAbusive(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.apiAuth(w, r, http.MethodPost)
	if !ok {
		return
	}
	var body AbusiveRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			api.WriteError(w, http.StatusRequestEntityTooLarge, api.ErrTooLarge, "the body is larger than %d bytes", maxAPIBody)
			return
		}
		api.WriteError(w, http.StatusBadRequest, api.ErrBadJSON, "the body is not {\"interaction\": \"chat-1\"}: %v", err)
		return
	}
	if strings.TrimSpace(body.Interaction) == "" {
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "interaction is required: the chat id, e.g. chat-1")
		return
	}
	s.lock()
	c := s.chats[body.Interaction]
	switch {
	case c == nil && s.finishedLocked(body.Interaction):
		s.unlock()
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "chat %s is done: only a taken chat can be flagged", body.Interaction)
		return
	case c == nil:
		s.unlock()
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchInteraction, "no interaction %q", body.Interaction)
		return
	case c.state != session.Connected && c.state != session.ACW:
		s.unlock()
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "chat %s is %s: only a taken chat can be flagged", c.id, c.state)
		return
	}
	reason := body.Reason
	if reason == "" {
		reason = "flagged abusive"
	}
	change, _ := s.recDo(c, func(time.Time) (string, error) {
		c.rec.FlagAbusive(session.Actor{Role: tok.Role, ID: tok.Name, Reason: reason})
		return fmt.Sprintf("%s %s flagged the chat abusive: it will be recorded", tok.Role, tok.Name), nil
	})
	ans := RecordingAnswer{Interaction: c.id, Recordings: []session.RecordingInfo{}, State: c.recordingData(change)}
	s.unlock()
	s.j.sync() // stored before it is acknowledged
	api.WriteJSON(w, http.StatusOK, ans)
}

// finished reports whether the store knows the chat (which is no longer in
// memory: it is done).
func (s *Server) finished(id string) bool {
	s.j.sync()
	_, err := s.st.Chat(context.Background(), id)
	return err == nil
}

// finishedLocked is finished for a caller holding the lock.
func (s *Server) finishedLocked(id string) bool { return s.finished(id) }
