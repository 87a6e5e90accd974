package hub

import (
	"bytes"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
)

// TestNetConfigSaysWhatToFix: the tls, trusted_proxies and connection
// limit keys of issue 10 are checked like the rest, and their defaults
// filled in.
func TestNetConfigSaysWhatToFix(t *testing.T) {
	good := string(configs.ChatHub)
	c, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.HelloTimeout != 10*time.Second || l.PingInterval != 30*time.Second || l.MaxConnections != 10000 ||
		l.ConnectionsPerIP != 256 || l.IdleTimeout != time.Minute || c.TLS.On() || c.TLS.HSTSMaxAge != DefaultHSTSMaxAge {
		t.Fatalf("defaults: %+v %+v", l, c.TLS)
	}
	for _, tc := range []struct {
		name, add string
		want      []string
	}{
		{"cert without key", "tls:\n  cert_file: /etc/hub.crt\n", []string{"tls: give both cert_file and key_file"}},
		{"missing cert file", "tls:\n  cert_file: /nonexistent/hub.crt\n  key_file: /nonexistent/hub.key\n", []string{"tls:", "/nonexistent/hub.crt"}},
		{"unknown tls key", "tls:\n  certificate: x\n", []string{"unknown key tls.certificate"}},
		{"bad proxy", "trusted_proxies: [10.0.0.0/8, proxy.example]\n", []string{"trusted_proxies[1]", "proxy.example"}},
		{"negative hello", "limits:\n  hello_timeout: -1s\n", []string{"limits.hello_timeout", "negative"}},
		{"tiny ping", "limits:\n  ping_timeout: 1ms\n", []string{"limits.ping_timeout", "too short"}},
		{"customers over connections", "limits:\n  max_connections: 100\n  max_customers: 200\n", []string{"limits.max_customers (200)", "max_connections (100)"}},
		{"bad trusted proxy range", "trusted_proxies: [10.0.0.0/33]\n", []string{"trusted_proxies[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := good + "\n" + tc.add
			if keys, ok := strings.CutPrefix(tc.add, "limits:\n"); ok {
				// The shipped file lists every limit: change its lines.
				y = good
				for _, kv := range strings.Split(strings.TrimSpace(keys), "\n") {
					kv = "  " + strings.TrimSpace(kv)
					key := strings.TrimSpace(kv[:strings.IndexByte(kv, ':')])
					re := regexp.MustCompile(`(?m)^  ` + key + `:.*$`)
					if re.MatchString(y) {
						y = re.ReplaceAllString(y, kv)
					} else {
						y = strings.Replace(y, "limits:\n", "limits:\n"+kv+"\n", 1)
					}
				}
			}
			_, err := ParseConfig([]byte(y))
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("accepted or not a config error: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestClientIPBehindTrustedProxy: the address a customer is counted by is
// the connection's, or from a trusted proxy the last X-Forwarded-For hop
// that is not a trusted proxy; what an untrusted client says of itself is
// dropped before any handler sees it.
func TestClientIPBehindTrustedProxy(t *testing.T) {
	s := newHub(t, testConfig(t, func(c *Config) {
		c.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.7"}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}))
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.5:4000", "", "203.0.113.5"},
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5"}, // not a proxy: ignored
		{"10.1.2.3:4000", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:4000", "1.1.1.1, 198.51.100.1, 192.0.2.7", "198.51.100.1"}, // the client cannot pick its own
		{"10.1.2.3:4000", "", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:4000", "garbage", "10.1.2.3"},
	} {
		r := httptest.NewRequest("GET", "/v1/customer", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	var seen string
	h := s.guard(httpHandlerFunc(func(r *http.Request) {
		seen = r.Header.Get("X-Forwarded-For") + "|" + r.Header.Get("X-Forwarded-Proto")
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "203.0.113.5:4000"
	r.Header.Set("X-Forwarded-For", "10.9.9.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if seen != "|" || w.Header().Get("Strict-Transport-Security") != "" {
		t.Fatalf("an untrusted client's forwarded headers reached the handler (%q) or earned HSTS (%q)", seen, w.Header().Get("Strict-Transport-Security"))
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:4000"
	r.Header.Set("X-Forwarded-For", "10.9.9.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if seen != "10.9.9.9|https" || !strings.HasPrefix(w.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("a trusted proxy's headers: %q, HSTS %q", seen, w.Header().Get("Strict-Transport-Security"))
	}
}

type httpHandlerFunc func(*http.Request)

func (f httpHandlerFunc) ServeHTTP(_ http.ResponseWriter, r *http.Request) { f(r) }

// TestCertificateReloaded: a renewed certificate is served without a
// restart; a renewal that does not load keeps the pair that did.
func TestCertificateReloaded(t *testing.T) {
	a, b := newTestPKI(t, "first CA"), newTestPKI(t, "second CA")
	cf, err := loadCert(a.Cert, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := cf.get(nil)
	copyFile := func(from, to string) {
		t.Helper()
		raw, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(time.Minute)
		if err := os.Chtimes(to, later, later); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(b.Cert, a.Cert) // half a renewal: the new certificate, the old key
	cf.checked = time.Time{}
	if got, _ := cf.get(nil); got != first {
		t.Fatal("a certificate without its key replaced the pair")
	}
	copyFile(b.Key, a.Key)
	cf.checked = time.Time{}
	got, _ := cf.get(nil)
	if got == first || !bytes.Equal(got.Certificate[0], mustPEM(t, b.Cert)) {
		t.Fatal("the renewed pair is not served")
	}
}

func mustPEM(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	return blk.Bytes
}
