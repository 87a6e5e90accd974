package main

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/ui"
)

// Issue 13 point 7 (R-C7): the panel's store on a real hub carries how far
// each recording's e-mail to the agent got: "not sent" and why when the
// hub has no address for the agent, "sending" with its tries while the
// mail server cannot be reached.
func TestMyRecordingsMailOnRealHub_R_C7(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a mail server that is not there
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	h := hubtest.Shipped(t, t.TempDir(), func(c *hub.Config) {
		c.Mail = hub.MailConfig{SMTP: dead, From: "noreply@example.org", AllowPlain: true, RetryWait: time.Hour}
		for i := range c.Agents {
			if c.Agents[i].ID == "grace" {
				c.Agents[i].Email = "grace@example.org"
			}
		}
	})
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, agent := range []string{"ada", "grace"} {
		r := store.Recording{ID: "chat-" + agent + "-record-1", Interaction: "chat-" + agent, Queue: "general", Customer: "Ann", Agent: agent,
			Kind: "record", State: "stopped", Delivery: "agent", Produced: true, FinishedAt: at, Parts: []session.Part{{Start: at.Add(-time.Minute), End: at}}}
		if err := h.Store().Apply(t.Context(), &store.Batch{Recordings: []store.Recording{r}}); err != nil {
			t.Fatal(err)
		}
		f := store.File{Name: r.ID + ".webm", Path: r.ID + ".webm", SHA256: strings.Repeat("ab", 32), Size: 1000,
			Interaction: r.Interaction, Recording: r.ID, Agent: agent, Kind: "record"}
		if err := h.Store().PutFile(t.Context(), &f); err != nil {
			t.Fatal(err)
		}
	}
	page := func(token string) ui.StoredRecording {
		t.Helper()
		mr, err := newMyRecordings(srv.URL, token, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := mr.Page(t.Context(), "")
		if err != nil || len(p.Recordings) != 1 {
			t.Fatalf("page: %+v %v", p, err)
		}
		return p.Recordings[0]
	}
	if r := page("demo-token-ada"); r.Mail == nil || r.Mail.State != ui.MailNotSent || !strings.Contains(r.Mail.Why, "no e-mail address") {
		t.Fatalf("ada's recording: mail %+v", r.Mail)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := page("demo-token-grace")
		if m := r.Mail; m != nil && m.State == ui.MailSending && m.Tries == 1 && m.Why == "the mail server cannot be reached" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grace's recording: mail %+v, want sending after one try", r.Mail)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
