// Package service is the capture agent as a service (issue 15): the
// configuration IT pushes (a system file and a per-user override), the
// local control API on a Unix socket that only the service's own user may
// open (SO_PEERCRED), the server that runs capture/control and the upload
// queue for the user it runs as and finishes a recording whose desktop was
// lost, the client the desktop uses, and the metrics.
//
// The wire API is documented in docs/capture-service.md.
package service

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the service's merged configuration. Every field has a setting
// in settings (below) with its key, default and documentation.
type Config struct {
	Mode      string // capture.mode: auto, real, synthetic or off
	Display   string // capture.display: "" is $DISPLAY
	Monitors  string // capture.monitors: "all" or a comma list of indexes
	Mic       string // capture.mic: "" is the default input
	FPS       int    // capture.fps
	MinFreeMB int64  // capture.min_free_mb

	SpoolDir string // spool_dir: "" is the default under the user's state folder

	Hub       string   // upload.hub: "" is the hub the desktop gives
	TokenFile string   // upload.token_file
	CAFile    string   // upload.ca_file: the hub's CA certificate, "" the system's
	UploadDir string   // upload.dir: deliver into a folder instead of the hub
	Windows   []string // upload.windows
	Rate      int64    // upload.rate: bytes a second, 0 no cap
	Recipient string   // upload.recipient: age1… ("" plain, only with upload.plaintext)
	Plaintext bool     // upload.plaintext: allow files without encryption

	Socket           string        // service.socket: "" is $XDG_RUNTIME_DIR/agentdesk/capture.sock
	HeartbeatTimeout time.Duration // service.heartbeat_timeout
	MetricsListen    string        // service.metrics_listen: loopback host:port, "" off
	Log              string        // service.log: auto, journal, file or stderr
	LogFile          string        // service.log_file
	LogMaxMB         int64         // service.log_max_mb
	LogKeep          int           // service.log_keep
	UserOverride     bool          // service.user_override: the per-user file is read (system file only)
}

// ConfigError is a config problem at file:line with the key it concerns.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
}

// ErrBadConfig is wrapped by every config error (exit code 2 in main).
var ErrBadConfig = errors.New("bad config")

func (e *ConfigError) Unwrap() error { return ErrBadConfig }

// Default system and per-user config files.
const (
	SystemConfigFile = "/etc/agentdesk/capture.yaml"
	userConfigName   = "agentdesk/capture.yaml"
)

// UserConfigFile is the per-user override: $XDG_CONFIG_HOME/agentdesk/
// capture.yaml, else ~/.config/agentdesk/capture.yaml.
func UserConfigFile(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, userConfigName)
	}
	return filepath.Join(getenv("HOME"), ".config", userConfigName)
}

// Loaded is a merged configuration and where each value came from.
type Loaded struct {
	Config
	// From maps each key to "default" or "FILE:LINE".
	From map[string]string
	// Notes say what was read or left out, e.g. a missing user file.
	Notes []string
	// last is the last file read: a combination error on defaults names it.
	last string
}

// Load reads the system file then the user file (each may be missing;
// "" skips it) over the defaults, and validates the result. A bad file is
// a *ConfigError naming file, line and key.
func Load(systemFile, userFile string) (*Loaded, error) {
	l := &Loaded{Config: Defaults(), From: map[string]string{}}
	for _, s := range settings {
		l.From[s.key] = "default"
	}
	for i, f := range []string{systemFile, userFile} {
		if f == "" {
			continue
		}
		if i == 1 && !l.UserOverride {
			l.Notes = append(l.Notes, fmt.Sprintf("%s: not read (service.user_override is false in %s)", f, systemFile))
			continue
		}
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			l.Notes = append(l.Notes, f+": none")
			continue
		}
		if err != nil {
			return nil, &ConfigError{File: f, Key: "(file)", Msg: err.Error()}
		}
		if err := apply(l, f, b, i == 1); err != nil {
			return nil, err
		}
		l.last = f
		l.Notes = append(l.Notes, f+": read")
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	return l, nil
}

