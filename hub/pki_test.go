package hub

import (
	"testing"

	"github.com/agentdesk/agentdesk/internal/testpki"
)

// testPKI is a certificate authority made by a test and a certificate it
// signed for the hub on loopback (127.0.0.1, ::1, localhost), as files.
type testPKI = testpki.PKI

// newTestPKI makes a CA named name and the hub's certificate under it.
func newTestPKI(t testing.TB, name string) testPKI { return testpki.New(t, name) }
