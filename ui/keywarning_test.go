package ui

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// TestPlaintextWarning_X_6: a desktop with no key of its own warns, on the
// warning line, when the hub's welcome tells no store key either; a
// welcome with a key takes the warning away.
func TestPlaintextWarning_X_6(t *testing.T) {
	m, _, _ := newModel(t)
	m.needKey = true
	welcome := func(recipient string) {
		feed(t, m, frame_(t, session.TypeWelcome, "", session.WelcomeData{
			Agent: session.AgentInfo{ID: "ada", Name: "Ada Lovelace", Capacity: 2}, Settings: settings(), Recipient: recipient}))
	}
	welcome("")
	if s := plain(t, m); !strings.Contains(s, "NOT encrypted") {
		t.Fatalf("no warning without a key:\n%s", s)
	}
	welcome("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
	if s := plain(t, m); strings.Contains(s, "NOT encrypted") {
		t.Fatalf("the warning stays with the hub's key:\n%s", s)
	}
	m.needKey = false // --recipient or --allow-plaintext
	welcome("")
	if s := plain(t, m); strings.Contains(s, "NOT encrypted") {
		t.Fatalf("warned although plaintext was chosen:\n%s", s)
	}
}
