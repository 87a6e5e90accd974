package hub

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// MetricsConfig is the top-level "metrics:" section (issue 16): the
// Prometheus metrics on GET /metrics. Without token_file there are none
// (404): the figures tell an outsider how busy the centre is.
type MetricsConfig struct {
	// TokenFile holds the bearer token a scraper sends ("Authorization:
	// Bearer …"; Prometheus: authorization.credentials_file). At least 16
	// characters; the file, not the config, so the config can be pushed
	// without the secret.
	TokenFile string `yaml:"token_file"`

	token [32]byte // SHA-256 of the token, read by Validate
}

// validateMetrics reads the token file.
func (c *Config) validateMetrics(bad func(string, ...any)) {
	m := &c.Metrics
	if m.TokenFile == "" {
		return
	}
	b, err := os.ReadFile(m.TokenFile)
	if err != nil {
		bad("metrics.token_file: %v", err)
		return
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		bad("metrics.token_file: the token is %d characters; use at least 16 (e.g. openssl rand -hex 16)", len(tok))
		return
	}
	m.token = sha256.Sum256([]byte(tok))
}

// metrics are the hub's Prometheus collectors, on a registry of its own
// (a process may run several hubs: the tests do).
type metrics struct {
	reg         *prometheus.Registry
	queueWait   prometheus.Histogram // a chat's first wait, queued → offered
	routing     prometheus.Histogram // one routing pass over a queue with customers waiting
	relay       prometheus.Histogram // a frame queued for a socket → written to it, store wait included
	storeApply  prometheus.Histogram // one batch written to the store
	storeErrors prometheus.Counter
	uploadBytes prometheus.Counter // recording upload bytes received (PATCH bodies)
}

// Latency buckets from 100 µs to 10 s.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.0001, 10, 16)

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentdesk_queue_wait_seconds",
		Help:    "How long a chat waited in its queue before its first offer.",
		Buckets: prometheus.ExponentialBucketsRange(0.01, 3600, 16),
	})
	m.routing = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentdesk_routing_seconds",
		Help:    "How long one routing pass over a queue with customers waiting took.",
		Buckets: prometheus.ExponentialBucketsRange(0.000001, 0.1, 16),
	})
	m.relay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentdesk_relay_seconds",
		Help:    "From a frame queued for a socket to its write: the wait for the store (write-through) included.",
		Buckets: latencyBuckets,
	})
	m.storeApply = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentdesk_store_apply_seconds",
		Help:    "How long one batch of changes took to write to the store.",
		Buckets: latencyBuckets,
	})
	m.storeErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "agentdesk_store_errors_total",
		Help: "Batches the store could not write (retried).",
	})
	m.uploadBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "agentdesk_upload_bytes_total",
		Help: "Recording upload bytes received.",
	})
	m.reg.MustRegister(m.queueWait, m.routing, m.relay, m.storeApply, m.storeErrors, m.uploadBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		hubCollector{s})
	return m
}

// hubCollector reads the hub's gauges at each scrape, from what Health
// counts.
type hubCollector struct{ s *Server }

var (
	descConns    = prometheus.NewDesc("agentdesk_connections", "TCP connections open.", nil, nil)
	descAgents   = prometheus.NewDesc("agentdesk_agents", "Agents by state (online: connected; ready: taking chats).", []string{"state"}, nil)
	descChats    = prometheus.NewDesc("agentdesk_chats", "Chats the hub holds, by state.", []string{"state"}, nil)
	descQueued   = prometheus.NewDesc("agentdesk_queue_chats", "Chats waiting in a queue.", []string{"queue"}, nil)
	descCusts    = prometheus.NewDesc("agentdesk_customers", "Customer sockets open.", nil, nil)
	descParties  = prometheus.NewDesc("agentdesk_parties", "Multi-party figures: invitations pending, agents conferenced, consultations open, supervisors watching.", []string{"kind"}, nil)
	descUploads  = prometheus.NewDesc("agentdesk_decrypted_bytes_total", "Recording bytes decrypted for playback and download.", nil, nil)
	descStoreBad = prometheus.NewDesc("agentdesk_store_up", "1 while the store writes, 0 while it cannot.", nil, nil)
)

