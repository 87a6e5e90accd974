package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
	"github.com/agentdesk/agentdesk/session"
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

// TestAuditMissedAccesses_R_V9 (issue 13 point 1): accesses the access log
// kept but a hub killed before auditing them (each is two commits), or
// kept before the audit log existed, are audited when the hub starts,
// marked late, once.
func TestAuditMissedAccesses_R_V9(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *Config) { c.Store.Dir = dir }
	s := newHub(t, testConfig(t, cfg))
	if _, err := s.Directory().Login("nobody", "x", "198.51.100.1"); err == nil {
		t.Fatal("logged in")
	}
	s.Close()
	if err := s.CloseStore(); err != nil {
		t.Fatal(err)
	}
	raw, err := sqlite.Open(filepath.Join(dir, "index.db")) // the store alone: what the hub logged before it was killed
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{store.ActionSearch, store.ActionPlay, store.ActionExport} {
		if err := raw.LogAccess(context.Background(), &store.Access{User: "sue", Role: "supervisor", Action: a, Outcome: store.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	for round := range 2 { // the second start finds nothing left to audit
		s = newHub(t, testConfig(t, cfg))
		var got []string
		if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
			got = append(got, fmt.Sprintf("%s %s %v", e.Action, e.User, e.Late))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := "login nobody false\nsearch sue true\nplay sue true\nexport sue true"
		if strings.Join(got, "\n") != want {
			t.Fatalf("round %d: audit log:\n%s\nwant:\n%s", round, strings.Join(got, "\n"), want)
		}
		s.Close()
		if err := s.CloseStore(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditErasure_R_V9_R_H6 (issue 13 point 1): a recording's file
// deleted at the customer's request is in the audit log twice: its arrival
// and its erasure, both with the file's SHA-256; the erasure names who
// confirmed it and why, never the content.
func TestAuditErasure_R_V9_R_H6(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Store.Dir = t.TempDir() })
	ctx := testCtx(t, 30*time.Second)
	r.press(t, "record")
	f := chatFile(t, r.chat, "early")
	id, err := newTusClient(r.http, "t-grace").send(ctx, f, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.cust.send(session.TypeDeleteAsk, r.chat, nil)
	recFrame(r.g)
	r.g.send(session.TypeDeleteRec, r.chat, nil)
	if d := recFrame(r.g); !d.Deleted {
		t.Fatalf("after delete: %+v", d)
	}
	var got []string
	if err := r.s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		if e.ID == id {
			got = append(got, fmt.Sprintf("%s %s %s %s %s %s", e.Action, e.User, e.Role, e.Interaction, e.SHA256, e.Outcome))
			if e.Action == ActionErase && e.Reason == "" {
				t.Errorf("the erasure says not why: %+v", e)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"stored grace agent " + r.chat + " " + f.sha + " ok",
		"erase grace agent " + r.chat + " " + f.sha + " ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the file's audit entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuditWebApp_R_V9 (issue 13 point 1): the web app's logins, good and
// bad, its landing search and an admin's change of the users are audited
// with the client's address, through the hub (auth.Directory.Login, the
// store's LogAccess).
func TestAuditWebApp_R_V9(t *testing.T) {
	hash, err := auth.HashPassword("root's long password")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "users.yaml")
	if err := auth.WritePeople(file, auth.People{Users: []auth.User{{ID: "root", Role: "admin", Password: hash}}}); err != nil {
		t.Fatal(err)
	}
	s, base, _ := startStoreHub(t, func(c *Config) { c.Access.UsersFile = file })
	if newAppClient(t, base).login("root", "not the password") {
		t.Fatal("a wrong password logged in")
	}
	root := newAppClient(t, base)
	if !root.login("root", "root's long password") {
		t.Fatal("root cannot log in")
	}
	if code, _ := root.change(url.Values{"op": {"team"}, "id": {"billing"}}); code != http.StatusSeeOther {
		t.Fatalf("add a team: %d", code)
	}
	var got []string
	if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		if !strings.HasPrefix(e.From, "127.0.0.1") {
			t.Errorf("entry %d from %q", e.Seq, e.From)
		}
		got = append(got, strings.Join([]string{e.Action, e.User, e.Role, e.Outcome}, " "))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "login root  denied\nlogin root admin ok\nsearch root admin ok\nusers root admin ok" // the landing page is a search
	if strings.Join(got, "\n") != want {
		t.Fatalf("audit log:\n%q\nwant:\n%q", strings.Join(got, "\n"), want)
	}
}
