package hubclient

import (
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/hubtest"
)

// Issue 13 point 7, R-C7: My Recordings' list carries how far each of the
// agent's ad hoc recordings got on its way to them by e-mail, from a real
// hub: "not sent" and why for an agent the hub has no address for;
// "sending" with its tries while the mail server cannot be reached;
// nothing for a recording whose file is not stored yet.
func TestMyRecordingsMailState_R_C7(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a mail server that is not there: the port is closed again
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "identity.age")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Shipped(t, t.TempDir(), func(c *hub.Config) {
		c.Store.IdentityFile = idFile
		c.Mail = hub.MailConfig{SMTP: dead, From: "noreply@example.org", AllowPlain: true, RetryWait: time.Hour}
		for i := range c.Agents {
			if c.Agents[i].ID == "grace" {
				c.Agents[i].Email = "grace@example.org"
			}
		}
	})
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	s := &storeHub{url: srv.URL, h: h, rcpt: id.Recipient().String()}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.finished(t, "chat-1-record-1", "chat-1", "ada", "record", "Rita", at, time.Minute)
	s.finished(t, "chat-2-record-1", "chat-2", "ada", "record", "Sam", at.Add(time.Hour), time.Minute)
	s.finished(t, "chat-3-record-1", "chat-3", "grace", "record", "Tom", at, time.Minute)
	s.upload(t, "ada", "chat-1-record-1", "chat-1", "rita.webm", randomBytes(t, 1000), true)
	s.upload(t, "grace", "chat-3-record-1", "chat-3", "tom.webm", randomBytes(t, 1000), true)

	page, err := newStoreClient(t, s.url, "demo-token-ada").MyRecordings(t.Context(), "", 0)
	if err != nil || len(page.Recordings) != 2 {
		t.Fatalf("ada's list: %+v %v", page, err)
	}
	for _, r := range page.Recordings {
		switch r.ID {
		case "chat-1-record-1":
			if r.Mail == nil || r.Mail.State != MailNotSent || !strings.Contains(r.Mail.Why, "no e-mail address") {
				t.Errorf("%s: mail %+v, want not sent for want of an address", r.ID, r.Mail)
			}
		case "chat-2-record-1":
			if r.Mail != nil {
				t.Errorf("%s has no file yet, but mail %+v", r.ID, r.Mail)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := newStoreClient(t, s.url, "demo-token-grace").MyRecordings(t.Context(), "", 0)
		if err != nil || len(page.Recordings) != 1 {
			t.Fatalf("grace's list: %+v %v", page, err)
		}
		m := page.Recordings[0].Mail
		if m != nil && m.State == MailSending && m.Tries == 1 && m.Why == "the mail server cannot be reached" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grace's recording: mail %+v, want sending after one failed try", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
