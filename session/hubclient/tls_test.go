package hubclient

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/session"
)

// TestTLSWithTheHubsCA (issue 10, point 8): the desktop reaches a hub that
// serves TLS with a certificate of its own authority when given that
// authority (--ca), and says in words what is wrong when it is not given,
// when it speaks plain HTTP to a TLS hub, and TLS to a plain one.
func TestTLSWithTheHubsCA(t *testing.T) {
	h := hubtest.Shipped(t, "", nil)
	ts := httptest.NewTLSServer(h.Handler())
	plain := httptest.NewServer(h.Handler())
	t.Cleanup(func() { ts.Close(); plain.Close() })
	tlsCfg, err := TLSConfig(hubtest.CAFile(t, ts))
	if err != nil {
		t.Fatal(err)
	}

	c := Dial(t.Context(), ts.URL, "demo-token-ada", WithTLS(tlsCfg))
	waitFor(t, c, "link up over TLS", isStatus(session.LinkUp))
	waitFor(t, c, "welcome", isFrame(session.TypeWelcome))
	c.Close()

	host := strings.TrimPrefix(ts.URL, "https://")
	for _, tc := range []struct {
		name, url string
		opts      []Option
		words     string
	}{
		{"no CA", ts.URL, nil, "the hub at " + host + " has a certificate this desktop does not trust (signed by an unknown authority): give the hub's CA certificate with --ca FILE"},
		{"plain HTTP to a TLS hub", "http://" + host, []Option{WithTLS(tlsCfg)}, "answered \"400 Bad Request\" to plain HTTP: if it serves TLS, use https://"},
		{"TLS to a plain hub", strings.Replace(plain.URL, "http:", "https:", 1), []Option{WithTLS(tlsCfg)}, "does not speak TLS: use http://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Dial(t.Context(), tc.url, "demo-token-ada", tc.opts...)
			defer c.Close()
			ev := waitFor(t, c, "link down", isStatus(session.LinkDown))
			if !strings.Contains(ev.Status.Err, tc.words) {
				t.Errorf("Err = %q, want %q", ev.Status.Err, tc.words)
			}
		})
	}
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.pem"), ts.URL} {
		if _, err := TLSConfig(bad); err == nil {
			t.Errorf("TLSConfig(%q) accepted", bad)
		}
	}
}
