package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
	"github.com/agentdesk/agentdesk/session"
)

// retentionUsers are a compliance officer, an admin and a quality
// manager, each with an API token: their tokens, by user id.
func retentionUsers(t *testing.T, c *Config) map[string]string {
	t.Helper()
	toks := map[string]string{}
	for id, role := range map[string]string{"cora": api.RoleCompliance, "al": api.RoleAdmin, "quinn": api.RoleQuality} {
		tok, sum, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		toks[id] = tok
		c.Users = append(c.Users, auth.User{ID: id, Role: role, Team: "", Tokens: []auth.UserToken{{Name: "t", SHA256: sum}}})
	}
	return toks
}

// backdated is one stored recording of its own chat, finished age ago,
// with a file of real bytes in the store folder.
type backdated struct {
	id, kind, queue string
	chat            string // "": c-ID
	age             time.Duration
	file            store.File // after seed
	data            []byte
}

// seedRecordings stores each recording (chat, transcript line, row
// finished back in time) and its file (the bytes under files/, indexed as
// the ingest indexes them) straight into the hub's store.
func seedRecordings(t *testing.T, s *Server, dir string, recs []*backdated) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i, r := range recs {
		chat := "c-" + r.id
		if r.chat != "" {
			chat = r.chat
		}
		done := now.Add(-r.age)
		b := &store.Batch{
			Chats: []store.Chat{{ID: chat, Seq: int64(1000 + i), Name: "Bea", Queue: r.queue, State: session.Done, Created: done.Add(-time.Minute), EndedAt: done}},
			Lines: []store.Line{{Chat: chat, MessageData: session.MessageData{ID: 1, From: session.FromCustomer, Text: "secret words of " + r.id, At: done.Add(-30 * time.Second)}}},
			Took:  []store.Took{{Chat: chat, Recording: r.id, Line: 1}},
			Recordings: []store.Recording{{ID: r.id, Name: r.id + ".webm", Interaction: chat, Queue: r.queue, Customer: "Bea", Agent: "ada",
				Kind: r.kind, State: "final", Delivery: "store", Produced: true, FinishedAt: done,
				Parts: []session.Part{{Start: done.Add(-time.Minute), End: done}}}},
		}
		if err := s.Store().Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
		r.data = []byte("the recording " + r.id + ": screen and voice")
		sum := sha256.Sum256(r.data)
		r.file = store.File{Name: r.id + ".webm", Path: r.id + ".webm", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(r.data)),
			Interaction: chat, Recording: r.id, Agent: "ada", Queue: r.queue, Kind: r.kind, Created: done}
		if err := os.WriteFile(filepath.Join(dir, "files", r.file.Path), r.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.Store().PutFile(ctx, &r.file); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// auditOf is the audit log's entries of one action, as "recording
// outcome user".
func auditOf(t *testing.T, s *Server, actions ...string) map[string][]audit.Entry {
	t.Helper()
	out := map[string][]audit.Entry{}
	if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		for _, a := range actions {
			if e.Action == a {
				out[a] = append(out[a], e)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestRetention_R_V6_R_V9_R_H6 (issue 13 points 4-6): on recordings with
// back-dated times in a real hub on loopback with its real SQLite store,
// the dry run lists what is due and why (and the legal holds that stop a
// purge) and touches nothing; the run archives (the file moves to
// archive/, the recording stays listed and playable, marked archived) and
// purges (file, row, transcript gone, a tombstone with the hash kept);
// compliance restores; an erasure is refused while a hold covers the
// recording, naming the hold, and done once it is lifted; every action is
// in the audit log, with who, why and the file's SHA-256, and nobody but
// compliance and admins finds these endpoints.
func TestRetention_R_V6_R_V9_R_H6(t *testing.T) {
	var toks map[string]string
	s, base, dir := startStoreHub(t, func(c *Config) {
		toks = retentionUsers(t, c)
		c.Retention.Rules = retention.Rules{
			{Name: "snips", Kind: "snip", Age: retention.Age(30 * retention.Day), Action: retention.Purge},
			{Name: "two-years", Age: retention.Age(2 * retention.Year), Action: retention.Purge},
			{Name: "quarter", Age: retention.Age(90 * retention.Day), Action: retention.Archive},
		}
	})
	const year = retention.Year
	archived := &backdated{id: "r-archive", kind: "auto", queue: "general", age: 100 * retention.Day}
	purged := &backdated{id: "r-purge", kind: "auto", queue: "general", age: 3 * year}
	held := &backdated{id: "r-held", kind: "auto", queue: "general", age: 3 * year}
	matter := &backdated{id: "r-matter", kind: "auto", queue: "legal", age: 3 * year}
	young := &backdated{id: "r-young", kind: "auto", queue: "general", age: 10 * retention.Day}
	seedRecordings(t, s, dir, []*backdated{archived, purged, held, matter, young})
	cora := toks["cora"]

	// Nobody but compliance and admins finds these pages (404), strangers 401.
	for _, tc := range []struct{ method, path, token string }{
		{"GET", "/v1/retention", toks["quinn"]}, {"GET", "/v1/retention", "t-sue"}, {"GET", "/v1/retention", "t-ada"},
		{"POST", "/v1/retention/run", toks["quinn"]}, {"GET", "/v1/holds", "t-sue"}, {"POST", "/v1/holds", toks["quinn"]},
		{"DELETE", "/v1/recordings/r-young", "t-sue"}, {"POST", "/v1/recordings/r-archive/restore", "t-ada"},
	} {
		if code, body := apiDo(t, tc.method, base+tc.path, tc.token, `{"reason":"x"}`); code != http.StatusNotFound {
			t.Errorf("%s %s as %s: %d %s", tc.method, tc.path, tc.token, code, body)
		}
	}
	if code, _ := apiDo(t, "GET", base+"/v1/retention", "", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}

	// Holds: one on a recording, one on a matter covering a saved search.
	code, body := apiDo(t, "POST", base+"/v1/holds", cora, `{"recording":"r-held","reason":"subpoena 2026-14"}`)
	if code != http.StatusCreated {
		t.Fatalf("hold: %d %s", code, body)
	}
	hold := decodeJSON[store.Hold](t, body)
	ss := store.SavedSearch{User: "cora", Name: "legal queue", Query: "queue=legal"}
	if err := s.Store().SaveSearch(context.Background(), &ss); err != nil {
		t.Fatal(err)
	}
	code, body = apiDo(t, "POST", base+"/v1/holds", cora, `{"matter":"Smith v. Acme","search":"legal queue","reason":"litigation"}`)
	if code != http.StatusCreated {
		t.Fatalf("matter hold: %d %s", code, body)
	}
	mhold := decodeJSON[store.Hold](t, body)
	if code, body := apiDo(t, "POST", base+"/v1/holds", cora, `{"recording":"r-held"}`); code != http.StatusBadRequest {
		t.Fatalf("hold without a reason: %d %s", code, body)
	}

	// The dry run lists, says why, and touches nothing.
	code, body = apiDo(t, "GET", base+"/v1/retention", cora, "")
	if code != http.StatusOK {
		t.Fatalf("dry run: %d %s", code, body)
	}
	dry := decodeJSON[retention.Report](t, body)
	got := map[string]retention.Item{}
	for _, it := range dry.Items {
		got[it.Recording] = it
	}
	want := map[string]string{"r-archive": "archive quarter", "r-purge": "purge two-years", "r-held": "purge two-years", "r-matter": "purge two-years"}
	if len(got) != len(want) || !dry.DryRun || dry.Archived != 1 || dry.Purged != 1 || dry.Skipped != 2 {
		t.Fatalf("dry run: %s", body)
	}
	for id, w := range want {
		if it := got[id]; it.Action+" "+it.Rule != w || it.Done {
			t.Errorf("%s: %+v, want %s", id, it, w)
		}
	}
	if sk := got["r-held"].Skipped; !strings.Contains(sk, hold.ID) || !strings.Contains(sk, "subpoena 2026-14") {
		t.Errorf("held: skipped %q", sk)
	}
	if sk := got["r-matter"].Skipped; !strings.Contains(sk, mhold.ID) || !strings.Contains(sk, "Smith v. Acme") {
		t.Errorf("matter: skipped %q", sk)
	}
	for _, r := range []*backdated{archived, purged, held, matter, young} {
		if !exists(filepath.Join(dir, "files", r.file.Path)) {
			t.Fatalf("the dry run moved or deleted %s", r.id)
		}
	}

	// The run.
	code, body = apiDo(t, "POST", base+"/v1/retention/run", cora, "")
	if code != http.StatusOK {
		t.Fatalf("run: %d %s", code, body)
	}
	if rep := decodeJSON[retention.Report](t, body); rep.DryRun || rep.Archived != 1 || rep.Purged != 1 || rep.Skipped != 2 || rep.Failed != 0 {
		t.Fatalf("run: %s", body)
	}
	if exists(filepath.Join(dir, "files", archived.file.Path)) || !exists(filepath.Join(dir, "archive", archived.file.Path)) {
		t.Fatal("archived: the file did not move to archive/")
	}
	code, body = apiDo(t, "GET", base+"/v1/recordings?id=r-archive", cora, "")
	if l := decodeJSON[RecordingList](t, body); code != 200 || len(l.Recordings) != 1 || len(l.Recordings[0].Files) != 1 || !l.Recordings[0].Files[0].Archived {
		t.Fatalf("archived recording listed: %d %s", code, body)
	}
	if st, b, _ := getFile(t, base, archived.file.ID, "", cora, nil); st != 200 || string(b) != string(archived.data) {
		t.Fatalf("archived file served: %d %q", st, b)
	}
	if exists(filepath.Join(dir, "files", purged.file.Path)) {
		t.Fatal("purged: the file is still on disk")
	}
	if _, err := s.Store().File(context.Background(), purged.file.ID); err == nil {
		t.Fatal("purged: the file is still indexed")
	}
	if lines, _ := s.Store().Transcript(context.Background(), "c-r-purge"); len(lines) != 0 {
		t.Fatalf("purged: its transcript is left: %+v", lines)
	}
	if p, _ := s.Store().Recordings(context.Background(), store.RecordingFilter{Text: "secret words"}); len(p.Recordings) != 4 {
		t.Fatalf("full text after the purge: %d recordings, want 4", len(p.Recordings))
	}
	stones, err := s.Store().Tombstones(context.Background(), "c-r-purge")
	if err != nil || len(stones) != 1 || stones[0].SHA256 != purged.file.SHA256 || stones[0].By != "compliance cora" || stones[0].Why != "retention rule two-years" {
		t.Fatalf("purge tombstone: %+v %v", stones, err)
	}
	for _, r := range []*backdated{held, matter, young} {
		if !exists(filepath.Join(dir, "files", r.file.Path)) {
			t.Fatalf("%s went, yet it is held or young", r.id)
		}
	}

	// Restore.
	if code, body := apiDo(t, "POST", base+"/v1/recordings/r-archive/restore", cora, `{"reason":"audit request 9"}`); code != 200 {
		t.Fatalf("restore: %d %s", code, body)
	}
	if !exists(filepath.Join(dir, "files", archived.file.Path)) || exists(filepath.Join(dir, "archive", archived.file.Path)) {
		t.Fatal("restored: the file is not back in files/")
	}
	if code, body := apiDo(t, "POST", base+"/v1/recordings/r-archive/restore", cora, `{"reason":"again"}`); code != http.StatusConflict {
		t.Fatalf("restore twice: %d %s", code, body)
	}

	// Erasure: refused while on hold, naming it; done once lifted.
	code, body = apiDo(t, "DELETE", base+"/v1/recordings/r-held", cora, `{"reason":"GDPR art. 17 request 31"}`)
	if code != http.StatusConflict || !strings.Contains(string(body), ErrCodeOnHold) || !strings.Contains(string(body), hold.ID) {
		t.Fatalf("erase under hold: %d %s", code, body)
	}
	if !exists(filepath.Join(dir, "files", held.file.Path)) {
		t.Fatal("a refused erasure deleted the file")
	}
	code, body = apiDo(t, "DELETE", base+"/v1/recordings/r-matter", cora, `{"reason":"GDPR art. 17 request 32"}`)
	if code != http.StatusConflict || !strings.Contains(string(body), "Smith v. Acme") {
		t.Fatalf("erase under a matter's hold: %d %s", code, body)
	}
	if code, body := apiDo(t, "POST", base+"/v1/holds/"+hold.ID+"/lift", cora, `{"reason":"subpoena withdrawn"}`); code != 200 {
		t.Fatalf("lift: %d %s", code, body)
	}
	if code, body := apiDo(t, "GET", base+"/v1/holds", cora, ""); code != 200 || strings.Contains(string(body), hold.ID) || !strings.Contains(string(body), mhold.ID) {
		t.Fatalf("holds after the lift: %d %s", code, body)
	}
	code, body = apiDo(t, "DELETE", base+"/v1/recordings/r-held", cora, `{"reason":"GDPR art. 17 request 31"}`)
	if code != 200 {
		t.Fatalf("erase after the lift: %d %s", code, body)
	}
	if exists(filepath.Join(dir, "files", held.file.Path)) {
		t.Fatal("erased: the file is still on disk")
	}
	if ans := decodeJSON[ErasureAnswer](t, body); len(ans.Tombstones) != 1 || ans.Tombstones[0].SHA256 != held.file.SHA256 {
		t.Fatalf("erasure tombstones: %s", body)
	}
	if code, _ := apiDo(t, "DELETE", base+"/v1/recordings/r-held", cora, `{"reason":"again"}`); code != http.StatusNotFound {
		t.Fatalf("erase twice: %d", code)
	}

	// Every action is in the audit log (R-V9), none with content.
	log := auditOf(t, s, ActionArchive, ActionRestore, ActionPurge, ActionErase, ActionHold, ActionHoldLifted)
	check := func(action string, n int, f func(e audit.Entry) bool) {
		t.Helper()
		var ok int
		for _, e := range log[action] {
			if f(e) {
				ok++
			}
		}
		if ok != n {
			t.Errorf("audit %s: %d entries match, want %d: %+v", action, ok, n, log[action])
		}
	}
	check(ActionHold, 2, func(e audit.Entry) bool {
		return e.User == "cora" && e.Role == "compliance" && e.From != "" && e.Reason != ""
	})
	check(ActionArchive, 1, func(e audit.Entry) bool {
		return e.Recording == "r-archive" && e.SHA256 == archived.file.SHA256 && e.Reason == "retention rule quarter" && e.Outcome == "ok"
	})
	check(ActionPurge, 1, func(e audit.Entry) bool {
		return e.Recording == "r-purge" && e.SHA256 == purged.file.SHA256 && e.Outcome == "ok" && e.User == "cora"
	})
	check(ActionRestore, 1, func(e audit.Entry) bool { return e.Recording == "r-archive" && e.Reason == "audit request 9" })
	check(ActionHoldLifted, 1, func(e audit.Entry) bool { return e.Recording == "r-held" && e.Reason == "subpoena withdrawn" })
	check(ActionErase, 3, func(e audit.Entry) bool { return strings.HasPrefix(e.Reason, "GDPR art. 17") })
	check(ActionErase, 2, func(e audit.Entry) bool {
		return e.Outcome == store.OutcomeDenied && strings.Contains(string(e.Metadata), "legal hold")
	})
	check(ActionErase, 1, func(e audit.Entry) bool { return e.Outcome == "ok" && e.SHA256 == held.file.SHA256 })
	for _, es := range log {
		for _, e := range es {
			if b, _ := e.Canonical(); strings.Contains(string(b), "secret words") || strings.Contains(string(b), "screen and voice") {
				t.Fatalf("an audit entry holds content: %s", b)
			}
		}
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
	_, vkey, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile), audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	v, err := audit.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(context.Background(), db, v, nil); err != nil || !rep.OK() || rep.Checkpoints == 0 {
		t.Fatalf("the audit log does not verify: %+v %v", rep, err)
	}
}

// TestRetentionImmutable_R_V6: with store.immutable nobody deletes a
// recording before the rules say purge for it (an admin neither), with a
// clear error, and the refusal is audited; once due, the erasure is done.
func TestRetentionImmutable_R_V6(t *testing.T) {
	var toks map[string]string
	s, base, dir := startStoreHub(t, func(c *Config) {
		toks = retentionUsers(t, c)
		c.Store.Immutable = true
		c.Retention.Rules = retention.Rules{{Name: "snips", Kind: "snip", Age: retention.Age(30 * retention.Day), Action: retention.Purge}}
	})
	forever := &backdated{id: "r-auto", kind: "auto", queue: "general", age: 3 * retention.Year}
	early := &backdated{id: "r-snip-young", kind: "snip", queue: "general", age: 10 * retention.Day}
	due := &backdated{id: "r-snip-old", kind: "snip", queue: "general", age: 40 * retention.Day}
	seedRecordings(t, s, dir, []*backdated{forever, early, due})
	for _, tc := range []struct {
		id, token, want string
	}{
		{"r-auto", toks["cora"], "no retention rule ever purges it"},
		{"r-auto", toks["al"], "no retention rule ever purges it"},
		{"r-snip-young", toks["al"], fmt.Sprintf("snips purges it from %s", early.file.Created.Add(30*retention.Day).UTC().Format("2006-01-02"))},
	} {
		code, body := apiDo(t, "DELETE", base+"/v1/recordings/"+tc.id, tc.token, `{"reason":"GDPR art. 17"}`)
		if code != http.StatusConflict || !strings.Contains(string(body), ErrCodeImmutable) || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s", tc.id, code, body)
		}
	}
	for _, r := range []*backdated{forever, early} {
		if !exists(filepath.Join(dir, "files", r.file.Path)) {
			t.Fatalf("immutable: %s was deleted", r.id)
		}
	}
	if code, body := apiDo(t, "DELETE", base+"/v1/recordings/r-snip-old", toks["al"], `{"reason":"GDPR art. 17"}`); code != 200 {
		t.Fatalf("due: %d %s", code, body)
	}
	if exists(filepath.Join(dir, "files", due.file.Path)) {
		t.Fatal("due: the file is still there")
	}
	denied := 0
	for _, e := range auditOf(t, s, ActionErase)[ActionErase] {
		if e.Outcome == store.OutcomeDenied && strings.Contains(string(e.Metadata), "store.immutable") {
			denied++
		}
	}
	if denied != 3 {
		t.Fatalf("immutable refusals audited: %d, want 3", denied)
	}
}

// TestComplianceWebPage_R_V6_R_H6: the web app's compliance page, in a
// real hub on loopback, shows a compliance officer the holds in force and
// the retention dry run; its erase form is refused while a hold covers the
// recording (the hold named), the hold is lifted from the page with a
// reason, and the erasure is then done. Anyone else gets the 404 of an
// unknown page, and a post without the form token is refused.
func TestComplianceWebPage_R_V6_R_H6(t *testing.T) {
	hash, err := auth.HashPassword("cora's long password")
	if err != nil {
		t.Fatal(err)
	}
	var toks map[string]string
	s, base, dir := startStoreHub(t, func(c *Config) {
		toks = retentionUsers(t, c)
		for i := range c.Users {
			c.Users[i].Password = hash
		}
		c.Retention.Rules = retention.Rules{{Name: "two-years", Age: retention.Age(2 * retention.Year), Action: retention.Purge}}
	})
	old := &backdated{id: "r-old", kind: "auto", queue: "general", age: 3 * retention.Year}
	seedRecordings(t, s, dir, []*backdated{old})
	code, body := apiDo(t, "POST", base+"/v1/holds", toks["cora"], `{"recording":"r-old","reason":"subpoena 5"}`)
	if code != http.StatusCreated {
		t.Fatalf("hold: %d %s", code, body)
	}
	hold := decodeJSON[store.Hold](t, body)

	quinn := newAppClient(t, base)
	if !quinn.login("quinn", "cora's long password") {
		t.Fatal("quinn cannot log in")
	}
	if code, page := quinn.do("GET", "/app/compliance", nil); code != http.StatusNotFound || strings.Contains(page, hold.ID) {
		t.Fatalf("a quality manager's compliance page: %d", code)
	}
	cora := newAppClient(t, base)
	if !cora.login("cora", "cora's long password") {
		t.Fatal("cora cannot log in")
	}
	code, page := cora.do("GET", "/app/compliance", nil)
	if code != 200 || !strings.Contains(page, hold.ID) || !strings.Contains(page, "subpoena 5") || !strings.Contains(page, "two-years") ||
		!strings.Contains(page, "on legal hold "+hold.ID) {
		t.Fatalf("compliance page: %d %s", code, page)
	}
	if code, _ := cora.do("POST", "/app/compliance/erase", url.Values{"recording": {"r-old"}, "reason": {"GDPR 1"}}); code != http.StatusForbidden {
		t.Fatalf("an erasure without the form token: %d", code)
	}
	code, page = cora.do("POST", "/app/compliance/erase", url.Values{"csrf": {cora.csrf}, "recording": {"r-old"}, "reason": {"GDPR 1"}})
	if code != http.StatusConflict || !strings.Contains(page, "legal hold "+hold.ID) {
		t.Fatalf("erase under hold: %d %s", code, page)
	}
	if !exists(filepath.Join(dir, "files", old.file.Path)) {
		t.Fatal("a refused erasure deleted the file")
	}
	if code, _ := cora.do("POST", "/app/compliance/holds/"+hold.ID+"/lift", url.Values{"csrf": {cora.csrf}, "reason": {"withdrawn"}}); code != http.StatusSeeOther {
		t.Fatalf("lift: %d", code)
	}
	if code, _ := cora.do("POST", "/app/compliance/erase", url.Values{"csrf": {cora.csrf}, "recording": {"r-old"}, "reason": {"GDPR 1"}}); code != http.StatusSeeOther {
		t.Fatalf("erase: %d", code)
	}
	if exists(filepath.Join(dir, "files", old.file.Path)) {
		t.Fatal("erased, yet the file is there")
	}
	found := 0
	for _, e := range auditOf(t, s, ActionErase, ActionHoldLifted) {
		for _, x := range e {
			if x.User == "cora" && x.From != "" {
				found++
			}
		}
	}
	if found != 3 { // the refusal, the lift, the erasure
		t.Fatalf("audited from the page: %d entries, want 3", found)
	}
}

// TestRetentionSchedule_R_V6: with retention.every the hub runs the rules
// by itself: a recording due for archiving moves to archive/, audited as
// the schedule's (user retention, role system).
func TestRetentionSchedule_R_V6(t *testing.T) {
	s, _, dir := startStoreHub(t, func(c *Config) {
		c.Retention.Every = time.Second
		c.Retention.Rules = retention.Rules{{Name: "quarter", Age: retention.Age(90 * retention.Day), Action: retention.Archive}}
	})
	due := &backdated{id: "r-due", kind: "auto", queue: "general", age: 100 * retention.Day}
	seedRecordings(t, s, dir, []*backdated{due})
	deadline := time.Now().Add(10 * time.Second)
	// The file moves, then its entry is appended: wait for both.
	for !exists(filepath.Join(dir, "archive", due.file.Path)) || len(auditOf(t, s, ActionArchive)[ActionArchive]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled run did not archive the recording in 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var by []string
	for _, e := range auditOf(t, s, ActionArchive)[ActionArchive] {
		by = append(by, e.User+"/"+e.Role+"/"+e.Reason)
	}
	if len(by) != 1 || by[0] != "retention/system/retention rule quarter" {
		t.Fatalf("audited: %v", by)
	}
}
