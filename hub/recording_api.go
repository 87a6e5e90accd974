package hub

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Error codes of the recording API (docs/recording-api.md). They are
// stable: scripts and tests match them.
const (
	APIErrBadJSON           = "bad_json"            // 400: the body is not JSON of the right shape
	APIErrBadRequest        = "bad_request"         // 400: unknown operation, bad record, missing interaction
	APIErrUnauthorized      = "unauthorized"        // 401: no or unknown bearer token
	APIErrNoSuchInteraction = "no_such_interaction" // 404: no chat with that id
	APIErrNoSuchRecording   = "no_such_recording"   // 404: the chat has no recording with that id
	APIErrMethodNotAllowed  = "method_not_allowed"  // 405
	APIErrWrongState        = "wrong_state"         // 409: the rules refused; the message says why
	APIErrTooLarge          = "too_large"           // 413: the body is over maxAPIBody
)

// maxAPIBody bounds a recording API request body.
const maxAPIBody = 64 << 10

// APIError is the body of every recording API error.
type APIError struct {
	Error APIErrorData `json:"error"`
}

// APIErrorData is an API error's stable code and its words.
type APIErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

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

func apiError(w http.ResponseWriter, status int, code, format string, a ...any) {
	writeJSON(w, status, APIError{Error: APIErrorData{Code: code, Message: fmt.Sprintf(format, a...)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
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

// apiAuth checks the method and the bearer token; it answers the request
// and returns false when either is wrong.
func (s *Server) apiAuth(w http.ResponseWriter, r *http.Request, method string) (APIToken, bool) {
	if r.Method != method {
		w.Header().Set("Allow", method)
		apiError(w, http.StatusMethodNotAllowed, APIErrMethodNotAllowed, "use %s on %s", method, r.URL.Path)
		return APIToken{}, false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && got != "" {
		for _, t := range s.cfg.Recording.APITokens {
			if subtle.ConstantTimeCompare([]byte(got), []byte(t.Token)) == 1 {
				return t, true
			}
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="chathub recording API"`)
	apiError(w, http.StatusUnauthorized, APIErrUnauthorized, "send Authorization: Bearer <token> with a token of recording.api_tokens")
	return APIToken{}, false
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
			apiError(w, http.StatusRequestEntityTooLarge, APIErrTooLarge, "the body is larger than %d bytes", maxAPIBody)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			apiError(w, http.StatusBadRequest, APIErrBadRequest, "%v; known fields: operation, interaction, record, partitions, id", err)
		default:
			apiError(w, http.StatusBadRequest, APIErrBadJSON, "the body is not a JSON object: %v", err)
		}
		return
	}
	req, err := body.parse(tok)
	if err != nil {
		apiError(w, http.StatusBadRequest, APIErrBadRequest, "%v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[body.Interaction]
	if c == nil || c.rec == nil {
		apiError(w, http.StatusNotFound, APIErrNoSuchInteraction, "no interaction %q", body.Interaction)
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
		apiError(w, http.StatusBadRequest, APIErrBadRequest, "%v", err)
		return
	case errors.Is(err, session.ErrNoSuchRecording):
		apiError(w, http.StatusNotFound, APIErrNoSuchRecording, "%v", err)
		return
	case err != nil:
		apiError(w, http.StatusConflict, APIErrWrongState, "%v", err)
		return
	}
	ans := RecordingAnswer{Interaction: c.id, Recordings: []session.RecordingInfo{}, State: c.recordingData(change)}
	for _, rec := range changed {
		ans.Recordings = append(ans.Recordings, recInfo(rec, c.names[rec.ID]))
	}
	writeJSON(w, http.StatusOK, ans)
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

// serveRecordingList is GET /v1/recordings[?interaction=ID]: finished,
// dropped and live recordings with their change logs.
func (s *Server) serveRecordingList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiAuth(w, r, http.MethodGet); !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.Recordings(r.URL.Query().Get("interaction")))
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
			apiError(w, http.StatusRequestEntityTooLarge, APIErrTooLarge, "the body is larger than %d bytes", maxAPIBody)
			return
		}
		apiError(w, http.StatusBadRequest, APIErrBadJSON, "the body is not {\"interaction\": \"chat-1\"}: %v", err)
		return
	}
	if strings.TrimSpace(body.Interaction) == "" {
		apiError(w, http.StatusBadRequest, APIErrBadRequest, "interaction is required: the chat id, e.g. chat-1")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[body.Interaction]
	switch {
	case c == nil:
		apiError(w, http.StatusNotFound, APIErrNoSuchInteraction, "no interaction %q", body.Interaction)
		return
	case c.state != session.Connected && c.state != session.ACW:
		apiError(w, http.StatusConflict, APIErrWrongState, "chat %s is %s: only a taken chat can be flagged", c.id, c.state)
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
	writeJSON(w, http.StatusOK, RecordingAnswer{Interaction: c.id, Recordings: []session.RecordingInfo{}, State: c.recordingData(change)})
}
