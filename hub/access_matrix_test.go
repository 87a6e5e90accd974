package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// matrixKinds are every recording kind (session.Kind's wire names).
var matrixKinds = []string{"record", "snip", "auto", "fulltime", "selective", "dynamic", "abuse"}

// TestAccessMatrix_R_V8_R_C7 is issue 12's proof of access: every role
// (agent, quality, supervisor at two levels of the team tree, compliance,
// admin, the recording API's supervisor and flow tokens) against every
// kind of recording of agents in three teams, through the search API, the
// interaction listing, the stored file and its decryption. Each allowed
// pair succeeds; every other answers the 404 an unknown id gets, or 403
// where the caller already knows the file exists (an agent's own upload of
// a kind they may not open).
func TestAccessMatrix_R_V8_R_C7(t *testing.T) {
	ageID, keyPath := identityFile(t)
	secret := map[string]string{} // user → their API token
	var users []auth.User
	for _, u := range []auth.User{
		{ID: "sup-north", Role: api.RoleSupervisor, Team: "north"},
		{ID: "sup-ne", Role: api.RoleSupervisor, Team: "north-east"},
		{ID: "qa-north", Role: api.RoleQuality, Team: "north"},
		{ID: "comp", Role: api.RoleCompliance},
		{ID: "admin", Role: api.RoleAdmin},
		{ID: "sup-south", Role: api.RoleSupervisor, Team: "south"},
	} {
		tok, sum, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		u.Tokens = []auth.UserToken{{Name: "matrix", SHA256: sum}}
		secret[u.ID] = tok
		users = append(users, u)
	}
	s, base, dir := startStoreHub(t, func(c *Config) {
		c.Store.IdentityFile = keyPath
		c.Teams = []auth.Team{{Name: "centre"}, {Name: "north", Parent: "centre"}, {Name: "north-east", Parent: "north"}, {Name: "south", Parent: "centre"}}
		c.Users = users
		c.Agents[0].Team, c.Agents[1].Team, c.Agents[2].Team = "north", "north-east", "south" // ada, grace, alan
	})
	// One recording of each kind for each agent, each with an encrypted file.
	ctx := context.Background()
	b := &store.Batch{}
	type rec struct{ agent, kind, chat, file string }
	var recs []rec
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	plain := []byte("the recorded screen and voice")
	sealed := ageFile(t, ageID, plain)
	if err := os.MkdirAll(filepath.Join(dir, "files", "matrix"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{"ada", "grace", "alan"} {
		for _, kind := range matrixKinds {
			n := len(recs) + 1
			chat := fmt.Sprintf("m-%d", n)
			r := rec{agent: agent, kind: kind, chat: chat}
			b.Chats = append(b.Chats, store.Chat{ID: chat, Seq: int64(n), Name: "Bea", Contact: "bea", Queue: "general",
				State: session.Done, Agent: agent, Created: at})
			b.Recordings = append(b.Recordings, store.Recording{ID: chat + "-" + kind + "-1", Interaction: chat, Queue: "general",
				Customer: "Bea", Agent: agent, Kind: kind, State: "final", Delivery: "store", Parts: []session.Part{},
				Log: []session.RecChange{}, Produced: true, FinishedAt: at.Add(time.Duration(n) * time.Minute)})
			path := "matrix/" + chat + ".webm.age"
			if err := os.WriteFile(filepath.Join(dir, "files", filepath.FromSlash(path)), sealed, 0o600); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
	}
	if err := s.Store().Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		f := &store.File{Name: r.chat + ".webm.age", Path: "matrix/" + r.chat + ".webm.age", SHA256: fmt.Sprintf("%064x", 1000+i),
			Size: int64(len(sealed)), Interaction: r.chat, Recording: r.chat + "-" + r.kind + "-1", Agent: r.agent, Kind: r.kind, Encrypted: true}
		if err := s.Store().PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
		recs[i].file = f.ID
	}

	callers := []struct {
		name, token string
		sees        func(agent, kind string) bool
	}{
		{"agent ada", "t-ada", func(a, k string) bool { return a == "ada" && k == "record" }},
		{"agent grace", "t-grace", func(a, k string) bool { return a == "grace" && k == "record" }},
		{"supervisor of north (and north-east)", secret["sup-north"], func(a, k string) bool { return a == "ada" || a == "grace" }},
		{"supervisor of north-east", secret["sup-ne"], func(a, k string) bool { return a == "grace" }},
		{"supervisor of south", secret["sup-south"], func(a, k string) bool { return a == "alan" }},
		{"quality of north", secret["qa-north"], func(a, k string) bool { return (a == "ada" || a == "grace") && k != "snip" }},
		{"compliance", secret["comp"], func(a, k string) bool { return k != "snip" }},
		{"admin", secret["admin"], func(a, k string) bool { return true }},
		{"recording API supervisor token", "t-sue", func(a, k string) bool { return true }},
		{"recording API flow token", "t-ivr", func(a, k string) bool { return false }},
	}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			// The search lists exactly what the caller may see.
			code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?limit=1000", c.token, "")
			if code != http.StatusOK {
				t.Fatalf("search: %d %s", code, body)
			}
			var l RecordingList
			if err := json.Unmarshal(body, &l); err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, r := range l.Recordings {
				got = append(got, r.Interaction)
			}
			for _, r := range recs {
				if c.sees(r.agent, r.kind) {
					want = append(want, r.chat)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("search lists %v, want %v", got, want)
			}
			for _, r := range recs {
				allowed := c.sees(r.agent, r.kind)
				// The interaction's listing: empty outside the scope.
				code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?interaction="+r.chat, c.token, "")
				if err := json.Unmarshal(body, &l); code != http.StatusOK || err != nil || (len(l.Recordings) == 1) != allowed {
					t.Errorf("%s's %s: interaction listing %d %s, allowed %v", r.agent, r.kind, code, body, allowed)
				}
				// The file, sealed and decrypted.
				st, got, _ := getFile(t, base, r.file, "?decrypt=1", c.token, nil)
				own := strings.HasPrefix(c.name, "agent "+r.agent)
				switch {
				case allowed && (st != http.StatusOK || string(got) != string(plain)):
					t.Errorf("%s's %s decrypted: %d %q, want 200 and the recording", r.agent, r.kind, st, got)
				case !allowed && own && st != http.StatusForbidden:
					t.Errorf("%s's own %s decrypted: %d, want 403 (they know it exists)", r.agent, r.kind, st)
				case !allowed && !own && st != http.StatusNotFound:
					t.Errorf("%s's %s decrypted: %d, want 404 (existence must not leak)", r.agent, r.kind, st)
				}
				st, _, _ = getFile(t, base, r.file, "", c.token, nil)
				if want := map[bool]int{true: 200, false: 404}[allowed || own]; st != want {
					t.Errorf("%s's %s sealed: %d, want %d", r.agent, r.kind, st, want)
				}
			}
			// An unknown file answers as one outside the scope does.
			if st, _, _ := getFile(t, base, "01ARZ3NDEKTSV4RRFFQ69G5FAV", "", c.token, nil); st != http.StatusNotFound {
				t.Errorf("unknown file: %d", st)
			}
		})
	}
	// team= narrows to a sub-tree, within the caller's scope.
	code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?team=north-east&limit=1000", secret["admin"], "")
	var l RecordingList
	if err := json.Unmarshal(body, &l); code != 200 || err != nil || len(l.Recordings) != len(matrixKinds) {
		t.Fatalf("admin, team=north-east: %d, %d recordings, want %d (grace's)", code, len(l.Recordings), len(matrixKinds))
	}
	code, body = apiDo(t, http.MethodGet, base+"/v1/recordings?team=south&limit=1000", secret["sup-north"], "")
	if err := json.Unmarshal(body, &l); code != 200 || err != nil || len(l.Recordings) != 0 {
		t.Fatalf("north's supervisor, team=south: %d, %d recordings, want none", code, len(l.Recordings))
	}
	// A user's token may not drive recordings unless they are a
	// supervisor or admin.
	if code, body := apiDo(t, http.MethodPost, base+"/v1/recording", secret["comp"], `{"operation":3013,"interaction":"m-1"}`); code != http.StatusForbidden {
		t.Fatalf("compliance starting a recording: %d %s", code, body)
	}
}
