package hub

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestDirectory: GET /v1/directory gives an agent's picker every agent
// and queue with availability and load, and nothing private (no customer,
// no chat, no token); it needs an agent's (or supervisor's) token.
func TestDirectory(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, _, chat := partyChat(t, base)
	grace, _ := agentLogin(t, base, "t-grace", false)
	agentLogin(t, base, "t-bob", true)
	ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
	answer(grace, invited(grace).ID, true, "")
	inviteResult(ada)
	url := "http" + strings.TrimPrefix(base, "ws") + "/v1/directory"

	code, body := apiDo(t, http.MethodGet, url, "t-alan", "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/directory: %d %s", code, body)
	}
	var d session.Directory
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	agents := map[string]session.DirectoryAgent{}
	for _, a := range d.Agents {
		agents[a.ID] = a
	}
	want := map[string]session.DirectoryAgent{
		"ada":   {Online: true, Ready: true, Available: true, Load: 1, Capacity: 2},
		"grace": {Online: true, Ready: false, Available: false, Load: 0, Joined: 1, Capacity: 1},
		"alan":  {Online: false, Capacity: 1},
		"bob":   {Online: true, Ready: true, Available: true, Capacity: 2},
	}
	for id, w := range want {
		a := agents[id]
		if a.Online != w.Online || a.Ready != w.Ready || a.Available != w.Available || a.Load != w.Load || a.Joined != w.Joined || a.Capacity != w.Capacity || a.Name == "" {
			t.Errorf("%s: %+v, want %+v", id, a, w)
		}
	}
	queues := map[string]session.DirectoryQueue{}
	for _, q := range d.Queues {
		queues[q.Name] = q
	}
	if g := queues["general"]; g.Agents != 2 || g.Ready != 1 || g.Available != 1 || g.Title != "General" {
		t.Errorf("general: %+v", g)
	}
	if b := queues["billing"]; b.Agents != 2 || b.Ready != 2 || b.Available != 2 {
		t.Errorf("billing: %+v", b)
	}
	for _, secret := range []string{"Carol", "carol-1", chat, "t-ada", "token"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the directory shows %q: %s", secret, body)
		}
	}
	// /healthz counts per queue and the multi-party figures, naming nobody.
	code, body = apiDo(t, http.MethodGet, strings.Replace(url, "/v1/directory", "/healthz", 1), "", "")
	var h Health
	if err := json.Unmarshal(body, &h); code != http.StatusOK || err != nil {
		t.Fatalf("healthz: %d %s %v", code, body, err)
	}
	if h.Conferenced != 1 || h.Invites != 0 || h.Queues["billing"].Available != 2 || h.Queues["general"].Ready != 1 {
		t.Fatalf("healthz: %+v", h)
	}
	for _, name := range []string{"ada", "Grace", "Carol"} {
		if strings.Contains(string(body), name) {
			t.Fatalf("/healthz names %q: %s", name, body)
		}
	}
	if code, body := apiDo(t, http.MethodGet, url, "", ""); code != http.StatusUnauthorized {
		t.Fatalf("without a token: %d %s", code, body)
	}
	if code, body := apiDo(t, http.MethodGet, url, "t-ivr", ""); code != http.StatusForbidden {
		t.Fatalf("a flow token: %d %s", code, body)
	}
	if code, _ := apiDo(t, http.MethodPost, url, "t-ada", "{}"); code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", code)
	}
}
