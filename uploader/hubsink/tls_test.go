package hubsink_test

import (
	"bytes"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// TestTLSWithTheHubsCA (issue 10, point 8): the sink uploads to a hub
// serving TLS when it trusts the hub's authority, and says what to do
// when it does not.
func TestTLSWithTheHubsCA(t *testing.T) {
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.Store.Dir = dir
	s, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close(); s.CloseStore() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := hubclient.TLSConfig(ca)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("over tls "), 5000)
	item := uploader.Item{ID: "q1", Name: "tls.webm", Size: int64(len(data)), SHA256: sum(t, data),
		Manifest:   uploader.Manifest{Version: 1, Recording: "r1", Interaction: "chat-1", Agent: "ada"},
		SaveResume: func(string) error { return nil }}

	untrusting, _ := hubsink.New(ts.URL, "demo-token-ada", hubsink.Options{})
	err = untrusting.Put(t.Context(), item, bytes.NewReader(data), nil)
	if err == nil || !strings.Contains(err.Error(), "not signed by an authority this desktop trusts") || !strings.Contains(err.Error(), "--ca FILE") {
		t.Fatalf("without the CA: %v", err)
	}
	sink, err := hubsink.New(ts.URL, "demo-token-ada", hubsink.Options{TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Put(t.Context(), item, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "files", "tls.webm")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored: %v", err)
	}
}
