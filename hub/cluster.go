package hub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// ClusterConfig is the top-level "cluster:" section (issue 16,
// docs/cluster.md): several hubs behind one load balancer, one of them the
// core (it holds every chat, routes, relays and stores), the others edges
// that hold sockets for it and carry their frames over NATS. Without nats
// the hub is alone (the default).
type ClusterConfig struct {
	// NATS is the NATS server's URL, or several comma-separated (a NATS
	// cluster), e.g. nats://10.0.0.5:4222.
	NATS string `yaml:"nats"`
	// NATSTokenFile holds the token the hub logs in to NATS with.
	NATSTokenFile string `yaml:"nats_token_file"`
	// Role is "core" or "edge".
	Role string `yaml:"role"`
	// Node names this hub in the cluster (letters, digits, - and _);
	// default: the host name.
	Node string `yaml:"node"`
	// CoreURL is where an edge sends the HTTP requests that are not
	// sockets (the recording API, uploads, files, the web app): the core's
	// http(s) address as the edges reach it. The core must list the edges
	// in trusted_proxies.
	CoreURL string `yaml:"core_url"`
	// Subject prefixes every NATS subject the hubs use; hubs of one
	// cluster share it, two clusters on one NATS differ (default
	// "agentdesk").
	Subject string `yaml:"subject"`

	natsToken string
	coreURL   *url.URL
}

// Cluster roles.
const (
	RoleCore = "core"
	RoleEdge = "edge"
)

var nodeName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validateCluster checks the cluster section.
func (c *Config) validateCluster(bad func(string, ...any)) {
	k := &c.Cluster
	if k.NATS == "" {
		if k.Role != "" || k.CoreURL != "" || k.NATSTokenFile != "" {
			bad("cluster.nats: set the NATS server the other cluster keys are for")
		}
		return
	}
	for _, u := range strings.Split(k.NATS, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			bad("cluster.nats: %q is not a nats:// or tls:// URL", u)
		} else if p.User != nil {
			bad("cluster.nats: put the password in cluster.nats_token_file, not in the URL")
		}
	}
	if k.NATSTokenFile != "" {
		b, err := os.ReadFile(k.NATSTokenFile)
		if err != nil {
			bad("cluster.nats_token_file: %v", err)
		}
		k.natsToken = strings.TrimSpace(string(b))
	}
	if k.Node == "" {
		h, _ := os.Hostname()
		k.Node = strings.Map(func(r rune) rune {
			if nodeName.MatchString(string(r)) {
				return r
			}
			return '-'
		}, h)
	}
	if !nodeName.MatchString(k.Node) {
		bad("cluster.node: %q: use letters, digits, - and _ (at most 64)", k.Node)
	}
	if k.Subject == "" {
		k.Subject = "agentdesk"
	}
	if !nodeName.MatchString(k.Subject) {
		bad("cluster.subject: %q: use letters, digits, - and _", k.Subject)
	}
	switch k.Role {
	case RoleCore:
	case RoleEdge:
		u, err := url.Parse(k.CoreURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("cluster.core_url: %q: an edge sends HTTP to the core at an http(s):// URL", k.CoreURL)
		} else {
			k.coreURL = u
		}
	default:
		bad("cluster.role: %q is not core or edge", k.Role)
	}
}

// NATS subjects, under cluster.subject (P):
//
//	P.core.open            request: an edge opens a socket on the core (openRequest → openReply)
//	P.core.in.EDGE.ID      a socket's frames, edge → core; header Ad-Close when it ended
//	P.edge.EDGE.out.ID     frames core → edge; header Ad-Close "code reason" to close it
//	P.edge.EDGE.alive      the edge's heartbeat
//	P.core.alive           the core's heartbeat: its instance (a new one: the core restarted)
const (
	hdrClose  = "Ad-Close"
	heartbeat = time.Second
	// silentFor is how long without a heartbeat a hub is taken for gone.
	silentFor = 3 * heartbeat
)

func subj(prefix string, parts ...string) string {
	return prefix + "." + strings.Join(parts, ".")
}

// openRequest is what an edge tells the core of a new socket.
type openRequest struct {
	Edge string `json:"edge"`
	ID   string `json:"id"`
	Kind string `json:"kind"` // "agent" or "customer"
	IP   string `json:"ip"`   // the client's address, as the edge sees it through trusted proxies
}

// openReply is the core's answer: refused with an HTTP status and the
// API error an alone hub would answer, or accepted.
type openReply struct {
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Retry   string `json:"retry,omitempty"` // Retry-After
}

// connectNATS logs in to the cluster's NATS as name.
func connectNATS(k ClusterConfig, name string, onErr func(error)) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.PingInterval(heartbeat),
		nats.MaxPingsOutstanding(3),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { onErr(err) }),
	}
	if k.natsToken != "" {
		opts = append(opts, nats.Token(k.natsToken))
	}
	nc, err := nats.Connect(k.NATS, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster.nats: %w", err)
	}
	return nc, nil
}

// newInstance is a random id for one run of a hub.
func newInstance() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// joinCluster connects to the cluster's NATS in the configured role; a
// hub alone does nothing.
func (s *Server) joinCluster() error {
	k := s.cfg.Cluster
	if k.NATS == "" {
		return nil
	}
	nc, err := connectNATS(k, "chathub "+k.Node+" ("+k.Role+")", func(err error) {
		s.log.Error("cluster: NATS", "err", err)
	})
	if err != nil {
		return err
	}
	if k.Role == RoleCore {
		s.core, err = newCoreCluster(s, nc)
	} else {
		s.edge, err = newEdgeCluster(s, nc)
	}
	if err != nil {
		nc.Close()
		return fmt.Errorf("cluster: %w", err)
	}
	s.log.Info("cluster: joined", "role", k.Role, "node", k.Node)
	return nil
}
