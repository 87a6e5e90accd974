package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// auditStore runs a real hub on a store folder and has it audit logins
// (good and bad), searches of the recording API, accesses the web app logs
// through the store, and a stored file's arrival; it signs a checkpoint
// mid-way (copied to the checkpoint folder) and one as it closes. It
// returns the store folder, the checkpoint folder and the entry count.
func auditStore(t *testing.T) (dir, ckDir string, size int64) {
	t.Helper()
	dir, ckDir = t.TempDir(), t.TempDir()
	h := hubtest.Shipped(t, dir, func(c *hub.Config) { c.Audit.CheckpointDir = ckDir })
	ctx := context.Background()
	if _, err := h.Directory().Login("ada", "demo-password-ada", "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Directory().Login("ada", "wrong password", "192.0.2.8"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	for i := range 8 {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/recordings?agent=ada&limit="+string(rune('1'+i)), nil)
		req.Header.Set("Authorization", "Bearer demo-token-sue")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("search: %d", resp.StatusCode)
		}
	}
	if _, _, err := h.Audit().Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	f := &store.File{Name: "chat-1-rec.webm", Path: "files/store/chat-1-rec.webm", SHA256: strings.Repeat("ab", 32),
		Size: 1234, Interaction: "chat-1", Recording: "rec-1", Agent: "ada", Customer: "cust-9", Kind: "record",
		Metadata: json.RawMessage(`{"z":1,"a":{"y":"x","b":[1,2]}}`)}
	if err := h.Store().PutFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{store.ActionView, store.ActionPlay, store.ActionPlay, store.ActionView, store.ActionExport, store.ActionView, store.ActionView} {
		if err := h.Store().LogAccess(ctx, &store.Access{User: "sue", Role: "supervisor", From: "192.0.2.9", Action: a,
			Recording: "rec-1", Interaction: "chat-1", Customer: "cust-9", Kind: "record", Reason: "QA-1", Outcome: store.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	size = h.Audit().Size()
	h.Close()
	if err := h.CloseStore(); err != nil {
		t.Fatal(err)
	}
	return dir, ckDir, size
}

// copyStore copies a store folder's database and key into a new folder.
func copyStore(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	for _, name := range []string{"index.db", audit.KeyFile} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// editDB runs statements on a store's database file (the hub is closed).
func editDB(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func runAuditCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runAudit(context.Background(), args, &out, &errb)
	return code, out.String() + errb.String()
}

// TestAuditVerifyCatchesTampering_R_V9 (issue 13 point 2): `chathub audit
// verify` passes the log a hub wrote, and names the first entry edited,
// removed, reordered or inserted, and the tail cut off, each made by
// editing the real SQLite file after the hub closed it; it exits 1.
func TestAuditVerifyCatchesTampering_R_V9(t *testing.T) {
	dir, ckDir, size := auditStore(t)
	if size < 18 {
		t.Fatalf("the hub audited %d entries; want 2 logins, 8 searches, a stored file and 7 accesses", size)
	}
	code, out := runAuditCmd(t, "verify", "--store", dir, "--checkpoints", ckDir)
	if code != 0 || !strings.Contains(out, "OK: ") {
		t.Fatalf("clean log: exit %d\n%s", code, out)
	}
	ents, _ := os.ReadDir(ckDir)
	if len(ents) != 2 {
		t.Fatalf("%d checkpoints copied to audit.checkpoint_dir, want 2 (mid-way and at close)", len(ents))
	}
	// What the hub audited, in order and in canonical form.
	db, err := sqlite.OpenReadOnly(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []audit.Entry
	var hashes []tlog.Hash
	if err := db.ScanAudit(context.Background(), 0, func(l store.AuditLeaf) error {
		e, err := audit.ParseEntry(l.Entry)
		entries, hashes = append(entries, e), append(hashes, l.Hash)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if e := entries[0]; e.Action != audit.ActionLogin || e.User != "ada" || e.Role != "agent" || e.From != "192.0.2.7" || e.Outcome != "ok" {
		t.Fatalf("entry 0: %+v", e)
	}
	if e := entries[1]; e.Action != audit.ActionLogin || e.Outcome != "denied" || e.From != "192.0.2.8" {
		t.Fatalf("entry 1: %+v", e)
	}
	if e := entries[2]; e.Action != store.ActionSearch || e.User != "sue" || e.Role != "supervisor" || e.Query == "" {
		t.Fatalf("entry 2: %+v", e)
	}
	if e := entries[10]; e.Action != audit.ActionStored || e.SHA256 != strings.Repeat("ab", 32) || e.Recording != "rec-1" ||
		e.Customer != "cust-9" || !strings.Contains(string(e.Metadata), `"metadata":{"a":{"b":[1,2],"y":"x"},"z":1}`) {
		t.Fatalf("entry 10 (the stored file): %+v %s", e, e.Metadata)
	}
	if e := entries[12]; e.Action != store.ActionPlay || e.Reason != "QA-1" || e.Prev != hex.EncodeToString(hashes[11][:]) {
		t.Fatalf("entry 12: %+v", e)
	}

	forged := audit.Entry{Action: store.ActionView, At: entries[4].At, User: "mallory", Role: "admin", Outcome: "ok", Seq: 4,
		Prev: hex.EncodeToString(hashes[3][:])}
	fb, err := forged.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	fh := tlog.RecordHash(fb)
	for _, c := range []struct {
		name  string
		stmts []string
		want  string
	}{
		{"edited", []string{`UPDATE audit_leaves SET entry = CAST(replace(CAST(entry AS TEXT), '"user":"sue"', '"user":"bob"') AS BLOB) WHERE n = 5`},
			"edited: entry 5 was edited"},
		{"edited last", []string{`UPDATE audit_leaves SET entry = CAST(replace(CAST(entry AS TEXT), '"action":"view"', '"action":"search"') AS BLOB) WHERE n = (SELECT MAX(n) FROM audit_leaves)`},
			"edited: entry " + itoa(size-1) + " was edited"},
		{"removed", []string{`DELETE FROM audit_leaves WHERE n = 5`}, "removed: entry 5 was removed"},
		{"removed and renumbered", []string{`DELETE FROM audit_leaves WHERE n = 5`, `UPDATE audit_leaves SET n = -(n - 1) WHERE n > 5`,
			`UPDATE audit_leaves SET n = -n WHERE n < 0`}, "removed: entry 5 was removed"},
		{"swapped", []string{`UPDATE audit_leaves SET n = -1 WHERE n = 3`, `UPDATE audit_leaves SET n = 3 WHERE n = 4`,
			`UPDATE audit_leaves SET n = 4 WHERE n = -1`}, "reordered: entries 3 and 4 were swapped"},
		{"inserted", []string{`UPDATE audit_leaves SET n = -(n + 1) WHERE n >= 4`, `UPDATE audit_leaves SET n = -n WHERE n < 0`,
			`INSERT INTO audit_leaves (n, hash, entry) VALUES (4, x'` + hex.EncodeToString(fh[:]) + `', CAST('` + string(fb) + `' AS BLOB))`},
			"inserted: the entry at position 4 was inserted"},
		{"truncated", []string{`DELETE FROM audit_leaves WHERE n >= ` + itoa(size-3)},
			"truncated: entries " + itoa(size-3) + " to " + itoa(size-1) + " are missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := copyStore(t, dir)
			editDB(t, d, c.stmts...)
			code, out := runAuditCmd(t, "verify", "--store", d)
			if code != 1 || !strings.Contains(out, "TAMPERED") {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			first := strings.SplitN(out, "\n", 3)[1]
			if !strings.Contains(first, c.want) {
				t.Fatalf("the first finding is %q, want %q:\n%s", first, c.want, out)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestAuditRewriteCaughtByCheckpointElsewhere_R_V9 (issue 13 point 2): an
// attacker with the store folder, key and all, rewrites the whole log
// consistently (one entry changed, every hash and checkpoint recomputed
// and re-signed): the store alone verifies, but a checkpoint copied
// elsewhere before the rewrite exposes it.
func TestAuditRewriteCaughtByCheckpointElsewhere_R_V9(t *testing.T) {
	dir, ckDir, size := auditStore(t)
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []audit.Entry
	if err := db.ScanAudit(ctx, 0, func(l store.AuditLeaf) error {
		e, err := audit.ParseEntry(l.Entry)
		entries = append(entries, e)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	editDB(t, dir, `DELETE FROM audit_leaves`, `DELETE FROM audit_hashes`, `DELETE FROM audit_checkpoints`)
	db, err = sqlite.Open(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile), audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(ctx, db, audit.Options{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	entries[0].From = "10.9.9.9" // the login now seems to come from elsewhere
	for _, e := range entries {
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, out := runAuditCmd(t, "verify", "--store", dir); code != 0 {
		t.Fatalf("the rewritten store alone: exit %d (it is self-consistent)\n%s", code, out)
	}
	code, out := runAuditCmd(t, "verify", "--store", dir, "--checkpoints", ckDir)
	if code != 1 || !strings.Contains(out, "rewritten: the log's first") || !strings.Contains(out, "signed for a tree of "+itoa(size)) {
		t.Fatalf("against the checkpoints kept elsewhere: exit %d, want 1 and the rewrite named\n%s", code, out)
	}
}

// TestAuditProofOffline_R_V9 (issue 13 point 2): `chathub audit prove`
// writes an inclusion proof that `check-proof` verifies with the verifier
// key alone; a proof whose entry was changed, or checked with another key,
// fails with exit 1.
func TestAuditProofOffline_R_V9(t *testing.T) {
	dir, ckDir, _ := auditStore(t)
	code, vkey := runAuditCmd(t, "key", "--store", dir)
	vkey = strings.TrimSpace(vkey)
	if code != 0 || !strings.HasPrefix(vkey, audit.DefaultKeyName+"+") {
		t.Fatalf("key: %d %q", code, vkey)
	}
	if fi, err := os.Stat(filepath.Join(dir, audit.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the key file: %v %v", fi, err)
	}
	proof := filepath.Join(t.TempDir(), "proof.json")
	if code, out := runAuditCmd(t, "prove", "--store", dir, "--out", proof, "10"); code != 0 {
		t.Fatalf("prove: %d %s", code, out)
	}
	code, out := runAuditCmd(t, "check-proof", proof, "--key", vkey)
	if code != 0 || !strings.Contains(out, "OK: entry 10 is in the tree") || !strings.Contains(out, "sha256 "+strings.Repeat("ab", 32)) {
		t.Fatalf("check-proof: %d %s", code, out)
	}
	b, _ := os.ReadFile(proof)
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, bytes.Replace(b, []byte(`abab`), []byte(`abac`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runAuditCmd(t, "check-proof", bad, "--key", vkey); code != 1 || !strings.Contains(out, "not in the signed tree") {
		t.Fatalf("a changed entry: exit %d, want 1\n%s", code, out)
	}
	_, other, _ := note.GenerateKey(nil, audit.DefaultKeyName)
	if code, out := runAuditCmd(t, "check-proof", proof, "--key", other); code != 1 {
		t.Fatalf("another key: exit %d, want 1\n%s", code, out)
	}
	// By the id of what it audits (the stored file's), and with the
	// store and the checkpoint folder taken from the hub's config.
	db, err := sqlite.OpenReadOnly(filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	var fileID string
	_ = db.ScanAudit(context.Background(), 10, func(l store.AuditLeaf) error {
		e, _ := audit.ParseEntry(l.Entry)
		fileID = e.ID
		return io.EOF
	})
	db.Close()
	cfg := filepath.Join(t.TempDir(), "chathub.yaml")
	yml := strings.Replace(string(configs.ChatHub), "  dir: agentdesk-store", "  dir: "+dir, 1)
	yml = strings.Replace(yml, "  # checkpoint_dir: /mnt/elsewhere/agentdesk-checkpoints", "  checkpoint_dir: "+ckDir, 1)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out = runAuditCmd(t, "prove", "--config", cfg, fileID)
	if code != 0 || !strings.Contains(out, `"index": 10,`) {
		t.Fatalf("prove by the file's id %s: %d %s", fileID, code, out)
	}
	if code, out := runAuditCmd(t, "verify", "--config", cfg); code != 0 || !strings.Contains(out, "consistent with 4 signed checkpoints") {
		t.Fatalf("verify --config (the store's 2 checkpoints and the folder's 2): %d %s", code, out)
	}
	if code, _ := runAuditCmd(t, "verify", "--store", filepath.Join(dir, "nope")); code != 3 {
		t.Fatalf("a missing store: exit %d, want 3", code)
	}
	if code, _ := runAuditCmd(t, "prove", "--store", dir, "x"); code != 2 {
		t.Fatalf("a bad entry number: exit %d, want 2", code)
	}
}

// TestAuditDocScripts (issue 13 point 2): the Go program and the Python
// script in docs/audit.md check a proof the hub made, and refuse it with
// another entry's index.
func TestAuditDocScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(lang string) string {
		_, rest, ok := strings.Cut(string(doc), "\n```"+lang+"\n// checkproof")
		if !ok && lang == "python" {
			_, rest, ok = strings.Cut(string(doc), "\n```python\n")
		} else if ok {
			rest = "// checkproof" + rest
		}
		body, _, ok2 := strings.Cut(rest, "\n```\n")
		if !ok || !ok2 {
			t.Fatalf("no %s script in docs/audit.md", lang)
		}
		return body + "\n"
	}
	dir, _, _ := auditStore(t)
	_, vkey := runAuditCmd(t, "key", "--store", dir)
	vkey = strings.TrimSpace(vkey)
	tmp := t.TempDir()
	proof, bad := filepath.Join(tmp, "proof.json"), filepath.Join(tmp, "bad.json")
	if code, out := runAuditCmd(t, "prove", "--store", dir, "--out", proof, "13"); code != 0 {
		t.Fatal(out)
	}
	b, _ := os.ReadFile(proof)
	if err := os.WriteFile(bad, bytes.Replace(b, []byte(`"index": 13`), []byte(`"index": 12`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	// The Go program, built inside this module (it requires x/mod).
	src := filepath.Join("testdata", "checkproof-"+filepath.Base(tmp))
	if err := os.MkdirAll(src, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(src) })
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(block("go")), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "checkproof")
	if out, err := exec.Command("go", "build", "-o", bin, "./"+src).CombinedOutput(); err != nil {
		t.Fatalf("the Go program does not build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, vkey, proof).CombinedOutput(); err != nil || !strings.Contains(string(out), "OK: entry 13") {
		t.Fatalf("the Go program: %v %s", err, out)
	}
	if out, err := exec.Command(bin, vkey, bad).CombinedOutput(); err == nil {
		t.Fatalf("the Go program checked a proof with the wrong index: %s", out)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("no python3: the Python script is not run")
		return
	}
	script := filepath.Join(tmp, "checkproof.py")
	if err := os.WriteFile(script, []byte(block("python")), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, script, proof).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "OK entry 13") {
		t.Fatalf("the Python script: %v %s", err, out)
	}
	if out, err := exec.Command(py, script, bad).CombinedOutput(); err == nil {
		t.Fatalf("the Python script checked a proof with the wrong index: %s", out)
	}
}
