package hub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/agentdesk/agentdesk/configs/yamlerr"
	"github.com/agentdesk/agentdesk/hub/auth"
)

// ErrConfig is wrapped by every configuration error, so callers (the
// chathub command) can tell a bad file from a runtime failure.
var ErrConfig = errors.New("hub: bad config")

// DefaultMaxFrameBytes is used when max_frame_bytes is left out.
const DefaultMaxFrameBytes = 65536

// Config is the hub's configuration. It mirrors configs/chathub.yaml key for
// key; docs/configuration.md documents every key.
type Config struct {
	Listen        string   `yaml:"listen"`
	MaxFrameBytes int64    `yaml:"max_frame_bytes"`
	Timers        Timers   `yaml:"timers"`
	Dispositions  []string `yaml:"dispositions"`
	// RequireDisposition refuses Mark Done without a disposition code
	// (the after-call work timer still closes such a chat).
	RequireDisposition bool            `yaml:"require_disposition"`
	Queues             []QueueConfig   `yaml:"queues"`
	Agents             []AgentConfig   `yaml:"agents"`
	Recording          RecordingConfig `yaml:"recording"`
	Store              StoreConfig     `yaml:"store"`
	Limits             Limits          `yaml:"limits"`
	Mail               MailConfig      `yaml:"mail"`
	Metrics            MetricsConfig   `yaml:"metrics"`
	Cluster            ClusterConfig   `yaml:"cluster"`
	Files              FilesConfig     `yaml:"files"` // files in chats (R-I6)
	Audit              AuditConfig     `yaml:"audit"`
	Retention          RetentionConfig `yaml:"retention"` // archive, purge (R-V6)
	TLS                TLSConfig       `yaml:"tls"`
	// Teams and Users are the people of the recording store (issue 12):
	// teams in a tree, users with a role, a team, an argon2id password
	// hash and API tokens. More may come from access.users_file.
	Teams  []auth.Team  `yaml:"teams"`
	Users  []auth.User  `yaml:"users"`
	Access AccessConfig `yaml:"access"`
	// TrustedProxies are the addresses (IPs or CIDR ranges) of reverse
	// proxies in front of the hub: only from them are X-Forwarded-For,
	// X-Forwarded-Proto and X-Forwarded-Host believed (docs/reverse-proxy.md).
	TrustedProxies []string `yaml:"trusted_proxies"`

	proxies []netip.Prefix // TrustedProxies, parsed by Validate
	cert    *certFiles     // the TLS key pair, loaded by Validate
}

// Timers are the admin's timers (R-I1, R-I4, R-I11). Every one must be set
// and positive.
type Timers struct {
	PendingWarn       time.Duration `yaml:"pending_warn"`
	PendingAlarm      time.Duration `yaml:"pending_alarm"`
	ACW               time.Duration `yaml:"acw"`
	OfferTimeout      time.Duration `yaml:"offer_timeout"`
	InactivityWarn    time.Duration `yaml:"inactivity_warn"`
	InactivityTimeout time.Duration `yaml:"inactivity_timeout"`
	AgentGrace        time.Duration `yaml:"agent_grace"`
	ContactGrace      time.Duration `yaml:"contact_grace"`
	// TransferTimeout is how long an invitation to take, join or be
	// consulted about a chat waits for an answer (R-I7, R-I8, R-I9);
	// unset, it is offer_timeout.
	TransferTimeout time.Duration `yaml:"transfer_timeout"`
}

