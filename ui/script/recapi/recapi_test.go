package recapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/ui/script"
)

// TestCall: the request as docs/recording-api.md has it (bearer token, the
// operation as a number when written as a code), the answer of a 200, and
// error answers as *script.APIError with the hub's code (R-G3).
func TestCall(t *testing.T) {
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/recording" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		bodies = append(bodies, m)
		switch m["interaction"] {
		case "chat-99":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"no_such_interaction","message":"no interaction \"chat-99\""}}`)
		case "chat-500":
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "proxy error\n")
		default:
			io.WriteString(w, `{"interaction":"chat-1","recordings":[]}`)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/", "tok", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ans, err := c.Call(t.Context(), script.APICall{Operation: "3013", Interaction: "chat-1", ID: "sue-1", Record: "source", Partitions: "a,b"})
	if err != nil || !strings.Contains(string(ans), `"interaction":"chat-1"`) {
		t.Fatalf("Call = %s, %v", ans, err)
	}
	if b := bodies[0]; b["operation"] != 3013.0 || b["id"] != "sue-1" || b["record"] != "source" || b["partitions"] != "a,b" {
		t.Errorf("body %v; want operation 3013 as a number, id, record, partitions", b)
	}
	if _, err := c.Call(t.Context(), script.APICall{Operation: "Stop", Interaction: "chat-1"}); err != nil || bodies[1]["operation"] != "Stop" {
		t.Errorf("a named operation: %v, body %v; want it sent as written", err, bodies[1])
	}
	if _, ok := bodies[1]["id"]; ok {
		t.Errorf("empty id sent: %v", bodies[1])
	}

	_, err = c.Call(t.Context(), script.APICall{Operation: "pause", Interaction: "chat-99"})
	var ae *script.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "no_such_interaction" || ae.Message != `no interaction "chat-99"` {
		t.Errorf("error answer: %#v", err)
	}
	_, err = c.Call(t.Context(), script.APICall{Operation: "pause", Interaction: "chat-500"})
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Code != "http_502" || ae.Message != "proxy error" {
		t.Errorf("a non-JSON error answer: %#v", err)
	}

	srv.Close()
	if _, err := c.Call(t.Context(), script.APICall{Operation: "stop", Interaction: "chat-1"}); err == nil || errors.As(err, &ae) {
		t.Errorf("a hub that is gone: %v; want a plain error", err)
	}
	if _, err := New("", "tok", nil); !errors.Is(err, ErrConfig) {
		t.Errorf("New without URL: %v", err)
	}
	if _, err := New("http://x", "", nil); !errors.Is(err, ErrConfig) {
		t.Errorf("New without token: %v", err)
	}
}