func (hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConns, descAgents, descChats, descQueued, descCusts, descParties, descUploads, descStoreBad} {
		ch <- d
	}
}

func (c hubCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	h := s.Health()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(descConns, h.Connections)
	gauge(descAgents, h.AgentsOnline, "online")
	gauge(descAgents, h.AgentsReady, "ready")
	gauge(descCusts, h.Customers)
	gauge(descParties, h.Invites, "invitations")
	gauge(descParties, h.Conferenced, "conferenced")
	gauge(descParties, h.Consultations, "consultations")
	gauge(descParties, h.Watching, "watching")
	up := 1
	if h.Store != "ok" {
		up = 0
	}
	gauge(descStoreBad, up)
	for q, f := range h.Queues {
		gauge(descQueued, f.Waiting, q)
	}
	states := map[session.State]int{}
	s.mu.RLock()
	for _, ch := range s.chats {
		states[ch.state]++
	}
	s.mu.RUnlock()
	for st, n := range states {
		gauge(descChats, n, st.String())
	}
	if s.in != nil {
		ch <- prometheus.MustNewConstMetric(descUploads, prometheus.CounterValue, float64(s.in.DecryptedBytes()))
	}
}

// serveMetrics answers GET /metrics to the holder of metrics.token_file's
// token: 404 when none is configured, 401 to anyone else.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var zero [32]byte
	if s.cfg.Metrics.token == zero {
		http.NotFound(w, r) // metrics are off (metrics.token_file)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(tok))
	if !ok || subtle.ConstantTimeCompare(sum[:], s.cfg.Metrics.token[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		api.WriteError(w, http.StatusUnauthorized, api.ErrUnauthorized, "metrics: send the token of metrics.token_file as a bearer token")
		return
	}
	promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

// countUploads counts the bytes of recording uploads' bodies.
func (s *Server) countUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodPatch || r.Method == http.MethodPost) && strings.HasPrefix(r.URL.Path, "/v1/uploads/") {
			r.Body = &countingBody{ReadCloser: r.Body, c: s.m.uploadBytes}
		}
		next.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	c prometheus.Counter
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.c.Add(float64(n))
	}
	return n, err
}

// since is seconds since t.
func since(t time.Time) float64 { return time.Since(t).Seconds() }

// Ready is the body of /readyz.
type Ready struct {
	Ready bool `json:"ready"`
	// Checks name each part the hub needs and say "ok" or what is wrong.
	Checks map[string]string `json:"checks"`
}

// readyTimeout bounds each readiness probe.
const readyTimeout = 2 * time.Second

// Readiness asks every part the hub needs whether it answers: the hub is
// not shutting down, its store writes and answers, and the recording
// files' storage answers. A load balancer sends new connections only to a
// ready hub (docs/operations.md).
func (s *Server) Readiness(ctx context.Context) Ready {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	r := Ready{Ready: true, Checks: map[string]string{}}
	check := func(name string, err error) {
		if err != nil {
			r.Ready = false
			r.Checks[name] = err.Error()
			return
		}
		r.Checks[name] = "ok"
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		check("hub", errors.New("shutting down"))
	} else {
		check("hub", nil)
	}
	if err := s.j.err(); err != nil {
		check("store", fmt.Errorf("cannot write: %w", err))
	} else if p, ok := s.raw.(store.Pinger); ok {
		check("store", p.Ping(ctx))
	} else {
		check("store", nil)
	}
	if s.core != nil {
		if s.core.nc.IsConnected() {
			check("nats", nil)
		} else {
			check("nats", fmt.Errorf("not connected (%s)", strings.ToLower(s.core.nc.Status().String())))
		}
	}
	if s.in != nil {
		if p, ok := any(s.in).(store.Pinger); ok {
			check("files", p.Ping(ctx))
		} else {
			check("files", nil)
		}
	}
	return r
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	rd := s.Readiness(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
	}
	api.WriteJSON(w, status, rd)
}
