package hub

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// RecordingConfig is the top-level "recording:" section: how finished
// recordings are named (R-H4), who may use the dynamic recording API
// (R-G3), and the metadata tags every recording carries (R-V7).
type RecordingConfig struct {
	FileNameTemplate string     `yaml:"filename_template"`
	APITokens        []APIToken `yaml:"api_tokens"`
	// MetadataTags name up to store.MaxTags keys of a chat's case data
	// (R-I10): each finished recording keeps their values as its tags,
	// searchable (R-V7).
	MetadataTags []string `yaml:"metadata_tags"`
}

// APIToken is one bearer token of the recording API.
type APIToken struct {
	Name  string `yaml:"name"`
	Token string `yaml:"token"`
	Role  string `yaml:"role"` // "supervisor" or "flow"
}

// API token roles (package api's).
const (
	RoleSupervisor = api.RoleSupervisor
	RoleFlow       = api.RoleFlow
)

// Selective recording asked by a queue's routing (R-G2).
const (
	RecordDestination        = "destination"
	RecordDisableDestination = "disable_destination"
)

// AgentRecording is an agent's "recording:" block: session.Rights with the
// defaults of docs/configuration.md for every key left out (may_* true,
// permits true, auto false, auto_percent 100, full_time false,
// screen_percent 100).
type AgentRecording session.Rights

// DefaultRights are an agent's recording rights when the config says
// nothing: every right, recordings permitted, no automatic or full-time
// recording, the screen recorded with every recording.
func DefaultRights() session.Rights {
	return session.Rights{MayRecord: true, MaySnip: true, MayPause: true, Permits: true, AutoPercent: 100, ScreenPercent: 100}
}

var rightsKeys = []string{"may_record", "may_snip", "may_pause", "permits", "auto", "auto_percent", "full_time", "screen_percent"}

// UnmarshalYAML fills in the defaults, then reads the keys given; an
// unknown key or a bad value is reported with its name and line.
func (r *AgentRecording) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: agents[].recording must be a mapping of %s", n.Line, strings.Join(rightsKeys, ", "))
	}
	*r = AgentRecording(DefaultRights())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(rightsKeys, k.Value) {
			return fmt.Errorf("line %d: unknown key agents[].recording.%s; known keys: %s", k.Line, k.Value, strings.Join(rightsKeys, ", "))
		}
		one := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{k, v}}
		rights := session.Rights(*r)
		if err := one.Decode(&rights); err != nil {
			return fmt.Errorf("line %d: agents[].recording.%s: %q is not a valid value (%s)", v.Line, k.Value, v.Value, wantOf(k.Value))
		}
		*r = AgentRecording(rights)
	}
	return nil
}

func wantOf(key string) string {
	if strings.HasSuffix(key, "_percent") {
		return "want a whole number from 0 to 100"
	}
	return "want true or false"
}

// Rights returns the agent's recording rights, the defaults when the config
// has no recording block for the agent.
func (a AgentConfig) Rights() session.Rights {
	if a.Recording == nil {
		return DefaultRights()
	}
	return session.Rights(*a.Recording)
}

// Route returns what routing asks for chats of the queue (R-G2).
func (q QueueConfig) Route() session.Route {
	return session.Route{RecordDestination: q.Record == RecordDestination, Dest: q.RecordingDest}
}

