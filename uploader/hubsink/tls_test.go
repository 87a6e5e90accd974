package hubsink_test

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// TestTLSWithTheHubsCA (issue 10, point 8): the sink uploads to a hub
// serving TLS when it trusts the hub's authority, and says what to do
// when it does not.
func TestTLSWithTheHubsCA(t *testing.T) {
	dir := t.TempDir()
	ts := httptest.NewTLSServer(hubtest.Shipped(t, dir, nil).Handler())
	t.Cleanup(ts.Close)
	tlsCfg, err := hubclient.TLSConfig(hubtest.CAFile(t, ts))
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