// QueueConfig is one queue customers can join.
type QueueConfig struct {
	Name  string `yaml:"name" json:"name"`
	Title string `yaml:"title" json:"title"`
	// Recording policies of the queue (issue 4); never shown to customers.
	AskConsent    bool   `yaml:"ask_consent" json:"-"`    // ask the customer for consent (R-H6)
	ConsentText   string `yaml:"consent_text" json:"-"`   // the question; DefaultConsentText if empty
	Record        string `yaml:"record" json:"-"`         // "destination" or "disable_destination" (R-G2)
	RecordingDest string `yaml:"recording_dest" json:"-"` // where selective recordings are stored (R-G2)
	// What the customer is told when the chat starts being recorded, is
	// paused, or stops being recorded; empty: the defaults.
	NoticeRecording string `yaml:"notice_recording" json:"-"`
	NoticePaused    string `yaml:"notice_paused" json:"-"`
	NoticeStopped   string `yaml:"notice_stopped" json:"-"`
}

// AgentConfig is one agent who may log in with Token.
type AgentConfig struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Token    string   `yaml:"token"`
	Team     string   `yaml:"team"` // the agent's team: whose supervisors see their recordings (R-V8)
	Capacity int      `yaml:"capacity"`
	Queues   []string `yaml:"queues"`
	// Recording rights and policies; nil means DefaultRights.
	Recording *AgentRecording `yaml:"recording"`
}

// timerFields lists the timer keys in file order with where they go.
func (t *Timers) timerFields() []struct {
	key string
	d   *time.Duration
} {
	return []struct {
		key string
		d   *time.Duration
	}{
		{"pending_warn", &t.PendingWarn}, {"pending_alarm", &t.PendingAlarm},
		{"acw", &t.ACW}, {"offer_timeout", &t.OfferTimeout},
		{"inactivity_warn", &t.InactivityWarn}, {"inactivity_timeout", &t.InactivityTimeout},
		{"agent_grace", &t.AgentGrace}, {"contact_grace", &t.ContactGrace},
		{"transfer_timeout", &t.TransferTimeout},
	}
}

// UnmarshalYAML reads the timers mapping so that a bad or unknown key is
// reported by its name and line.
func (t *Timers) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: timers must be a mapping of name: duration", n.Line)
	}
	fields := t.timerFields()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst *time.Duration
		var known []string
		for _, f := range fields {
			known = append(known, f.key)
			if f.key == k.Value {
				dst = f.d
			}
		}
		if dst == nil {
			return fmt.Errorf("line %d: unknown key timers.%s; known timers: %s", k.Line, k.Value, strings.Join(known, ", "))
		}
		d, err := time.ParseDuration(v.Value)
		if err != nil || v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: timers.%s: %q is not a duration; write a Go duration such as 500ms, 30s or 5m", v.Line, k.Value, v.Value)
		}
		*dst = d
	}
	return nil
}

// ParseConfig reads and validates a YAML configuration. Errors name the key
// and say how to fix it; they wrap ErrConfig.
func ParseConfig(b []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrConfig, explainYAML(b, err))
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadConfig reads and validates the configuration file at path. Errors name
// the file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the config file the operator names
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// explainYAML puts yaml.v3's words for src in the config's own: the line,
// the key's path ("agents[0].capacity") and what it wants, an indentation
// slip on its own line, an unknown key with where to check its spelling.
func explainYAML(src []byte, err error) string {
	if errors.Is(err, io.EOF) {
		return "the file is empty; start from configs/chathub.yaml"
	}
	return yamlerr.Explain(src, err, "check the spelling against docs/configuration.md")
}

