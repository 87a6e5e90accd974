// Package api holds what the hub's HTTP endpoints share: who is calling
// (agent and API tokens, their roles, compared in constant time) and how
// an error or a JSON answer is written. The realtime core, the upload
// ingest and the file serving all use it, so a token means the same
// everywhere and every error has the same shape.
package api

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Stable error codes of the HTTP API (docs/recording-api.md,
// docs/uploads.md). Scripts and tests match them.
const (
	ErrBadJSON            = "bad_json"             // 400: the body is not JSON of the right shape
	ErrBadRequest         = "bad_request"          // 400: unknown operation, bad record, missing interaction
	ErrUnauthorized       = "unauthorized"         // 401: no or unknown bearer token
	ErrForbidden          = "forbidden"            // 403: the caller may not see that
	ErrReasonRequired     = "reason_required"      // 403: the caller's role gives a reason code to play (access.reason_required)
	ErrNoSuchInteraction  = "no_such_interaction"  // 404: no chat with that id
	ErrNoSuchRecording    = "no_such_recording"    // 404: the chat has no recording with that id
	ErrNoSuchFile         = "no_such_file"         // 404: unknown, or not the caller's to see
	ErrNoSuchUpload       = "no_such_upload"       // 404: unknown, or another agent's
	ErrMethodNotAllowed   = "method_not_allowed"   // 405
	ErrWrongState         = "wrong_state"          // 409: the rules refused; the message says why
	ErrNoIdentity         = "no_identity"          // 409: ?decrypt=1 but the hub holds no age identity
	ErrCannotDecrypt      = "cannot_decrypt"       // 409: the hub's identity does not open the file
	ErrTooLarge           = "too_large"            // 413: the body is too large
	ErrTooManyConnections = "too_many_connections" // 429 from one address, 503 in all: the connection caps (limits)
	ErrBusy               = "busy"                 // 503: as many uploads and downloads run as may (limits.max_transfers)
	ErrInternal           = "internal"             // 500
	ErrNoStore            = "no_store"             // 503: the hub runs without store.dir
	ErrUnavailable        = "unavailable"          // 503: the hub's store cannot write just now
)

// Error is the body of every API error.
type Error struct {
	Error ErrorData `json:"error"`
}

// ErrorData is an error's stable code and its words.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError answers with status and an Error of code and the formatted words.
func WriteError(w http.ResponseWriter, status int, code, format string, a ...any) {
	WriteJSON(w, status, Error{Error: ErrorData{Code: code, Message: fmt.Sprintf(format, a...)}})
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Roles of a caller (issue 12 point 1, R-V8). Agents' desktop tokens are
// RoleAgent; people who log in to the web app or hold a per-user API token
// have the role of their user; the config's recording API tokens are
// RoleSupervisor or RoleFlow and see every recording.
const (
	RoleAgent      = "agent"      // an agent: their own ad hoc recordings
	RoleSupervisor = "supervisor" // their team tree's recordings, snippets too
	RoleQuality    = "quality"    // their team tree's recordings for evaluation, not snippets
	RoleCompliance = "compliance" // every recording but snippets; may export
	RoleAdmin      = "admin"      // every recording; manages users and teams
	RoleFlow       = "flow"       // a recording API token of the chat flow (IVR, routing)
)

// Roles lists the roles a user may have, in order of reach.
var Roles = []string{RoleAgent, RoleQuality, RoleSupervisor, RoleCompliance, RoleAdmin}

// Caller is an authenticated caller.
type Caller struct {
	Role string // one of the roles above
	ID   string // the agent's or user's id, or the API token's name
	Name string // a person's name to show ("" for a token)
	Team string // the user's team ("" for none, and for config API tokens)
	// Service is set for the config's recording API tokens
	// (recording.api_tokens): scripts of the contact centre that see
	// every recording, whatever their role.
	Service bool
}

// Agent reports whether the caller is an agent.
func (c Caller) Agent() bool { return c.Role == RoleAgent }

// Supervisor reports whether the caller holds a supervisor API token.
func (c Caller) Supervisor() bool { return c.Role == RoleSupervisor }

// Token is one secret and whom it names.
type Token struct {
	Secret string
	Caller Caller
}

// Tokens looks callers up by their secret. It is read-only after NewTokens
// and safe for concurrent use.
type Tokens struct {
	list []Token
}

// NewTokens builds the lookup; empty secrets are left out.
func NewTokens(list ...Token) *Tokens {
	t := &Tokens{}
	for _, x := range list {
		if x.Secret != "" {
			t.list = append(t.list, x)
		}
	}
	return t
}

// Lookup finds the caller a secret names. Every token is compared, in
// constant time, so the answer's timing tells nothing of the secrets.
func (t *Tokens) Lookup(secret string) (Caller, bool) {
	var found Caller
	ok := 0
	for _, x := range t.list {
		if subtle.ConstantTimeCompare([]byte(x.Secret), []byte(secret)) == 1 && ok == 0 {
			found, ok = x.Caller, 1
		}
	}
	return found, ok == 1 && secret != ""
}

// FromRequest finds the caller of r by its "Authorization: Bearer" header
// or, when query is true, its access_token query parameter (for a browser's
// <video src>).
func (t *Tokens) FromRequest(r *http.Request, query bool) (Caller, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && query {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" {
		return Caller{}, false
	}
	return t.Lookup(tok)
}
