package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/internal/smtptest"
)

// TestSendToARealServer: a message reaches a real SMTP server on loopback
// with its headers, body and login; a server that is away is tried again
// until it is back.
func TestSendToARealServer(t *testing.T) {
	srv := smtptest.Start(t)
	s := &Sender{Addr: srv.Addr, From: "Contact centre <noreply@example.org>", Username: "hub", Password: "secret", Wait: 50 * time.Millisecond, AllowPlain: true}
	ctx := context.Background()
	if err := s.Send(ctx, "bea@example.org", "Your chat of 2 December", "Bea: hello\n.a line with a dot\nAda: hi\n"); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "noreply@example.org" || len(got[0].To) != 1 || got[0].To[0] != "bea@example.org" || got[0].User != "hub" {
		t.Fatalf("messages %+v", got)
	}
	for _, want := range []string{"To: bea@example.org\r\n", "Subject: Your chat of 2 December\r\n", "\r\nBea: hello\r\n.a line with a dot\r\nAda: hi\r\n"} {
		if !strings.Contains(got[0].Data, want) {
			t.Fatalf("message lacks %q:\n%s", want, got[0].Data)
		}
	}
	srv.Down()
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, "bea@example.org", "again", "body") }()
	time.Sleep(120 * time.Millisecond)
	srv.Up()
	if err := <-done; err != nil || len(srv.Messages()) != 2 {
		t.Fatalf("after the server came back: %v, %d messages", err, len(srv.Messages()))
	}
}

func TestAddress(t *testing.T) {
	for _, bad := range []string{"", "bea", "Bea <bea@example.org>", "a@b.org, c@d.org", "bea@example.org\r\nBcc: x@y.org", strings.Repeat("a", 250) + "@b.org"} {
		if _, err := Address(bad); !errors.Is(err, ErrBadAddress) {
			t.Errorf("Address(%q) = %v, want ErrBadAddress", bad, err)
		}
	}
	if a, err := Address(" bea@example.org "); err != nil || a != "bea@example.org" {
		t.Fatalf("a good address: %q %v", a, err)
	}
}

// TestDeliverAttachmentOverSTARTTLS (issue 13 point 7, R-C7): a message
// with an attachment reaches a real SMTP server over STARTTLS (a test CA)
// with AUTH PLAIN; parsed as MIME, the attachment is byte-identical to
// the file. A server that offers no STARTTLS is refused unless plain is
// allowed; a 5xx is permanent, a 4xx is not.
func TestDeliverAttachmentOverSTARTTLS(t *testing.T) {
	srv := smtptest.StartTLS(t)
	data := make([]byte, 300_001)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	s := &Sender{Addr: srv.Addr, From: "Contact centre <noreply@example.org>", Username: "hub", Password: smtptest.Password,
		TLS: &tls.Config{RootCAs: srv.CAPool, MinVersion: tls.VersionTLS12}}
	ctx := context.Background()
	att := &Attachment{Name: "ada \"rec\".webm", Type: "video/webm", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
	if err := s.Deliver(ctx, Message{To: "ada@example.org", Subject: "Your recording", Body: "Here it is.\n.dot\n", Attachment: att}); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "hub" || got[0].To[0] != "ada@example.org" {
		t.Fatalf("messages %+v", got)
	}
	body, name, file, multi := got[0].Parts(t)
	if !multi {
		t.Fatal("the message is not multipart/mixed")
	}
	if !strings.Contains(body, "Here it is.\r\n.dot") || name != "ada \"rec\".webm" || !bytes.Equal(file, data) {
		t.Fatalf("body %q, attachment %q of %d bytes (identical: %v)", body, name, len(file), bytes.Equal(file, data))
	}

	plain := smtptest.Start(t)
	p := &Sender{Addr: plain.Addr, From: "x@example.org"}
	if err := p.Deliver(ctx, Message{To: "ada@example.org", Subject: "s", Body: "b"}); !errors.Is(err, ErrNoTLS) || Permanent(err) {
		t.Fatalf("a server without STARTTLS: %v", err)
	}
	srv.RefuseNext(1)
	if err := s.Deliver(ctx, Message{To: "ada@example.org", Subject: "s", Body: "b"}); err == nil || Permanent(err) {
		t.Fatalf("a 451: %v (permanent %v)", err, Permanent(err))
	}
	srv.RejectNext(1)
	if err := s.Deliver(ctx, Message{To: "ada@example.org", Subject: "s", Body: "b"}); !Permanent(err) {
		t.Fatalf("a 554: %v, want permanent", err)
	}
	bad := *s
	bad.Password = "wrong"
	if err := bad.Deliver(ctx, Message{To: "ada@example.org", Subject: "s", Body: "b"}); !Permanent(err) {
		t.Fatalf("a wrong password: %v, want permanent", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages, want the first only", n)
	}
}