// Validate checks the configuration; ParseConfig calls it. Errors wrap
// ErrConfig.
func (c *Config) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if c.MaxFrameBytes < 256 {
		bad("max_frame_bytes: %d is too small; use at least 256 (65536 is a good value)", c.MaxFrameBytes)
	}
	if c.Timers.TransferTimeout == 0 {
		c.Timers.TransferTimeout = c.Timers.OfferTimeout
	}
	for _, f := range c.Timers.timerFields() {
		if *f.d <= 0 {
			bad("timers.%s: missing or not positive; set a duration such as 30s", f.key)
		}
	}
	if c.Timers.InactivityWarn >= c.Timers.InactivityTimeout && c.Timers.InactivityTimeout > 0 {
		bad("timers.inactivity_warn (%v) must be shorter than timers.inactivity_timeout (%v)", c.Timers.InactivityWarn, c.Timers.InactivityTimeout)
	}
	if c.Timers.PendingWarn >= c.Timers.PendingAlarm && c.Timers.PendingAlarm > 0 {
		bad("timers.pending_warn (%v) must be shorter than timers.pending_alarm (%v)", c.Timers.PendingWarn, c.Timers.PendingAlarm)
	}
	if len(c.Dispositions) == 0 {
		bad("dispositions: list at least one disposition code, e.g. Resolved")
	}
	checkUnique("dispositions", c.Dispositions, bad)
	queues := c.validateQueues(bad)
	c.validateAgents(queues, bad)
	c.validateRecording(bad)
	c.validateStore(bad)
	c.validateLimits(bad)
	c.validateMail(bad)
	c.validateMetrics(bad)
	c.validateCluster(bad)
	c.validateFiles(bad)
	c.validateAudit(bad)
	c.validateRetention(bad)
	c.validateNet(bad)
	c.validatePeople(bad)
	if c.Listen != "" {
		if _, err := url.Parse("http://" + c.Listen); err != nil || !strings.Contains(c.Listen, ":") {
			bad("listen: %q is not host:port, e.g. 127.0.0.1:8080", c.Listen)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}

// validateQueues checks the queues and returns their names.
func (c *Config) validateQueues(bad func(string, ...any)) map[string]bool {
	if len(c.Queues) == 0 {
		bad("queues: list at least one queue with a name")
	}
	queues := map[string]bool{}
	for i, q := range c.Queues {
		if q.Name == "" || strings.ContainsAny(q.Name, " \t/") {
			bad("queues[%d].name: %q must be a non-empty word (letters, digits, - or _)", i, q.Name)
		}
		if queues[q.Name] {
			bad("queues[%d].name: %q is listed twice", i, q.Name)
		}
		queues[q.Name] = true
	}
	return queues
}

// validateAgents checks ids, tokens, capacities and queues of the agents.
func (c *Config) validateAgents(queues map[string]bool, bad func(string, ...any)) {
	ids, tokens := map[string]bool{}, map[string]string{}
	for i, a := range c.Agents {
		switch {
		case a.ID == "":
			bad("agents[%d].id: missing", i)
		case ids[a.ID]:
			bad("agents[%d].id: %q is used twice", i, a.ID)
		}
		ids[a.ID] = true
		if a.Name == "" {
			bad("agents[%d].name: missing (agent %q)", i, a.ID)
		}
		if a.Token == "" {
			bad("agents[%d].token: missing (agent %q)", i, a.ID)
		} else if other, dup := tokens[a.Token]; dup {
			bad("agents[%d].token: agent %q has the same token as agent %q; tokens must be unique", i, a.ID, other)
		}
		tokens[a.Token] = a.ID
		if a.Capacity < 1 {
			bad("agents[%d].capacity: %d; an agent needs a capacity of at least 1", i, a.Capacity)
		}
		if len(a.Queues) == 0 {
			bad("agents[%d].queues: agent %q serves no queue", i, a.ID)
		}
		for _, q := range a.Queues {
			if !queues[q] {
				bad("agents[%d].queues: %q is not a queue listed under queues", i, q)
			}
		}
	}
}

func checkUnique(key string, list []string, bad func(string, ...any)) {
	seen := map[string]bool{}
	for i, v := range list {
		if strings.TrimSpace(v) == "" {
			bad("%s[%d]: empty", key, i)
		}
		if seen[v] {
			bad("%s[%d]: %q is listed twice", key, i, v)
		}
		seen[v] = true
	}
}

// queueNames lists the queue names in file order.
func (c *Config) queueNames() []string {
	names := make([]string, len(c.Queues))
	for i, q := range c.Queues {
		names[i] = q.Name
	}
	return names
}