// Check validates one file alone over the defaults (config check FILE).
func Check(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return &ConfigError{File: file, Key: "(file)", Msg: err.Error()}
	}
	l := &Loaded{Config: Defaults(), From: map[string]string{}, last: file}
	if err := apply(l, file, b, false); err != nil {
		return err
	}
	return l.check()
}

// apply decodes one YAML file onto l, recording where each key came from.
func apply(l *Loaded, file string, b []byte, user bool) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file
		}
		return yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &ConfigError{File: file, Line: root.Line, Key: "(top)", Msg: "want a mapping of settings (key: value)"}
	}
	return walk(l, file, "", root, user)
}

// yamlError turns a yaml syntax error ("yaml: line N: …") into file:line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &ConfigError{File: file, Line: line, Key: "(syntax)", Msg: msg}
}

func walk(l *Loaded, file, prefix string, m *yaml.Node, user bool) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		s := lookup(key)
		if s == nil {
			if v.Kind == yaml.MappingNode && isSection(key) {
				if err := walk(l, file, key, v, user); err != nil {
					return err
				}
				continue
			}
			return &ConfigError{File: file, Line: k.Line, Key: key, Msg: "unknown setting" + suggest(key)}
		}
		if user && s.systemOnly {
			return &ConfigError{File: file, Line: k.Line, Key: key, Msg: "may be set only in the system file " + SystemConfigFile}
		}
		if err := s.set(&l.Config, v); err != nil {
			return &ConfigError{File: file, Line: v.Line, Key: key, Msg: err.Error()}
		}
		l.From[key] = fmt.Sprintf("%s:%d", file, k.Line)
	}
	return nil
}

// isSection says key is a section holding settings (capture, upload, …).
func isSection(key string) bool {
	for _, s := range settings {
		if strings.HasPrefix(s.key, key+".") {
			return true
		}
	}
	return false
}

// suggest proposes the setting nearest to a mistyped key.
func suggest(key string) string {
	best, bestD := "", 4
	for _, s := range settings {
		if d := editDistance(key, s.key); d < bestD {
			best, bestD = s.key, d
		}
	}
	if best == "" {
		return " (capture-agent config show lists them all)"
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// check validates what no single setting can: the combinations. Its
// errors name the file and line of the key that decides.
func (l *Loaded) check() error {
	at := func(key, msg string) error {
		file, line := splitFrom(l.From[key])
		if line == 0 { // the default: the file that left it so
			file = l.last
			if file == "" {
				file = "(no config file)"
			}
		}
		return &ConfigError{File: file, Line: line, Key: key, Msg: msg}
	}
	if l.Recipient == "" && !l.Plaintext {
		return at("upload.recipient", "recordings are encrypted by default (X-6): give the store's age1… key, or set upload.plaintext: true to upload them plain")
	}
	if l.Hub != "" && l.UploadDir != "" {
		return at("upload.dir", "upload.hub and upload.dir are both set: choose one")
	}
	return nil
}

// splitFrom splits "FILE:LINE" ("default" has no line).
func splitFrom(from string) (string, int) {
	i := strings.LastIndexByte(from, ':')
	if i < 0 {
		return from, 0
	}
	var n int
	if _, err := fmt.Sscanf(from[i+1:], "%d", &n); err != nil {
		return from, 0
	}
	return from[:i], n
}

// Show writes the merged configuration, one key a line with its value and
// where it came from (config show).
func (l *Loaded) Show(w io.Writer) {
	keys := make([]string, 0, len(settings))
	for _, s := range settings {
		keys = append(keys, s.key)
	}
	sort.Strings(keys)
	width := 0
	for _, k := range keys {
		width = max(width, len(k)+3+len(lookup(k).get(&l.Config)))
	}
	for _, k := range keys {
		kv := k + " = " + lookup(k).get(&l.Config)
		fmt.Fprintf(w, "%-*s  # %s\n", width, kv, l.From[k])
	}
	for _, n := range l.Notes {
		fmt.Fprintf(w, "# %s\n", n)
	}
}
