package mail

import (
	"context"
	"errors"
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
	s := &Sender{Addr: srv.Addr, From: "Contact centre <noreply@example.org>", Username: "hub", Password: "secret", Wait: 50 * time.Millisecond}
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
