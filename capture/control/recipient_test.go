package control

import (
	"context"
	"testing"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/session"
)

// TestWelcomeGivesTheKey_X_6: a controller given no key encrypts to the
// store's key the hub's welcome tells; one given its own keeps it; a
// welcome's bad key is not taken.
func TestWelcomeGivesTheKey_X_6(t *testing.T) {
	store, _ := age.GenerateX25519Identity()
	own, _ := age.GenerateX25519Identity()
	welcome := func(c *Controller, key string) {
		e, err := session.NewEnvelope(session.TypeWelcome, "", session.WelcomeData{Agent: session.AgentInfo{ID: "ada"}, Recipient: key})
		if err != nil {
			t.Fatal(err)
		}
		c.Observe(context.Background(), e)
	}
	c, err := New(Config{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	welcome(c, "age1notakey")
	if c.Recipient() != "" {
		t.Fatalf("took a bad key %q", c.Recipient())
	}
	welcome(c, store.Recipient().String())
	if c.Recipient() != store.Recipient().String() {
		t.Fatalf("recipient %q, want the store's", c.Recipient())
	}
	c2, err := New(Config{SpoolDir: t.TempDir(), Recipient: own.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	welcome(c2, store.Recipient().String())
	if c2.Recipient() != own.Recipient().String() {
		t.Fatalf("recipient %q, want its own", c2.Recipient())
	}
}
