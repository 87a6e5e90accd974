package hub

import (
	"fmt"
	"strings"

	"github.com/agentdesk/agentdesk/configs"
)

// tokenKeys lists every secret of c with the key that holds it.
func (c *Config) tokenKeys() (keys, secrets []string) {
	for i, a := range c.Agents {
		keys, secrets = append(keys, fmt.Sprintf("agents[%d].token (%s)", i, a.ID)), append(secrets, a.Token)
	}
	for i, t := range c.Recording.APITokens {
		keys, secrets = append(keys, fmt.Sprintf("recording.api_tokens[%d].token (%s)", i, t.Name)), append(secrets, t.Token)
	}
	return keys, secrets
}

// publishedPasswords lists the keys of c's users whose password hash is
// one of the shipped config's: its demo passwords are published.
func (c *Config) publishedPasswords(demo *Config) []string {
	shipped := map[string]bool{}
	for _, u := range demo.Users {
		if u.Password != "" {
			shipped[u.Password] = true
		}
	}
	var found []string
	for i, u := range c.Users {
		if shipped[u.Password] {
			found = append(found, fmt.Sprintf("users[%d].password (%s)", i, u.ID))
		}
	}
	return found
}

// PublishedTokens lists the keys of c that hold a published demo token:
// one of the shipped configs/chathub.yaml (the demo's, in the repository
// for anyone to read), or any token starting with "demo-token-". A hub
// outside demo mode refuses such a config (issue 10).
func PublishedTokens(c *Config) []string {
	published := map[string]bool{}
	var found []string
	if demo, err := ParseConfig(configs.ChatHub); err == nil {
		_, secrets := demo.tokenKeys()
		for _, s := range secrets {
			published[s] = true
		}
	}
	keys, secrets := c.tokenKeys()
	for i, s := range secrets {
		if published[s] || strings.HasPrefix(s, "demo-token-") {
			found = append(found, keys[i])
		}
	}
	if demo, err := ParseConfig(configs.ChatHub); err == nil {
		found = append(found, c.publishedPasswords(demo)...)
	}
	return found
}

// ShortTokens lists the keys of c whose token is shorter than n bytes:
// easier to guess than a token should be.
func ShortTokens(c *Config, n int) []string {
	var found []string
	keys, secrets := c.tokenKeys()
	for i, s := range secrets {
		if len(s) < n {
			found = append(found, keys[i])
		}
	}
	return found
}
