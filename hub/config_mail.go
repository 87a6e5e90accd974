package hub

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	hubmail "github.com/agentdesk/agentdesk/hub/mail"
)

// MailConfig is the top-level "mail:" section: how the hub sends e-mail
// (a chat's transcript to the customer who asks, issue 11; an agent's ad
// hoc recordings to the agent, issue 13 point 7). Without smtp the hub
// sends none and the page does not offer it.
type MailConfig struct {
	// SMTP is the server's host:port, e.g. mail.example.org:587. The hub
	// requires STARTTLS (see AllowPlain) and sends the password only over
	// TLS.
	SMTP string `yaml:"smtp"`
	// From is the sender, e.g. "Contact centre <noreply@example.org>".
	From string `yaml:"from"`
	// Username and PasswordFile (or PasswordEnv) log in (AUTH PLAIN); the
	// password is read from the file or the environment variable so that
	// the config can be pushed without the secret. It is never logged.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// CAFile is a PEM file of the authorities that sign the SMTP server's
	// certificate; "" : the system's.
	CAFile string `yaml:"ca_file"`
	// AllowPlain lets the hub send without TLS to a server that offers no
	// STARTTLS; only for a server on loopback (a local relay).
	AllowPlain bool `yaml:"allow_plain"`
	// AttachMax is the largest recording file attached to its e-mail, in
	// bytes; a larger one is sent as a link to its page in the web app.
	// 0: DefaultAttachMax.
	AttachMax int64 `yaml:"attach_max"`
	// AppURL is the web app's address as agents reach it, e.g.
	// https://hub.example.org, for the links in e-mails.
	AppURL string `yaml:"app_url"`
	// Recordings says whether ad hoc recordings are e-mailed to the agent
	// who made them (R-C7); nil: yes.
	Recordings *bool `yaml:"recordings"`
	// RetryWait is the wait before the second try of a recording's
	// e-mail, doubling after each failure up to RetryMax; RetryFor is how
	// long after the first try the hub gives up. 0: 1m, 1h and 72h.
	RetryWait time.Duration `yaml:"retry_wait"`
	RetryMax  time.Duration `yaml:"retry_max"`
	RetryFor  time.Duration `yaml:"retry_for"`
}

// The mail section's defaults.
const (
	DefaultAttachMax = 10 << 20
	DefaultRetryWait = time.Minute
	DefaultRetryMax  = time.Hour
	DefaultRetryFor  = 72 * time.Hour
)

// validateMail checks the mail section.
func (c *Config) validateMail(bad func(string, ...any)) {
	m := c.Mail
	if m.SMTP == "" {
		if m.From != "" || m.Username != "" || m.PasswordFile != "" || m.PasswordEnv != "" {
			bad("mail.smtp: set the SMTP server (host:port) the other mail keys are for")
		}
		return
	}
	host, port, err := net.SplitHostPort(m.SMTP)
	if err != nil || port == "" {
		bad("mail.smtp: %q is not host:port, e.g. mail.example.org:587", m.SMTP)
	}
	if _, err := mail.ParseAddress(m.From); err != nil || strings.ContainsAny(m.From, "\r\n") {
		bad("mail.from: %q is not an e-mail address, e.g. \"Contact centre <noreply@example.org>\"", m.From)
	}
	if m.Username == "" && (m.PasswordFile != "" || m.PasswordEnv != "") || m.Username != "" && (m.PasswordFile == "") == (m.PasswordEnv == "") {
		bad("mail.username goes with one of mail.password_file and mail.password_env")
	}
	if m.AllowPlain && !loopbackHost(host) {
		bad("mail.allow_plain: only for a server on loopback (127.0.0.1, ::1, localhost); %q must offer STARTTLS", host)
	}
	if m.AttachMax < 0 {
		bad("mail.attach_max: %d is negative; the largest file attached, in bytes (0: %d)", m.AttachMax, DefaultAttachMax)
	}
	if m.RetryWait < 0 || m.RetryMax < 0 || m.RetryFor < 0 {
		bad("mail: retry_wait, retry_max and retry_for must not be negative")
	}
	if u := m.AppURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.User != nil {
			bad("mail.app_url: %q is not the web app's http(s) address, e.g. https://hub.example.org", u)
		}
	}
	for _, a := range c.Agents {
		if a.Email != "" {
			if _, err := hubmail.Address(a.Email); err != nil {
				bad("agents: %s: email %q is not one e-mail address", a.ID, a.Email)
			}
		}
	}
}

// loopbackHost reports whether host names this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newMailer builds the hub's mailer from the config, nil without one.
func newMailer(c MailConfig) (*hubmail.Sender, error) {
	if c.SMTP == "" {
		return nil, nil
	}
	s := &hubmail.Sender{Addr: c.SMTP, From: c.From, Username: c.Username, AllowPlain: c.AllowPlain}
	switch {
	case c.PasswordFile != "":
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mail.password_file: %v", err)
		}
		s.Password = strings.TrimSpace(string(b))
	case c.PasswordEnv != "":
		s.Password = os.Getenv(c.PasswordEnv)
		if s.Password == "" {
			return nil, fmt.Errorf("mail.password_env: the environment variable %s is not set", c.PasswordEnv)
		}
	}
	if c.CAFile != "" {
		b, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mail.ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("mail.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		s.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return s, nil
}
