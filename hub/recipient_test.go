package hub

import (
	"strings"
	"testing"

	"filippo.io/age"
)

// TestWelcomeTellsTheStoreRecipient_X_6: desktops given no key of their own
// learn the store's public key from the welcome: the configured one, or
// the one of the store's identity; a bad key stops the hub.
func TestWelcomeTellsTheStoreRecipient_X_6(t *testing.T) {
	id, path := identityFile(t)
	_, base := startHub(t, func(c *Config) { c.Store.Dir, c.Store.IdentityFile = t.TempDir(), path })
	if _, w := agentLogin(t, base, "t-grace", false); w.Recipient != id.Recipient().String() {
		t.Fatalf("welcome recipient %q, want the identity's %q", w.Recipient, id.Recipient())
	}
	if code, body := apiDo(t, "GET", "http"+strings.TrimPrefix(base, "ws")+"/v1/store/key", "", ""); code != 200 || !strings.Contains(string(body), id.Recipient().String()) {
		t.Fatalf("GET /v1/store/key: %d %s", code, body)
	}
	other, _ := age.GenerateX25519Identity()
	_, base = startHub(t, func(c *Config) { c.Store.Recipient = other.Recipient().String() })
	if _, w := agentLogin(t, base, "t-grace", false); w.Recipient != other.Recipient().String() {
		t.Fatalf("welcome recipient %q, want the configured one", w.Recipient)
	}
	_, base = startHub(t, nil)
	if _, w := agentLogin(t, base, "t-grace", false); w.Recipient != "" {
		t.Fatalf("a hub without a key told %q", w.Recipient)
	}
	if _, err := ParseConfig([]byte(testYAML + "store:\n  recipient: age1nope\n")); err == nil {
		t.Fatal("a bad store.recipient was accepted")
	}
}
