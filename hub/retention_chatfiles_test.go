package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/retention"
)

// TestChatFilesGoWithTheLastRecording_R_I6_R_V6: the files sent in a chat
// are part of its recordings (R-I6): a compliance erasure of the chat's
// last recording, or a retention purge of it, deletes them too, with a
// tombstone in the audit (their hash, never their bytes); another chat's
// files stay.
func TestChatFilesGoWithTheLastRecording_R_I6_R_V6(t *testing.T) {
	var toks map[string]string
	s, base, dir := startStoreHub(t, func(c *Config) {
		toks = retentionUsers(t, c)
		c.Retention.Rules = retention.Rules{{Name: "old", Age: retention.Age(2 * retention.Year), Action: retention.Purge}}
	})
	erased := &backdated{id: "r-erased", chat: "chat-901", kind: "auto", queue: "general", age: retention.Day}
	purged := &backdated{id: "r-purged", chat: "chat-902", kind: "auto", queue: "general", age: 3 * retention.Year}
	kept := &backdated{id: "r-kept", chat: "chat-903", kind: "auto", queue: "general", age: retention.Day}
	seedRecordings(t, s, dir, []*backdated{erased, purged, kept})
	file := func(chat string) (string, string) {
		t.Helper()
		data := []byte("a receipt sent in " + chat)
		sum := sha256.Sum256(data)
		p := filepath.Join(dir, "chatfiles", chat, hex.EncodeToString(sum[:]))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p, hex.EncodeToString(sum[:])
	}
	erasedFile, erasedSum := file("chat-901")
	purgedFile, purgedSum := file("chat-902")
	keptFile, _ := file("chat-903")

	if code, body := apiDo(t, "DELETE", base+"/v1/recordings/r-erased", toks["cora"], `{"reason":"GDPR art. 17 request 40"}`); code != 200 {
		t.Fatalf("erase: %d %s", code, body)
	}
	if exists(erasedFile) {
		t.Error("the chat's file outlived the erasure of its only recording")
	}
	if code, body := apiDo(t, "POST", base+"/v1/retention/run", toks["cora"], `{}`); code != 200 {
		t.Fatalf("retention run: %d %s", code, body)
	}
	if exists(purgedFile) {
		t.Error("the chat's file outlived the purge of its only recording")
	}
	if !exists(keptFile) {
		t.Error("a chat's file went with nothing erased")
	}
	stones := map[string]bool{}
	for _, e := range auditOf(t, s, ActionErase)[ActionErase] {
		stones[e.SHA256] = true
		if strings.Contains(string(e.Metadata), "a receipt") {
			t.Errorf("the audit holds a file's bytes: %+v", e)
		}
	}
	for _, sum := range []string{erasedSum, purgedSum} {
		if !stones[sum] {
			t.Errorf("no tombstone in the audit for chat file %s", sum)
		}
	}
}
