// Package hubtest starts, for other packages' tests, a hub in the test's
// process on the shipped config (configs/chathub.yaml and its published
// demo tokens), and writes what a client needs to trust one serving TLS.
package hubtest

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
)

// Shipped opens a hub on the shipped config with its store in storeDir
// ("" : none), changed by mutate (nil: as shipped). It is closed, store
// and all, when the test ends; serve its Handler as the test likes.
func Shipped(t testing.TB, storeDir string, mutate func(*hub.Config)) *hub.Server {
	t.Helper()
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Dir = storeDir
	if mutate != nil {
		mutate(cfg)
	}
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(); _ = h.CloseStore() })
	return h
}

// CAFile writes the certificate of srv (an httptest TLS server) as a PEM
// file a client trusts as the hub's CA (the desktop's --ca), and returns
// its path.
func CAFile(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
