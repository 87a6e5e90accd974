package hub

import (
	"strings"
	"testing"
)

// TestMailConfig: the mail section refuses, in words, plain SMTP to a
// server that is not on loopback, a login without its password, an agent
// address that is not one address, and a link base that is not http(s);
// the password comes from the environment when asked, never the config.
func TestMailConfig(t *testing.T) {
	base := MailConfig{SMTP: "mail.example.org:587", From: "Contact centre <noreply@example.org>"}
	for _, c := range []struct {
		name string
		m    func(*Config)
		want string // "" : valid
	}{
		{"starttls", func(c *Config) {}, ""},
		{"plain to loopback", func(c *Config) { c.Mail.SMTP, c.Mail.AllowPlain = "127.0.0.1:25", true }, ""},
		{"plain to a remote server", func(c *Config) { c.Mail.AllowPlain = true }, "mail.allow_plain: only for a server on loopback"},
		{"user without password", func(c *Config) { c.Mail.Username = "hub" }, "mail.username goes with one of"},
		{"two passwords", func(c *Config) {
			c.Mail.Username, c.Mail.PasswordFile, c.Mail.PasswordEnv = "hub", "/etc/pw", "SMTP_PASSWORD"
		}, "mail.username goes with one of"},
		{"password from env", func(c *Config) { c.Mail.Username, c.Mail.PasswordEnv = "hub", "SMTP_PASSWORD" }, ""},
		{"bad agent address", func(c *Config) { c.Agents[0].Email = "ada <ada@example.org>" }, "agents: ada: email"},
		{"bad app url", func(c *Config) { c.Mail.AppURL = "hub.example.org" }, "mail.app_url"},
		{"negative attach_max", func(c *Config) { c.Mail.AttachMax = -1 }, "mail.attach_max"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t, func(cfg *Config) { cfg.Mail = base; c.m(cfg) })
			err := cfg.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
	t.Setenv("SMTP_PASSWORD", "s3cret")
	s, err := newMailer(MailConfig{SMTP: "127.0.0.1:25", From: "x@example.org", Username: "hub", PasswordEnv: "SMTP_PASSWORD"})
	if err != nil || s.Password != "s3cret" {
		t.Fatalf("password from the environment: %v", err)
	}
	if _, err := newMailer(MailConfig{SMTP: "127.0.0.1:25", From: "x@example.org", Username: "hub", PasswordEnv: "SMTP_UNSET_HERE"}); err == nil {
		t.Fatal("an unset password variable was taken")
	}
}