// validateRecording checks the recording section, the queues' recording
// keys and the agents' rights.
func (c *Config) validateRecording(bad func(string, ...any)) {
	if c.Recording.FileNameTemplate == "" {
		c.Recording.FileNameTemplate = session.DefaultFileNameTemplate
	}
	if err := session.ValidateFileNameTemplate(c.Recording.FileNameTemplate); err != nil {
		bad("recording.filename_template: %v", strings.TrimPrefix(err.Error(), "session: "))
	}
	c.validateTags(bad)
	agentTokens := map[string]string{}
	for _, a := range c.Agents {
		agentTokens[a.Token] = a.ID
	}
	seen := map[string]int{} // token → index + 1
	for i, t := range c.Recording.APITokens {
		if t.Name == "" {
			bad("recording.api_tokens[%d].name: missing", i)
		}
		switch {
		case t.Token == "":
			bad("recording.api_tokens[%d].token: missing (token %q)", i, t.Name)
		case seen[t.Token] > 0:
			bad("recording.api_tokens[%d].token: %q has the same token as api_tokens[%d]; tokens must be unique", i, t.Name, seen[t.Token]-1)
		case agentTokens[t.Token] != "":
			bad("recording.api_tokens[%d].token: %q has the same token as agent %q; use a different secret", i, t.Name, agentTokens[t.Token])
		}
		seen[t.Token] = i + 1
		if t.Role != RoleSupervisor && t.Role != RoleFlow {
			bad("recording.api_tokens[%d].role: %q; want supervisor or flow", i, t.Role)
		}
	}
	for i, q := range c.Queues {
		switch q.Record {
		case "", RecordDestination, RecordDisableDestination:
		default:
			bad("queues[%d].record: %q; want destination or disable_destination (or leave it out)", i, q.Record)
		}
		if q.RecordingDest != "" && q.Record != RecordDestination {
			bad("queues[%d].recording_dest: set only with record: destination", i)
		}
		if q.ConsentText != "" && !q.AskConsent {
			bad("queues[%d].consent_text: set only with ask_consent: true", i)
		}
	}
	for i, a := range c.Agents {
		r := a.Rights()
		if r.AutoPercent < 0 || r.AutoPercent > 100 {
			bad("agents[%d].recording.auto_percent: %d; want 0 to 100", i, r.AutoPercent)
		}
		if r.ScreenPercent < 0 || r.ScreenPercent > 100 {
			bad("agents[%d].recording.screen_percent: %d; want 0 to 100", i, r.ScreenPercent)
		}
	}
}

// validateTags checks recording.metadata_tags (R-V7): at most
// store.MaxTags names, each a valid tag name, none twice.
func (c *Config) validateTags(bad func(string, ...any)) {
	tags := c.Recording.MetadataTags
	if len(tags) > store.MaxTags {
		bad("recording.metadata_tags: %d tags; at most %d (R-V7)", len(tags), store.MaxTags)
	}
	for i, t := range tags {
		switch {
		case !store.ValidTagName(t):
			bad("recording.metadata_tags[%d]: %q; a tag is 1 to 64 letters, digits, '_', '.' or '-' (a key of the chat's case data)", i, t)
		case slices.Index(tags, t) < i:
			bad("recording.metadata_tags[%d]: %q is listed twice", i, t)
		}
	}
}

// tagsOf is what a finished recording keeps of the chat's case data: the
// values of the configured metadata tags it has (R-V7), nil for none.
func (c *Config) tagsOf(caseData map[string]string) map[string]string {
	var tags map[string]string
	for _, t := range c.Recording.MetadataTags {
		if v, ok := caseData[t]; ok {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[t] = v
		}
	}
	return tags
}

// DefaultConsentText is asked when a queue asks for consent without its
// own consent_text.
const DefaultConsentText = "May we record this chat for quality and training?"

// consentText is the question the queue asks, or "" if it asks none.
func (c *Config) consentText(queue string) string {
	for _, q := range c.Queues {
		if q.Name == queue && q.AskConsent {
			if q.ConsentText != "" {
				return q.ConsentText
			}
			return DefaultConsentText
		}
	}
	return ""
}

// The customer's recording notices when a queue sets none.
const (
	DefaultNoticeRecording = "This chat is being recorded."
	DefaultNoticePaused    = "Recording of this chat is paused."
	DefaultNoticeStopped   = "This chat is no longer being recorded."
	DefaultNoticeDeleted   = "The agent confirmed your request: no recording of this chat is kept."
)

// notice is the queue's words for a recording notice state.
func (c *Config) notice(queue, state string) string {
	q := c.queue(queue)
	pick := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	switch state {
	case session.NoticeRecording:
		return pick(q.NoticeRecording, DefaultNoticeRecording)
	case session.NoticePaused:
		return pick(q.NoticePaused, DefaultNoticePaused)
	}
	return pick(q.NoticeStopped, DefaultNoticeStopped)
}

// queue returns the queue's configuration.
func (c *Config) queue(name string) QueueConfig {
	for _, q := range c.Queues {
		if q.Name == name {
			return q
		}
	}
	return QueueConfig{}
}
