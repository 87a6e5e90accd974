package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RecordingAPI is the hub's dynamic recording API (R-G3) as the `api` steps
// of demo mode call it. Call returns the hub's answer on success (HTTP
// 200), an *APIError when the hub answered with an error code, and any
// other error when it could not be asked. Implementations must be safe for
// use from the runner's goroutine while the model runs.
type RecordingAPI interface {
	Call(ctx context.Context, c APICall) (json.RawMessage, error)
}

// APICall is one request of an `api` step.
type APICall struct {
	Operation   string // as the script wrote it: "start", "STOP", "3015"
	Interaction string // the chat id
	ID          string // the recording id; may be empty
	Record      string // "source", "destination" or empty
	Partitions  string // comma list; may be empty
}

// APIError is an error answer of the recording API: its HTTP status and
// the stable code and message of its JSON body.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error formats the error as "CODE (HTTP STATUS): MESSAGE".
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// CustomerChats is an optional power of Customers: the interaction id of
// the chat a script customer opened (kept after the customer left), for
// `api … customer NAME`.
type CustomerChats interface {
	ChatOf(name string) (string, error)
}

// Selector is an optional power of the model under test: the id of the
// chat it has selected ("" when none), which `api` steps act on unless
// they name a chat or a customer. The runner calls it only from View, on
// the program's goroutine. *ui.Model implements it.
type Selector interface {
	SelectedChat() string
}

// ErrNoChat is the detail of an `api` step that has no chat to act on.
var ErrNoChat = errors.New("script: no chat is selected: select one, or name it with customer NAME or chat ID")

// api calls the recording API. It passes when the call succeeds, or when
// it fails with the code the step expects.
func (r *runner) api(ctx context.Context, st *Step) (*Failure, bool, error) {
	what := fmt.Sprintf("the recording API to %s", strings.ToLower(st.Action))
	if st.ExpectCode != "" {
		what = fmt.Sprintf("the recording API to refuse %s with %s", strings.ToLower(st.Action), st.ExpectCode)
	}
	chat, err := r.apiChat(st)
	if err != nil {
		return &Failure{Expected: what, Detail: err.Error()}, false, nil
	}
	call := APICall{Operation: st.Action, Interaction: chat, ID: st.RecID, Record: st.Record, Partitions: st.Partitions}
	answer, err := r.env.API.Call(ctx, call)
	f := map[string]any{"line": st.Pos.Line, "op": APIOperation(st.Action), "interaction": chat, "ok": err == nil}
	if st.RecID != "" {
		f["id"] = st.RecID
	}
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		f["status"], f["code"], f["message"] = ae.Status, ae.Code, ae.Message
	case err != nil:
		f["err"] = err.Error()
	case json.Valid(answer):
		f["answer"] = answer
	}
	_ = r.env.Events.Write(EventAPI, f)
	if err != nil && ae == nil && ctx.Err() != nil {
		return nil, false, fmt.Errorf("script: %w", ctx.Err())
	}
	switch {
	case st.ExpectCode == "" && err == nil:
		return nil, false, nil
	case st.ExpectCode == "":
		return &Failure{Expected: what + " on " + chat, Detail: "the API answered " + err.Error()}, false, nil
	case ae != nil && ae.Code == st.ExpectCode:
		return nil, true, nil
	case err == nil:
		return &Failure{Expected: what + " on " + chat, Detail: "the API accepted it (HTTP 200)"}, false, nil
	}
	return &Failure{Expected: what + " on " + chat, Detail: "the API answered " + err.Error()}, false, nil
}

// apiChat is the interaction an api step acts on: the one it names, the
// named customer's, or the selected one.
func (r *runner) apiChat(st *Step) (string, error) {
	switch {
	case st.Chat != "":
		return st.Chat, nil
	case st.Name != "":
		return r.env.Customers.(CustomerChats).ChatOf(st.Name) // check made sure it can
	}
	if id := r.obs.Selected(); id != "" {
		return id, nil
	}
	return "", ErrNoChat
}

// checkAPI finds what an api step needs of Env and lacks.
func checkAPI(st Step, env Env) error {
	bad := func(msg string) error {
		return &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col, Msg: msg}
	}
	if env.API == nil {
		return bad("api steps need the recording API of demo mode (a supervisor token under recording.api_tokens of the hub config): run `agentdesk demo --script FILE`")
	}
	if st.Name != "" {
		if _, ok := env.Customers.(CustomerChats); !ok {
			return bad("api … customer NAME needs the simulated customers of demo mode: run `agentdesk demo --script FILE`, or name the chat with chat ID")
		}
	}
	if st.Name == "" && st.Chat == "" {
		if _, ok := env.Model.(Selector); !ok {
			return bad("this desktop cannot tell its selected chat: name the chat with customer NAME or chat ID")
		}
	}
	return nil
}
