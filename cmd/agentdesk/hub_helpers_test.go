package main

import (
	"net/http/httptest"
	"testing"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/hubtest"
)

// startShippedHub serves a hub on the shipped config (its demo tokens)
// with a store folder of the test's, changed by mutate (nil: as shipped),
// over TLS when tls is set (httptest's own certificate: hubtest.CAFile).
// It is stopped when the test ends.
func startShippedHub(t *testing.T, mutate func(*hub.Config), tls bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(hubtest.Shipped(t, t.TempDir(), mutate).Handler())
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}
