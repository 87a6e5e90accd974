package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/internal/smtptest"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/upload"
)

// mailHub is a hub on loopback whose ad hoc recordings are e-mailed over a
// real SMTP server on loopback (STARTTLS with a test CA, AUTH PLAIN), its
// store sealed with an age identity it holds, Grace with an address.
func mailHub(t *testing.T, srv *smtptest.Server, dir string, mutate func(*Config)) (*recSetup, *age.X25519Identity, func(*Config)) {
	t.Helper()
	id, idFile := identityFile(t)
	pass := filepath.Join(t.TempDir(), "smtp.pass")
	if err := os.WriteFile(pass, []byte(smtptest.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func(c *Config) {
		c.Store.Dir, c.Store.IdentityFile = dir, idFile
		c.Mail = MailConfig{SMTP: srv.Addr, From: "Contact centre <noreply@example.org>", Username: "hub", PasswordFile: pass,
			CAFile: srv.CAFile, AttachMax: 200 << 10, AppURL: "https://hub.example.org/", RetryWait: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond}
		c.Agents[1].Email = "grace@example.org"
		if mutate != nil {
			mutate(c)
		}
	}
	return recHub(t, cfg), id, cfg
}

// recordAndUpload makes an ad hoc recording in the current chat, ends the
// chat and uploads the recording's file, sealed, as the desktop would:
// the recording's id and the plaintext.
func (r *recSetup) recordAndUpload(t *testing.T, id *age.X25519Identity, size int) (string, []byte) {
	t.Helper()
	r.press(t, "record")
	r.say(t, "please send me the recording")
	r.finish(t)
	l := r.stored(t)
	if len(l.Recordings) != 1 || l.Recordings[0].Kind != "record" {
		t.Fatalf("recordings of %s: %+v", r.chat, l.Recordings)
	}
	rec := l.Recordings[0].ID
	plain := randomBytes(t, size)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), ageFile(t, id, plain), map[string]string{
		upload.MetaFilename: rec + ".webm.age", upload.MetaRecording: rec, upload.MetaInteraction: r.chat, upload.MetaAgent: "grace"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTusClient(r.http, "t-grace").send(testCtx(t, 30*time.Second), f, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	return rec, plain
}

// mailOf waits for the agent's view of a recording's e-mail to pass ok.
func (r *recSetup) mailOf(t *testing.T, rec string, ok func(MailState) bool) MailState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := apiDo(t, http.MethodGet, r.http+"/v1/recordings?kind=record", "t-grace", "")
		var l RecordingList
		if code != http.StatusOK || json.Unmarshal(body, &l) != nil {
			t.Fatalf("grace's recordings: %d %s", code, body)
		}
		if m, found := l.Mail[rec]; found && ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail of %s: %+v, not yet as wanted", rec, l.Mail[rec])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mailAudit is the audit log's mail entries of a recording, as
// "outcome attempt".
func mailAudit(t *testing.T, s *Server, rec string) []string {
	t.Helper()
	var out []string
	if err := s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		if e.Action == ActionMail && e.Recording == rec {
			var m struct{ Attempt int }
			_ = json.Unmarshal(e.Metadata, &m)
			out = append(out, fmt.Sprintf("%s %d %s", e.Outcome, m.Attempt, e.User))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdHocRecordingMailedToAgent_R_C7 (issue 13 point 7): an ad hoc
// recording, once its file is stored, reaches the agent who made it by
// e-mail over STARTTLS with AUTH: the attachment, parsed as MIME, is
// byte-identical to the recording (decrypted by the hub: the agent may
// open their own); the mail server away, then back: sent after retries,
// each attempt audited; a file over mail.attach_max goes as a link to its
// page in the web app, with no token in it. My Recordings' API says sent.
func TestAdHocRecordingMailedToAgent_R_C7(t *testing.T) {
	t.Parallel()
	srv := smtptest.StartTLS(t)
	r, id, _ := mailHub(t, srv, t.TempDir(), nil)

	rec, plain := r.recordAndUpload(t, id, 100<<10)
	m := r.mailOf(t, rec, func(m MailState) bool { return m.State == MailSent })
	if m.Sent.IsZero() || m.Tries != 1 || m.Link {
		t.Fatalf("mail state %+v", m)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "hub" || msgs[0].To[0] != "grace@example.org" {
		t.Fatalf("messages %+v", msgs)
	}
	body, name, file, _ := msgs[0].Parts(t)
	if name != rec+".webm" || string(file) != string(plain) {
		t.Fatalf("attachment %q of %d bytes; identical to the recording: %v", name, len(file), string(file) == string(plain))
	}
	if !strings.Contains(body, r.chat) || !strings.Contains(body, "attached") {
		t.Fatalf("body:\n%s", body)
	}
	if got := mailAudit(t, r.s, rec); strings.Join(got, ",") != "ok 1 grace" {
		t.Fatalf("audit of the mail: %v", got)
	}

	// The mail server away: tried again with backoff until it is back.
	srv.Down()
	r.next(t, "Dan")
	rec2, plain2 := r.recordAndUpload(t, id, 20<<10)
	m = r.mailOf(t, rec2, func(m MailState) bool { return m.State == MailSending && m.Tries >= 2 })
	if m.Why != "the mail server closed the connection" {
		t.Fatalf("while the server is down: %+v", m)
	}
	srv.Up()
	m = r.mailOf(t, rec2, func(m MailState) bool { return m.State == MailSent })
	msgs = srv.Messages()
	if _, _, file, _ := msgs[len(msgs)-1].Parts(t); len(msgs) != 2 || string(file) != string(plain2) {
		t.Fatalf("after the server came back: %d messages", len(msgs))
	}
	got := mailAudit(t, r.s, rec2)
	if len(got) != m.Tries || got[0] != "retry 1 grace" || got[len(got)-1] != fmt.Sprintf("ok %d grace", m.Tries) {
		t.Fatalf("audit of the retried mail: %v (tries %d)", got, m.Tries)
	}

	// A file over attach_max: a link to the recording's page, no token.
	r.next(t, "Eve")
	rec3, _ := r.recordAndUpload(t, id, 300<<10)
	m = r.mailOf(t, rec3, func(m MailState) bool { return m.State == MailSent })
	msgs = srv.Messages()
	last := msgs[len(msgs)-1].Data
	if !m.Link || strings.Contains(last, "multipart") || !strings.Contains(last, "https://hub.example.org/app/recordings/"+rec3+"\r\n") ||
		strings.Contains(last, "token") || strings.Contains(last, "t-grace") {
		t.Fatalf("the big file's mail (%+v):\n%s", m, last)
	}
}

// TestAdHocMailSurvivesRestart_R_C7: a mail that could not be sent is
// still tried by a restarted hub (the queue is in the store), and sent once
// the server is back. A mail server's refusal for good (5xx) is not tried
// again: "not sent" and why (never the address the server quoted).
func TestAdHocMailSurvivesRestart_R_C7(t *testing.T) {
	t.Parallel()
	srv := smtptest.StartTLS(t)
	dir := t.TempDir()
	r, id, cfg := mailHub(t, srv, dir, nil)
	srv.Down()
	rec, plain := r.recordAndUpload(t, id, 10<<10)
	r.mailOf(t, rec, func(m MailState) bool { return m.Tries >= 1 })
	r.s.Close()
	if err := r.s.CloseStore(); err != nil {
		t.Fatal(err)
	}
	srv.Up()
	s2, base := startHub(t, func(c *Config) { c.Agents[1].Capacity = 4; cfg(c) })
	r2 := &recSetup{s: s2, base: base, http: "http" + strings.TrimPrefix(base, "ws")}
	m := r2.mailOf(t, rec, func(m MailState) bool { return m.State == MailSent })
	if msgs := srv.Messages(); len(msgs) != 1 || m.Tries < 2 {
		t.Fatalf("after the restart: %d messages, %+v", len(msgs), m)
	} else if _, _, file, _ := msgs[0].Parts(t); string(file) != string(plain) {
		t.Fatal("the attachment differs from the recording")
	}

	srv.RejectNext(1)
	g, _ := agentLogin(t, base, "t-grace", true)
	r2.g = g
	r2.next(t, "Fay")
	rec2, _ := r2.recordAndUpload(t, id, 10<<10)
	m = r2.mailOf(t, rec2, func(m MailState) bool { return m.State == MailNotSent })
	if m.Tries != 1 || !strings.Contains(m.Why, "refused it") || !strings.Contains(m.Why, "554") || strings.Contains(m.Why, "grace@") {
		t.Fatalf("a 554: %+v", m)
	}
	if got := mailAudit(t, s2, rec2); strings.Join(got, ",") != "failed 1 grace" {
		t.Fatalf("audit of the refused mail: %v", got)
	}
}

// TestAdHocMailNoAddress_R_C7: an agent the hub has no address for gets
// no mail; My Recordings says why.
func TestAdHocMailNoAddress_R_C7(t *testing.T) {
	t.Parallel()
	srv := smtptest.StartTLS(t)
	r, id, _ := mailHub(t, srv, t.TempDir(), func(c *Config) { c.Agents[1].Email = "" })
	rec, _ := r.recordAndUpload(t, id, 1<<10)
	m := r.mailOf(t, rec, func(m MailState) bool { return m.State == MailNotSent })
	if m.Tries != 0 || !strings.Contains(m.Why, "no e-mail address") || len(srv.Messages()) != 0 {
		t.Fatalf("no address: %+v, %d messages", m, len(srv.Messages()))
	}
	// A snippet is never mailed, nor listed with a mail state.
	r.next(t, "Gil")
	r.press(t, "snip")
	r.finish(t)
	if l := r.stored(t); len(l.Recordings) != 1 || l.Recordings[0].Kind != session.KindSnip.String() {
		t.Fatalf("the snippet: %+v", l.Recordings)
	}
}
