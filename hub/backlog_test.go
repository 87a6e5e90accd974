package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session/upload"
)

// TestUploadBacklog: the dashboard's upload backlog per desktop (issue 12
// point 7) is what the hub holds unfinished: started uploads with the
// bytes still to come, per agent, the oldest first; a finished upload
// leaves it.
func TestUploadBacklog(t *testing.T) {
	s, base, _ := startStoreHub(t, nil)
	ctx := testCtx(t, wait)
	if b, err := s.Backlog(ctx); err != nil || len(b) != 0 {
		t.Fatalf("an empty store's backlog: %+v %v", b, err)
	}
	before := time.Now().Add(-time.Second)
	meta := func(chat string) map[string]string {
		return map[string]string{upload.MetaFilename: chat + ".webm", upload.MetaInteraction: chat,
			upload.MetaSHA256: strings.Repeat("ab", 32)}
	}
	ada := newTusClient(base, "t-ada")
	loc1, resp, body, err := ada.create(ctx, 1000, meta("c-1"))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %s", err, body)
	}
	if resp, body, err := ada.patch(ctx, loc1, 0, 300, bytes.NewReader(make([]byte, 300))); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("patch: %v %s", err, body)
	}
	if _, resp, body, err := ada.create(ctx, 50, meta("c-2")); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %s", err, body)
	}
	grace := newTusClient(base, "t-grace")
	zeros := sha256.Sum256(make([]byte, 10))
	m3 := meta("c-3")
	m3[upload.MetaSHA256] = hex.EncodeToString(zeros[:])
	loc3, resp, body, err := grace.create(ctx, 10, m3)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %s", err, body)
	}
	b, err := s.Backlog(ctx)
	if err != nil || len(b) != 2 {
		t.Fatalf("backlog: %+v %v", b, err)
	}
	if b[0].Agent != "ada" || b[0].Uploads != 2 || b[0].Pending != 700+50 || b[0].Received != 300 || b[0].Oldest.Before(before) || b[0].LastMoved.Before(b[0].Oldest) {
		t.Errorf("ada's backlog: %+v", b[0])
	}
	if b[1].Agent != "grace" || b[1].Uploads != 1 || b[1].Pending != 10 {
		t.Errorf("grace's backlog: %+v", b[1])
	}
	if resp, body, err := grace.patch(ctx, loc3, 0, 10, bytes.NewReader(make([]byte, 10))); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("patch: %v %s", err, body)
	}
	if b, _ := s.Backlog(ctx); len(b) != 1 || b[0].Agent != "ada" {
		t.Errorf("after grace's upload finished: %+v", b)
	}
}
