package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestChatFilesFollowTheRecording_R_H6: the files sent in a chat are part
// of its recordings (R-I6), so when the recordings must not exist (R-H6:
// the agent confirmed the customer's deletion request, or the customer
// declined consent) the files go too: off the disk, no longer
// downloadable, a tombstone each (its SHA-256, never its content). A file
// sent after the erasure still reaches the agent while the chat runs and
// is gone when the chat is done.
func TestChatFilesFollowTheRecording_R_H6(t *testing.T) {
	for _, tc := range []struct {
		name    string
		consent bool // the queue asks for consent and the customer says No
		by      string
	}{
		{"R-H6 deletion confirmed", false, "agent ada"},
		{"R-H6 consent declined", true, "customer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, base := startHub(t, partyConfig(func(c *Config) {
				c.Store.Dir = dir
				c.Queues[0].AskConsent = tc.consent
			}))
			httpBase := "http" + strings.TrimPrefix(base, "ws")
			ada, cust, chat := partyChat(t, base)
			resume := joinedResume(t, cust)
			send := func(name string) string {
				t.Helper()
				code, body := postFile(t, httpBase, chat, resume, name, pngBytes)
				var ans session.FileAnswer
				if code != http.StatusCreated || json.Unmarshal(body, &ans) != nil || ans.Line.File == nil {
					t.Fatalf("send %s: %d %s", name, code, body)
				}
				fileLineOf(ada)
				return ans.Line.File.ID
			}
			download := func(id string) int {
				t.Helper()
				code, _ := apiDo(t, http.MethodGet, httpBase+"/v1/chats/"+chat+"/files/"+id, "t-ada", "")
				return code
			}
			id := send("receipt.png")
			if code := download(id); code != http.StatusOK {
				t.Fatalf("before the erasure: %d", code)
			}
			if tc.consent {
				cust.send(session.TypeConsent, chat, session.ConsentData{Yes: false})
			} else {
				cust.send(session.TypeDeleteAsk, chat, nil)
				recFrame(ada)
				ada.send(session.TypeDeleteRec, chat, nil)
			}
			for d := recFrame(ada); tc.consent != (d.Consent == "no") || !tc.consent && !d.Deleted; d = recFrame(ada) {
			}
			folder := filepath.Join(dir, "chatfiles", chat)
			if _, err := os.Stat(filepath.Join(folder, id)); !os.IsNotExist(err) {
				t.Fatalf("%s: the chat's file is still on disk: %v", tc.name, err)
			}
			if code := download(id); code != http.StatusNotFound {
				t.Fatalf("%s: the erased file answers %d", tc.name, code)
			}
			s.j.sync()
			stones, err := s.st.Tombstones(context.Background(), chat)
			found := false
			for _, st := range stones {
				found = found || st.SHA256 == id && st.By == tc.by && st.Size == int64(len(pngBytes)) && st.Why != ""
			}
			if err != nil || !found {
				t.Fatalf("%s: no tombstone for the chat's file: %+v %v", tc.name, stones, err)
			}
			later := send("later.png")
			if code := download(later); code != http.StatusOK {
				t.Fatalf("a file sent after the erasure does not reach the agent: %d", code)
			}
			finishChat(t, ada, chat)
			if ents, err := os.ReadDir(folder); err == nil && len(ents) > 0 {
				t.Fatalf("%s: files left when the chat is done: %v", tc.name, ents)
			}
		})
	}
}
