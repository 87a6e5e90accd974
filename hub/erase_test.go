package hub

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/upload"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// chatFile is an upload of a recording of chat by grace.
func chatFile(t *testing.T, chat, name string) *testFile {
	t.Helper()
	f, err := newTestFile(filepath.Join(t.TempDir(), name), randomBytes(t, 64<<10), map[string]string{
		upload.MetaFilename: name + ".webm.age", upload.MetaRecording: chat + "-record-1", upload.MetaInteraction: chat, upload.MetaAgent: "grace"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDeletedRecordingLeavesNothing_R_H6: a part of a recording already
// uploaded (a desktop that quit with the recording live uploads what it
// had) is deleted from the store when the agent confirms the customer's
// deletion request: the file, its index row and any unfinished upload of
// the chat; a tombstone says what, when and who, never the content. Any
// upload of the chat that comes later is refused with 410, and the
// desktop's queue then deletes its own copy; other chats are untouched.
func TestDeletedRecordingLeavesNothing_R_H6(t *testing.T) {
	dir := t.TempDir()
	r := recHub(t, func(c *Config) { c.Store.Dir = dir })
	ctx := testCtx(t, 30*time.Second)
	grace := newTusClient(r.http, "t-grace")
	r.press(t, "record")
	r.say(t, "my card number is 4111")
	early := chatFile(t, r.chat, "early")
	id, err := grace.send(ctx, early, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := chatFile(t, "chat-other", "other")
	otherID, err := grace.send(ctx, other, time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	partial := chatFile(t, r.chat, "partial")
	loc, resp, _, err := grace.create(ctx, partial.size, partial.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v", resp, err)
	}
	if resp, _, err := grace.patch(ctx, loc, 0, 1000, bytes.NewReader(make([]byte, 1000))); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("patch: %v %v", resp, err)
	}

	r.cust.send(session.TypeDeleteAsk, r.chat, nil)
	recFrame(r.g)
	r.g.send(session.TypeDeleteRec, r.chat, nil)
	if d := recFrame(r.g); !d.Deleted {
		t.Fatalf("after delete: %+v", d)
	}
	if code, _ := apiDo(t, http.MethodGet, r.http+"/v1/files/"+id, "t-sue", ""); code != http.StatusNotFound {
		t.Fatalf("the deleted file answers %d, want 404", code)
	}
	if got := storedFiles(t, dir); len(got) != 1 || !strings.Contains(got[0], "other") {
		t.Fatalf("files on disk after the deletion: %v, want only the other chat's", got)
	}
	if _, st, _ := grace.head(ctx, loc); st != http.StatusNotFound {
		t.Fatalf("the chat's unfinished upload: HEAD %d, want 404", st)
	}
	if code, _ := apiDo(t, http.MethodGet, r.http+"/v1/files/"+otherID, "t-sue", ""); code != http.StatusOK {
		t.Fatalf("another chat's file answers %d", code)
	}
	r.s.j.sync()
	stones, err := r.s.st.Tombstones(ctx, r.chat)
	if err != nil || len(stones) != 1 || stones[0].File != id || stones[0].SHA256 != early.sha || stones[0].By != "agent grace" ||
		stones[0].Why != session.ErrDeleted.Error() {
		t.Fatalf("tombstones %+v %v", stones, err)
	}
	// A part that comes later is refused for good: 410, in words.
	late := chatFile(t, r.chat, "late")
	_, resp, body, err := grace.create(ctx, late.size, late.meta)
	if err != nil || resp.StatusCode != http.StatusGone || !strings.Contains(string(body), "must not exist") {
		t.Fatalf("a later upload: %v %s %v, want 410", resp, body, err)
	}
	// Through the desktop's own queue: the copy is deleted, never stored.
	r.finish(t) // and after the chat is done, from the store's word
	qdir, src := t.TempDir(), t.TempDir()
	sink, err := hubsink.New(r.http, "t-grace", hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := uploader.Open(qdir, uploader.Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	path := filepath.Join(src, "recovered.webm.age")
	if err := os.WriteFile(path, []byte("a recording that must not exist"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, path, uploader.Manifest{Version: 1, Recording: r.chat + "-record-1", Interaction: r.chat, Agent: "grace"}); err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go q.Run(qctx)
	for {
		snap := q.Snapshot()
		if len(snap) == 1 && snap[0].State == uploader.StateDeleted {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the queue's item: %+v", snap)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := storedFiles(t, dir); len(got) != 1 {
		t.Fatalf("files on disk at the end: %v", got)
	}
	if l := r.stored(t); len(l.Recordings) != 0 || len(l.Dropped) != 1 {
		t.Fatalf("listed %+v", l)
	}
}

// TestDeclinedConsentRefusesUploads_R_H6: a No to the consent question
// refuses every upload of the chat.
func TestDeclinedConsentRefusesUploads_R_H6(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Store.Dir = t.TempDir(); c.Queues[0].AskConsent = true })
	r.cust.send(session.TypeConsent, r.chat, session.ConsentData{Yes: false})
	recFrame(r.g)
	f := chatFile(t, r.chat, "declined")
	_, resp, _, err := newTusClient(r.http, "t-grace").create(testCtx(t, wait), f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusGone {
		t.Fatalf("an upload after a No: %v %v, want 410", resp, err)
	}
}
