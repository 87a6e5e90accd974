package hub

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// metricsHub runs a hub on loopback whose /metrics answers the returned
// token.
func metricsHub(t *testing.T) (*Server, string, string) {
	t.Helper()
	dir := t.TempDir()
	const token = "metrics-token-0123456789abcdef"
	tf := filepath.Join(dir, "metrics.token")
	if err := os.WriteFile(tf, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(testYAML + "metrics: {token_file: " + tf + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := newHub(t, cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, ts.URL, token
}

func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	code, b := apiDo(t, http.MethodGet, url+"/metrics", token, "")
	return code, string(b)
}

// metricValue is the value of one sample line of the exposition format.
func metricValue(t *testing.T, body, sample string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sample %s in /metrics", sample)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetrics: /metrics answers only the token's holder, and its figures
// follow what the hub does: a chat relayed both ways moves the relay and
// routing histograms and the chats gauge, the store's writes are timed.
func TestMetrics(t *testing.T) {
	_, url, token := metricsHub(t)
	base := "ws" + strings.TrimPrefix(url, "http")

	if code, body := scrape(t, url, ""); code != http.StatusUnauthorized || strings.Contains(body, "agentdesk_") {
		t.Fatalf("no token: %d %q", code, body)
	}
	if code, _ := scrape(t, url, "metrics-token-wrong-wrong-wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, before := scrape(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("token: %d", code)
	}
	relayed := metricValue(t, before, "agentdesk_relay_seconds_count")

	a, _ := agentLogin(t, base, "t-ada", true)
	cust, joined := customerJoin(t, base, session.JoinData{Name: "Cat", Queue: "general"})
	connect(t, a, cust, joined.Chat)
	for i := range 5 {
		cust.send(session.TypeSend, joined.Chat, session.SendData{Text: "hello " + strconv.Itoa(i)})
		lineWith(a, "hello "+strconv.Itoa(i))
		a.send(session.TypeSend, joined.Chat, session.SendData{Text: "answer " + strconv.Itoa(i)})
		lineWith(cust, "answer "+strconv.Itoa(i))
	}

	_, after := scrape(t, url, token)
	if got := metricValue(t, after, "agentdesk_relay_seconds_count"); got < relayed+20 {
		t.Errorf("relay histogram counted %v frames after 10 lines to two sockets, had %v", got, relayed)
	}
	if got := metricValue(t, after, "agentdesk_routing_seconds_count"); got < 1 {
		t.Errorf("routing passes: %v", got)
	}
	if got := metricValue(t, after, "agentdesk_queue_wait_seconds_count"); got != 1 {
		t.Errorf("queue waits: %v, want 1", got)
	}
	if got := metricValue(t, after, `agentdesk_chats{state="connected"}`); got != 1 {
		t.Errorf("connected chats: %v", got)
	}
	if got := metricValue(t, after, `agentdesk_agents{state="online"}`); got != 1 {
		t.Errorf("agents online: %v", got)
	}
	if got := metricValue(t, after, "agentdesk_store_apply_seconds_count"); got < 10 {
		t.Errorf("store batches timed: %v", got)
	}
	if got := metricValue(t, after, "agentdesk_store_up"); got != 1 {
		t.Errorf("store up: %v", got)
	}
	if strings.Contains(after, "t-ada") || strings.Contains(after, token) {
		t.Error("a token in /metrics")
	}
}

// TestMetricsOffByDefault: without metrics.token_file there is no
// /metrics at all, and a token too short is refused at start.
func TestMetricsOffByDefault(t *testing.T) {
	_, base := startHub(t, nil)
	url := "http" + strings.TrimPrefix(base, "ws")
	if code, body := scrape(t, url, "anything-anything-anything"); code != http.StatusNotFound || strings.Contains(body, "agentdesk_") {
		t.Fatalf("metrics off: %d %q", code, body)
	}
	tf := filepath.Join(t.TempDir(), "short")
	if err := os.WriteFile(tf, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ParseConfig([]byte(testYAML + "metrics: {token_file: " + tf + "}\n"))
	if err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Fatalf("short token: %v", err)
	}
}

// pingStore is a store whose Ping fails on demand.
type pingStore struct {
	store.Store
	fail error
}

func (p *pingStore) Ping(context.Context) error { return p.fail }

// TestReadyz: /readyz is 200 while the store answers, 503 naming the part
// that does not, and 503 once the hub shuts down (a load balancer stops
// sending it connections); /healthz keeps answering.
func TestReadyz(t *testing.T) {
	s := newHub(t, testConfig(t, nil))
	ps := &pingStore{Store: s.raw}
	s.raw = ps
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func() (int, string) {
		code, b := apiDo(t, http.MethodGet, ts.URL+"/readyz", "", "")
		return code, string(b)
	}
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, `"store":"ok"`) {
		t.Fatalf("ready: %d %s", code, body)
	}
	ps.fail = errors.New("connection refused")
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, `"store":"connection refused"`) {
		t.Fatalf("store down: %d %s", code, body)
	}
	ps.fail = nil
	s.Close()
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Fatalf("closing: %d %s", code, body)
	}
}

// TestMetricsUploadBytes: a recording upload's bytes are counted.
func TestMetricsUploadBytes(t *testing.T) {
	const token = "metrics-token-0123456789abcdef"
	tf := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(tf, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	_, base, _ := startStoreHub(t, func(c *Config) {
		c.Metrics.TokenFile = tf
		c.validateMetrics(func(f string, a ...any) { t.Fatalf(f, a...) })
	})
	ctx := testCtx(t, wait)
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), randomBytes(t, 300_000), recMeta())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newTusClient(base, "t-ada").send(ctx, f, time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	_, body := scrape(t, base, token)
	if got := metricValue(t, body, "agentdesk_upload_bytes_total"); got != 300_000 {
		t.Errorf("upload bytes: %v, want 300000", got)
	}
}
