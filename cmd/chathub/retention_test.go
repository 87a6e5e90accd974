package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// TestRetentionCommands_R_V6: chathub retention and hold ask a real hub
// on loopback (its SQLite store holding a recording finished three years
// ago): the dry run lists it with its rule and changes nothing; a hold
// placed on it stops an erasure (exit 1, the hold named) and the run's
// purge; lifted, the run purges it. A quality manager's token is refused.
func TestRetentionCommands_R_V6(t *testing.T) {
	dir := t.TempDir()
	tokens := map[string]string{}
	h := hubtest.Shipped(t, dir, func(c *hub.Config) {
		for i, u := range c.Users {
			if u.ID == "cora" || u.ID == "quinn" {
				tok, sum, err := auth.NewToken()
				if err != nil {
					t.Fatal(err)
				}
				tokens[u.ID] = tok
				c.Users[i].Tokens = append(c.Users[i].Tokens, auth.UserToken{Name: "cli", SHA256: sum})
			}
		}
		c.Retention.Rules = retention.Rules{{Name: "three-years", Age: retention.Age(2 * retention.Year), Action: retention.Purge}}
	})
	ctx := context.Background()
	done := time.Now().UTC().Add(-3 * retention.Year)
	if err := h.Store().Apply(ctx, &store.Batch{
		Chats: []store.Chat{{ID: "c-old", Seq: 900, Queue: "general", State: session.Done, Created: done, EndedAt: done}},
		Recordings: []store.Recording{{ID: "r-old", Interaction: "c-old", Queue: "general", Agent: "ada", Kind: "auto", State: "final",
			Delivery: "store", Produced: true, FinishedAt: done}},
	}); err != nil {
		t.Fatal(err)
	}
	f := store.File{Name: "r-old.webm", Path: "r-old.webm", SHA256: strings.Repeat("ab", 32), Size: 3, Interaction: "c-old", Recording: "r-old", Agent: "ada", Kind: "auto"}
	if err := os.WriteFile(filepath.Join(dir, "files", f.Path), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.Store().PutFile(ctx, &f); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	tokFile := func(user string) string {
		p := filepath.Join(t.TempDir(), user+".token")
		if err := os.WriteFile(p, []byte(tokens[user]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cora, quinn := tokFile("cora"), tokFile("quinn")
	chathub := func(code int, want string, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		got := run(ctx, args, &out, &errb)
		all := out.String() + errb.String()
		if got != code || !strings.Contains(all, want) {
			t.Fatalf("chathub %s: exit %d, %q; want %d with %q", strings.Join(args, " "), got, all, code, want)
		}
		return all
	}
	hubFlag := []string{"--hub", srv.URL}
	with := func(args ...string) []string { return append(args, hubFlag...) }

	chathub(0, "Usage:", "retention", "--help")
	chathub(2, "no token", with("retention", "run", "--dry-run")...)
	chathub(1, "compliance officer's or an admin's", with("retention", "run", "--dry-run", "--token-file", quinn)...)
	out := chathub(0, "would be done (dry run", with("retention", "run", "--dry-run", "--token-file", cora)...)
	if !strings.Contains(out, "r-old") || !strings.Contains(out, "three-years") || !strings.Contains(out, "1 to purge") {
		t.Fatalf("dry run: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "files", f.Path)); err != nil {
		t.Fatalf("the dry run deleted the file: %v", err)
	}
	out = chathub(0, "placed", with("hold", "place", "--recording", "r-old", "--reason", "subpoena 7", "--token-file", cora)...)
	holdID := strings.Fields(out)[2]
	chathub(0, holdID, with("hold", "list", "--token-file", cora)...)
	chathub(1, "on_hold: the recording is under legal hold "+holdID, with("retention", "erase", "r-old", "--reason", "GDPR", "--token-file", cora)...)
	chathub(0, "skipped: on legal hold "+holdID, with("retention", "run", "--token-file", cora)...)
	chathub(0, "lifted", with("hold", "lift", holdID, "--reason", "withdrawn", "--token-file", cora)...)
	chathub(0, "1 to purge done", with("retention", "run", "--token-file", cora)...)
	if _, err := os.Stat(filepath.Join(dir, "files", f.Path)); !os.IsNotExist(err) {
		t.Fatalf("purged, yet the file is there: %v", err)
	}
	chathub(3, "is it running?", "retention", "run", "--hub", "http://127.0.0.1:1", "--token-file", cora)
}
