package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// TestAuditLog_R_V9 (issue 13 point 1): a real upload's arrival (with the
// SHA-256 of its bytes), searches, file fetches served, refused and not
// found, and logins, good, bad and locked out, are entries of the audit log
// in the order they happened, each with who, role, from where, what and
// the outcome; the log verifies against the checkpoint the hub signs as it
// stops.
func TestAuditLog_R_V9(t *testing.T) {
	ageID, keyPath := identityFile(t)
	tok, sum, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	s, base, dir := startStoreHub(t, func(c *Config) {
		c.Store.IdentityFile = keyPath
		c.Users = []auth.User{{ID: "cora", Role: api.RoleCompliance, Password: hash, Tokens: []auth.UserToken{{Name: "t", SHA256: sum}}}}
		c.Access.LockoutFailures = 2
	})
	ctx := testCtx(t, wait)
	sealed := ageFile(t, ageID, []byte("what the agent's screen showed"))
	id := uploadFile(t, ctx, base, "t-ada", "r.webm.age", sealed)
	if code, body := apiDo(t, http.MethodGet, base+"/v1/recordings?agent=ada", tok, ""); code != http.StatusOK {
		t.Fatalf("search: %d %s", code, body)
	}
	if st, _, _ := getFile(t, base, id, "?decrypt=1&reason=case-7", tok, nil); st != http.StatusOK {
		t.Fatalf("compliance: %d", st)
	}
	if st, _, _ := getFile(t, base, id, "", "t-grace", nil); st != http.StatusNotFound {
		t.Fatalf("another agent: %d", st)
	}
	d := s.Directory()
	if _, err := d.Login("cora", "correct horse battery", "198.51.100.4"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = d.Login("cora", "wrong", "198.51.100.5") // the third is locked out
	}

	var got []string
	var stored audit.Entry
	if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		got = append(got, strings.Join([]string{e.Action, e.User, e.Role, e.Outcome, e.Reason, e.Query}, " "))
		if e.Action == audit.ActionStored {
			stored = e
		}
		if e.At == "" || (e.Action != audit.ActionStored && e.From == "") {
			t.Errorf("entry %d: no time or address: %+v", e.Seq, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"stored ada agent ok  ",
		"search cora compliance ok  agent=ada",
		"download cora compliance ok case-7 decrypt=1",
		"download grace agent not_found  file=" + id,
		"login cora compliance ok  ",
		"login cora  denied  ",
		"login cora  denied  ",
		"login cora  locked  ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	shaOf := sha256.Sum256(sealed)
	if stored.SHA256 != hex.EncodeToString(shaOf[:]) || stored.ID != id || stored.Interaction != "c-1" ||
		!strings.Contains(string(stored.Metadata), `"name":"r.webm.age"`) {
		t.Fatalf("the stored file's entry: %+v %s", stored, stored.Metadata)
	}
	s.Close()
	if err := s.CloseStore(); err != nil { // signs the last checkpoint
		t.Fatal(err)
	}
	db, err := sqlite.OpenReadOnly(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, vkey, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile), audit.DefaultKeyName)
	if err != nil || signer.Name() != audit.DefaultKeyName {
		t.Fatal(err)
	}
	v, err := audit.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(context.Background(), db, v, nil)
	if err != nil || !rep.OK() || rep.Size != int64(len(want)) || rep.Checkpoints != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
