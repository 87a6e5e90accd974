package main

import (
	"net/http/httptest"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
)

// startShippedHub runs a hub in this process on the shipped config (its
// demo tokens), with a store folder of the test's, changed by mutate (nil:
// as shipped), over TLS when tls is set (httptest's own certificate:
// srv.Certificate()). It is stopped when the test ends.
func startShippedHub(t *testing.T, mutate func(*hub.Config), tls bool) *httptest.Server {
	t.Helper()
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Dir = t.TempDir()
	if mutate != nil {
		mutate(cfg)
	}
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h.Handler())
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(func() { h.Close(); srv.Close(); h.CloseStore() })
	return srv
}
