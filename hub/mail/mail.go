// Package mail sends the hub's e-mail over SMTP (net/smtp): STARTTLS when
// the server offers it, AUTH PLAIN only over TLS (or to localhost), and a
// few tries with a growing wait when the server is down.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Sender sends mail through one SMTP server. It is safe for concurrent use.
type Sender struct {
	Addr     string // host:port
	From     string // "Name <address>"
	Username string // empty: no AUTH
	Password string
	// Tries and Wait bound the attempts: Tries in all, Wait before the
	// second, doubling after (defaults 4 and 2s).
	Tries int
	Wait  time.Duration
	// TLS, when set, is the TLS config for STARTTLS (tests give their CA).
	TLS *tls.Config
}

// ErrBadAddress is a recipient that is not one plain e-mail address.
var ErrBadAddress = errors.New("mail: not an e-mail address")

// Address checks that s is one plain e-mail address and returns it bare
// (no name, no header injection).
func Address(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 254 || strings.ContainsAny(s, "\r\n,;<>") {
		return "", fmt.Errorf("%w: %q", ErrBadAddress, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", fmt.Errorf("%w: %q", ErrBadAddress, s)
	}
	return a.Address, nil
}

// Send sends a plain-text message to one recipient, trying again with a
// growing wait while the server cannot be reached or refuses for now; it
// gives up when ctx ends or the tries run out.
func (s *Sender) Send(ctx context.Context, to, subject, body string) error {
	to, err := Address(to)
	if err != nil {
		return err
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: from %q: %w", s.From, err)
	}
	msg := compose(s.From, to, subject, body, time.Now())
	tries, wait := s.Tries, s.Wait
	if tries <= 0 {
		tries = 4
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	for i := 1; ; i++ {
		err = s.send(ctx, from.Address, to, msg)
		var perm *permanentError
		if err == nil || errors.As(err, &perm) || i >= tries {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mail: gave up: %w (last: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// permanentError is an SMTP 5xx answer: trying again will not help.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// send is one attempt.
func (s *Sender) send(ctx context.Context, from, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return &permanentError{fmt.Errorf("mail: server %q: %w", s.Addr, err)}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		// PlainAuth refuses to send the password without TLS, but to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return classify(fmt.Errorf("mail: AUTH: %w", err))
		}
	}
	if err := c.Mail(from); err != nil {
		return classify(fmt.Errorf("mail: MAIL FROM: %w", err))
	}
	if err := c.Rcpt(to); err != nil {
		return classify(fmt.Errorf("mail: RCPT TO: %w", err))
	}
	w, err := c.Data()
	if err != nil {
		return classify(fmt.Errorf("mail: DATA: %w", err))
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return classify(fmt.Errorf("mail: %w", err))
	}
	return c.Quit()
}

// classify marks an SMTP 5xx answer permanent.
func classify(err error) error {
	if strings.Contains(err.Error(), ": 5") {
		return &permanentError{err}
	}
	return err
}

// compose writes the message: headers, then the body with CRLF line ends
// and dot-safe lines (net/smtp's writer dot-stuffs).
func compose(from, to, subject, body string, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to,
		mime.QEncoding.Encode("utf-8", subject), now.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}
