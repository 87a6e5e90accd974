package hub

import (
	"net"
	"net/mail"
	"strings"
)

// MailConfig is the top-level "mail:" section: how the hub sends e-mail
// (a chat's transcript to the customer who asks, issue 11). Without smtp
// the hub sends none and the page does not offer it.
type MailConfig struct {
	// SMTP is the server's host:port, e.g. mail.example.org:587. The hub
	// uses STARTTLS when the server offers it, and refuses to send the
	// password over a connection without TLS (but to localhost).
	SMTP string `yaml:"smtp"`
	// From is the sender, e.g. "Contact centre <noreply@example.org>".
	From string `yaml:"from"`
	// Username and PasswordFile log in (AUTH PLAIN); the password is read
	// from the file so that the config can be pushed without the secret.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// validateMail checks the mail section.
func (c *Config) validateMail(bad func(string, ...any)) {
	m := c.Mail
	if m.SMTP == "" {
		if m.From != "" || m.Username != "" || m.PasswordFile != "" {
			bad("mail.smtp: set the SMTP server (host:port) the other mail keys are for")
		}
		return
	}
	if _, port, err := net.SplitHostPort(m.SMTP); err != nil || port == "" {
		bad("mail.smtp: %q is not host:port, e.g. mail.example.org:587", m.SMTP)
	}
	if _, err := mail.ParseAddress(m.From); err != nil || strings.ContainsAny(m.From, "\r\n") {
		bad("mail.from: %q is not an e-mail address, e.g. \"Contact centre <noreply@example.org>\"", m.From)
	}
	if (m.Username == "") != (m.PasswordFile == "") {
		bad("mail.username and mail.password_file go together")
	}
}
