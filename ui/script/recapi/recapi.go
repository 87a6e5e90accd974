// Package recapi calls the hub's dynamic recording API (R-G3,
// docs/recording-api.md) over HTTP for the `api` steps of a keystroke
// script (script.RecordingAPI). It is an adapter: only cmd/agentdesk (demo
// mode) and tests import it.
package recapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/ui/script"
)

// maxAnswer bounds the answer body read.
const maxAnswer = 1 << 20

// ErrConfig is returned by New for a missing base URL or token.
var ErrConfig = errors.New("recapi: a base URL and a bearer token are needed")

// Client posts to POST /v1/recording of one hub with one bearer token. It
// is safe for concurrent use.
type Client struct {
	url   string
	token string
	http  *http.Client
}

var _ script.RecordingAPI = (*Client)(nil)

// New returns a client of the hub at baseURL (http://host:port) using the
// API token (a supervisor's or the flow's). hc may be nil for
// http.DefaultClient.
func New(baseURL, token string, hc *http.Client) (*Client, error) {
	if baseURL == "" || token == "" {
		return nil, ErrConfig
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{url: strings.TrimRight(baseURL, "/") + "/v1/recording", token: token, http: hc}, nil
}

// request is the JSON body: operation as a number when the script wrote a
// code, as the word otherwise, so both forms of the API are exercised.
type request struct {
	Operation   any    `json:"operation"`
	Interaction string `json:"interaction"`
	Record      string `json:"record,omitempty"`
	Partitions  string `json:"partitions,omitempty"`
	ID          string `json:"id,omitempty"`
}

// Call posts the call and returns the answer of a 200, or *script.APIError
// with the code and message of an error answer.
func (c *Client) Call(ctx context.Context, call script.APICall) (json.RawMessage, error) {
	var op any = call.Operation
	if n, err := strconv.Atoi(call.Operation); err == nil {
		op = n
	}
	body, err := json.Marshal(request{Operation: op, Interaction: call.Interaction, Record: call.Record, Partitions: call.Partitions, ID: call.ID})
	if err != nil {
		return nil, fmt.Errorf("recapi: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("recapi: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("recapi: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("recapi: read the answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return answer, nil
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	ae := &script.APIError{Status: resp.StatusCode}
	if json.Unmarshal(answer, &e) == nil && e.Error.Code != "" {
		ae.Code, ae.Message = e.Error.Code, e.Error.Message
	} else {
		ae.Code = "http_" + strconv.Itoa(resp.StatusCode)
		ae.Message = strings.TrimSpace(string(answer))
	}
	return nil, ae
}
