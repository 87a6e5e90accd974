package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
)

// TestAccessLog_R_V9: every search and every fetch of a stored file is in
// the access log (issue 12 point 8) with who, their role, from where, what,
// which recording and the outcome; a role that must give a reason code
// (access.reason_required) is refused a decrypted file without one, and
// the reason is kept with the access.
func TestAccessLog_R_V9(t *testing.T) {
	ageID, keyPath := identityFile(t)
	tok, sum, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	s, base, _ := startStoreHub(t, func(c *Config) {
		c.Store.IdentityFile = keyPath
		c.Users = []auth.User{{ID: "cora", Role: api.RoleCompliance, Tokens: []auth.UserToken{{Name: "t", SHA256: sum}}}}
		c.Access.ReasonRequired = []string{api.RoleCompliance}
	})
	ctx := testCtx(t, wait)
	plain := []byte("what the agent's screen showed")
	id := uploadFile(t, ctx, base, "t-ada", "r.webm.age", ageFile(t, ageID, plain))

	if code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?agent=ada&q=parcel", tok, ""); code != http.StatusOK {
		t.Fatalf("search: %d %s", code, body)
	}
	if code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?kind=nonsense", tok, ""); code != http.StatusBadRequest {
		t.Fatalf("a bad search: %d %s", code, body)
	}
	st, body, _ := getFile(t, base, id, "?decrypt=1", tok, nil)
	var e api.Error
	if err := json.Unmarshal(body, &e); st != http.StatusForbidden || err != nil || e.Error.Code != api.ErrReasonRequired {
		t.Fatalf("compliance without a reason code: %d %s, want 403 %s", st, body, api.ErrReasonRequired)
	}
	if st, body, _ := getFile(t, base, id, "?decrypt=1&reason=legal-hold-42", tok, nil); st != http.StatusOK || string(body) != string(plain) {
		t.Fatalf("compliance with a reason code: %d %q", st, body)
	}
	if st, _, _ := getFile(t, base, id, "", "t-grace", nil); st != http.StatusNotFound {
		t.Fatalf("another agent: %d", st)
	}

	page, err := s.Store().Accesses(context.Background(), store.AccessFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range page.Accesses { // newest first
		if a.At.IsZero() || !strings.HasPrefix(a.From, "127.0.0.1") {
			t.Errorf("access %+v: no time or address", a)
		}
		got = append(got, strings.Join([]string{a.User, a.Role, a.Action, a.Outcome, a.Reason, a.Query}, " "))
	}
	want := []string{
		"grace agent download not_found  file=" + id, // nothing of the file: its id as asked
		"cora compliance download ok legal-hold-42 decrypt=1",
		"cora compliance download denied  decrypt=1",
		"cora compliance search denied  kind=nonsense",
		"cora compliance search ok  agent=ada&q=parcel",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("access log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
