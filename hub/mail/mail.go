// Package mail sends the hub's e-mail over SMTP (net/smtp): STARTTLS
// required (a server that does not offer it is refused, unless the sender
// is told plain SMTP is allowed, which the hub's config permits to a
// loopback server only), AUTH PLAIN only over TLS (or to localhost), and
// messages with one attachment streamed from its file. Send tries a few
// times with a growing wait; Deliver is one attempt whose error says
// whether trying again may help (Permanent).
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
	// Tries and Wait bound the attempts of Send: Tries in all, Wait before
	// the second, doubling after (defaults 4 and 2s).
	Tries int
	Wait  time.Duration
	// TLS, when set, is the TLS config for STARTTLS (a CA of the server's,
	// tests give theirs); nil: the system's authorities.
	TLS *tls.Config
	// AllowPlain sends without TLS to a server that offers no STARTTLS
	// (the hub allows it for a loopback server only). false: such a
	// server is refused.
	AllowPlain bool
}

// ErrBadAddress is a recipient that is not one plain e-mail address.
var ErrBadAddress = errors.New("mail: not an e-mail address")

// ErrNoTLS is a server that offers no STARTTLS to a sender that requires
// it.
var ErrNoTLS = errors.New("mail: the SMTP server offers no STARTTLS (set mail.allow_plain only for a server on loopback)")

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

// Attachment is a file a Message carries: its name, MIME type and a way to
// read it (opened once per attempt, closed after).
type Attachment struct {
	Name string
	Type string // "" : application/octet-stream
	Open func() (io.ReadCloser, error)
}

// Message is one e-mail to one recipient: plain text, and at most one
// attachment.
type Message struct {
	To         string
	Subject    string
	Body       string
	Attachment *Attachment
}

// Send sends a plain-text message to one recipient, trying again with a
// growing wait while the server cannot be reached or refuses for now; it
// gives up when ctx ends or the tries run out.
func (s *Sender) Send(ctx context.Context, to, subject, body string) error {
	tries, wait := s.Tries, s.Wait
	if tries <= 0 {
		tries = 4
	}
	if wait <= 0 {
		wait = 2 * time.Second
	}
	for i := 1; ; i++ {
		err := s.Deliver(ctx, Message{To: to, Subject: subject, Body: body})
		if err == nil || Permanent(err) || i >= tries {
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

// permanentError is an SMTP 5xx answer, or a message that can never be
// sent: trying again will not help.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent reports whether err, from Deliver or Send, is one that trying
// again will not mend (an SMTP 5xx answer, a bad address); any other
// error is for now (the server away, a 4xx, a broken connection).
func Permanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Deliver is one attempt to send m. The connection ends when ctx does.
func (s *Sender) Deliver(ctx context.Context, m Message) error {
	to, err := Address(m.To)
	if err != nil {
		return &permanentError{err}
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return &permanentError{fmt.Errorf("mail: from %q: %w", s.From, err)}
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return &permanentError{fmt.Errorf("mail: server %q: %w", s.Addr, err)}
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if s.TLS != nil {
			cfg = s.TLS.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	} else if !s.AllowPlain {
		return ErrNoTLS
	}
	if s.Username != "" {
		// PlainAuth refuses to send the password without TLS, but to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return classify(fmt.Errorf("mail: AUTH: %w", err))
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return classify(fmt.Errorf("mail: MAIL FROM: %w", err))
	}
	if err := c.Rcpt(to); err != nil {
		return classify(fmt.Errorf("mail: RCPT TO: %w", err))
	}
	w, err := c.Data()
	if err != nil {
		return classify(fmt.Errorf("mail: DATA: %w", err))
	}
	if err := compose(w, s.From, to, m, time.Now()); err != nil {
		return err
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

// compose writes the message to w: headers, the body as text with CRLF
// line ends (net/smtp's writer dot-stuffs), and the attachment, if any,
// base64 in a multipart/mixed, streamed from its file.
func compose(w io.Writer, from, to string, m Message, now time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n", from, to,
		mime.QEncoding.Encode("utf-8", oneLine(m.Subject)), now.Format(time.RFC1123Z))
	text := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if !strings.HasSuffix(text, "\r\n") {
		text += "\r\n"
	}
	const textType = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
	if m.Attachment == nil {
		b.WriteString(textType + "\r\n" + text)
		_, err := io.WriteString(w, b.String())
		return mailErr(err)
	}
	r, err := m.Attachment.Open()
	if err != nil {
		return fmt.Errorf("mail: the attachment: %w", err)
	}
	defer r.Close()
	boundary := newBoundary()
	typ := m.Attachment.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	name := oneLine(m.Attachment.Name)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\n%s\r\n%s--%s\r\n", boundary, boundary, textType, text, boundary)
	fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: %s\r\n\r\n", typ,
		mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return mailErr(err)
	}
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	if _, err := io.Copy(enc, r); err != nil {
		return fmt.Errorf("mail: the attachment: %w", err)
	}
	if err := enc.Close(); err != nil {
		return mailErr(err)
	}
	if err := lw.end(); err != nil {
		return mailErr(err)
	}
	_, err = fmt.Fprintf(w, "--%s--\r\n", boundary)
	return mailErr(err)
}

func mailErr(err error) error {
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// oneLine drops line breaks (no header injection).
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func newBoundary() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "agentdesk-" + hex.EncodeToString(b[:])
}

// lineWriter breaks base64 into lines of 76 characters (RFC 2045).
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n, p, l.col = n+k, p[k:], l.col+k
		if l.col == 76 {
			if _, err := io.WriteString(l.w, "\r\n"); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// end finishes the last line.
func (l *lineWriter) end() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	_, err := io.WriteString(l.w, "\r\n")
	return err
}
