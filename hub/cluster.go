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
	// Role is "core", "edge" or "auto": a hub that takes the store when
	// nobody holds it and is an edge until then (docs/cluster.md).
	Role string `yaml:"role"`
	// Node names this hub in the cluster (letters, digits, - and _);
	// default: the host name.
	Node string `yaml:"node"`
	// CoreURL is where an edge sends the HTTP requests that are not
	// sockets (the recording API, uploads, files, the web app): the core's
	// http(s) address as the edges reach it. The core must list the edges
	// in trusted_proxies.
	CoreURL string `yaml:"core_url"`
	// Advertise is this hub's http(s) address as the other hubs reach it:
	// while it is the core, the edges forward there (required with role
	// auto).
	Advertise string `yaml:"advertise"`
	// Subject prefixes every NATS subject the hubs use; hubs of one
	// cluster share it, two clusters on one NATS differ (default
	// "agentdesk").
	Subject string `yaml:"subject"`

	natsToken string
	coreURL   *url.URL
}

// RoleAuto: the hub is the core while it holds the store, an edge
// otherwise (OpenNode).
const RoleAuto = "auto"

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
	httpURL := func(key, s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			bad("cluster.%s: %q is not an http(s):// address", key, s)
			return nil
		}
		return u
	}
	if k.Advertise != "" {
		httpURL("advertise", k.Advertise)
	}
	switch k.Role {
	case RoleCore:
	case RoleEdge:
		if k.CoreURL == "" {
			bad("cluster.core_url: an edge sends what is not a socket to the core: set its http(s):// address")
		} else {
			k.coreURL = httpURL("core_url", k.CoreURL)
		}
	case RoleAuto:
		if k.Advertise == "" {
			bad("cluster.advertise: with role auto, set this hub's http(s):// address as the other hubs reach it")
		}
		if k.CoreURL != "" {
			bad("cluster.core_url: with role auto the core's address comes from the core itself; remove core_url")
		}
	default:
		bad("cluster.role: %q is not core, edge or auto", k.Role)
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

// coreBeat is the core's heartbeat.
type coreBeat struct {
	Instance string `json:"instance"`
	URL      string `json:"url,omitempty"` // cluster.advertise
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
	if k.Role == RoleCore || k.Role == RoleAuto {
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

// subscribe subscribes each subject to its handler and waits until the
// server has them all. Frames must not be dropped for a burst: the limits
// are the hubs' own queues, not NATS's defaults.
func subscribe(nc *nats.Conn, subjects map[string]nats.MsgHandler) ([]*nats.Subscription, error) {
	var subs []*nats.Subscription
	for subject, f := range subjects {
		sb, err := nc.Subscribe(subject, f)
		if err != nil {
			unsubscribe(subs)
			return nil, err
		}
		_ = sb.SetPendingLimits(1<<20, 256<<20)
		subs = append(subs, sb)
	}
	if err := nc.Flush(); err != nil {
		unsubscribe(subs)
		return nil, err
	}
	return subs, nil
}

func unsubscribe(subs []*nats.Subscription) {
	for _, sb := range subs {
		_ = sb.Unsubscribe()
	}
}
