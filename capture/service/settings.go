package service

import (
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/agentdesk/agentdesk/uploader"
)

// setting is one config key: its default and doc (for config show, the
// default config file and docs/capture-service.md), how to read it from
// YAML and how to print it.
type setting struct {
	key        string
	def        string // the default, as written in YAML
	doc        string
	systemOnly bool // only the system file may set it
	set        func(c *Config, v *yaml.Node) error
	get        func(c *Config) string
}

// Settings lists every key with its default and documentation, in the
// order of the default config file.
func Settings() []struct{ Key, Default, Doc string } {
	out := make([]struct{ Key, Default, Doc string }, len(settings))
	for i, s := range settings {
		out[i].Key, out[i].Default, out[i].Doc = s.key, s.def, s.doc
	}
	return out
}

// Defaults is the configuration with no file read.
func Defaults() Config {
	return Config{Mode: "auto", Monitors: "all", FPS: 5, MinFreeMB: 100, HeartbeatTimeout: 30 * time.Second,
		Log: "auto", LogMaxMB: 10, LogKeep: 3, UserOverride: true}
}

func lookup(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

func scalar(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, not a %s", kindName(v.Kind))
	}
	return v.Value, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

func strSetting(key, def, doc string, p func(c *Config) *string, valid func(string) error) setting {
	return setting{key: key, def: strconv.Quote(def), doc: doc,
		set: func(c *Config, v *yaml.Node) error {
			s, err := scalar(v)
			if err == nil && valid != nil {
				err = valid(s)
			}
			if err == nil {
				*p(c) = s
			}
			return err
		},
		get: func(c *Config) string { return strconv.Quote(*p(c)) }}
}

func intSetting(key string, def int64, lo, hi int64, doc string, p func(c *Config) *int64) setting {
	return setting{key: key, def: strconv.FormatInt(def, 10), doc: doc,
		set: func(c *Config, v *yaml.Node) error {
			s, err := scalar(v)
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("%q: want a whole number in %d..%d", s, lo, hi)
			}
			*p(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(*p(c), 10) }}
}

func boolSetting(key string, def bool, doc string, p func(c *Config) *bool) setting {
	return setting{key: key, def: strconv.FormatBool(def), doc: doc,
		set: func(c *Config, v *yaml.Node) error {
			s, err := scalar(v)
			if err != nil {
				return err
			}
			switch s {
			case "true", "yes", "on":
				*p(c) = true
			case "false", "no", "off":
				*p(c) = false
			default:
				return fmt.Errorf("%q: want true or false", s)
			}
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) }}
}

func oneOf(vals ...string) func(string) error {
	return func(s string) error {
		for _, v := range vals {
			if s == v {
				return nil
			}
		}
		return fmt.Errorf("%q: want one of %s", s, strings.Join(vals, ", "))
	}
}

// ParseMonitors reads capture.monitors: "all" (nil) or "0" or "0,2".
func ParseMonitors(s string) ([]int, error) {
	if s == "all" || s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 15 {
			return nil, fmt.Errorf("%q: want all, or monitor numbers 0..15 separated by commas (agentdesk doctor lists them)", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func loopback(s string) error {
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q: want host:port on loopback, e.g. 127.0.0.1:9464", s)
	}
	if ip := net.ParseIP(host); (ip == nil && host != "localhost") || (ip != nil && !ip.IsLoopback()) {
		return fmt.Errorf("%q: metrics are served on loopback only (127.0.0.1 or [::1])", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: bad port", s)
	}
	return nil
}

func recipient(s string) error {
	if s == "" {
		return nil
	}
	if _, err := uploader.Encrypt(discard{}, s); err != nil {
		return fmt.Errorf("not an age recipient (age1…): %v", err)
	}
	return nil
}

// caFile checks that upload.ca_file holds a PEM certificate.
func caFile(s string) error {
	if s == "" {
		return nil
	}
	b, err := os.ReadFile(s) // #nosec G304 -- the CA file IT names
	if err != nil {
		return err
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return fmt.Errorf("%s holds no PEM certificate (want -----BEGIN CERTIFICATE-----)", s)
		}
		if blk.Type == "CERTIFICATE" {
			return nil
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

var settings = []setting{
	strSetting("capture.mode", "auto", "auto: the real display and microphone, synthetic ones with a loud warning when they cannot open; real: a failing device is said per chat; synthetic: a test picture and tone; off: recordings hold the transcript alone",
		func(c *Config) *string { return &c.Mode }, oneOf("auto", "real", "synthetic", "off")),
	strSetting("capture.display", "", "the X display to record; empty: $DISPLAY of the session (on Wayland the screen is refused, see docs/capture-service.md)",
		func(c *Config) *string { return &c.Display }, nil),
	strSetting("capture.monitors", "all", "all: every monitor side by side (the whole X screen); or the monitors to record, e.g. \"0\" or \"0,1\" (agentdesk doctor lists them)",
		func(c *Config) *string { return &c.Monitors }, func(s string) error { _, err := ParseMonitors(s); return err }),
	strSetting("capture.mic", "", "the microphone's name or part of it; empty: the default input",
		func(c *Config) *string { return &c.Mic }, nil),
	{key: "capture.fps", def: "5", doc: "screen frames a second, 1..30",
		set: func(c *Config, v *yaml.Node) error {
			n := int64(c.FPS)
			err := intSetting("", 0, 1, 30, "", func(*Config) *int64 { return &n }).set(c, v)
			c.FPS = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.FPS) }},
	intSetting("capture.min_free_mb", 100, 0, 1<<20, "record no media with less free disk than this many MB in the spool folder",
		func(c *Config) *int64 { return &c.MinFreeMB }),
	strSetting("spool_dir", "", "spool, combined files and upload queue; empty: $XDG_STATE_HOME/agentdesk/capture (~/.local/state/agentdesk/capture)",
		func(c *Config) *string { return &c.SpoolDir }, nil),
	strSetting("upload.hub", "", "the hub's address; empty: the hub the desktop is connected to (kept for uploads after it quits)",
		func(c *Config) *string { return &c.Hub }, nil),
	strSetting("upload.token_file", "", "a file (mode 0600) holding the agent's hub token; empty: the token the desktop gives",
		func(c *Config) *string { return &c.TokenFile }, nil),
	strSetting("upload.ca_file", "", "the hub's CA certificate (PEM) trusted besides the system's authorities, for a hub whose certificate a private CA signed; empty: the system's (and SSL_CERT_FILE)",
		func(c *Config) *string { return &c.CAFile }, caFile),
	strSetting("upload.dir", "", "deliver recordings into this folder instead of the hub",
		func(c *Config) *string { return &c.UploadDir }, nil),
	{key: "upload.windows", def: "[]", doc: "upload only inside these daily windows, e.g. [\"01:00-05:00\"]; empty: at once (R-V3)",
		set: func(c *Config, v *yaml.Node) error {
			var ws []string
			if v.Kind != yaml.SequenceNode {
				return fmt.Errorf("want a list, e.g. [\"01:00-05:00\"]")
			}
			if err := v.Decode(&ws); err != nil {
				return err
			}
			if _, err := uploader.ParseWindows(ws); err != nil {
				return err
			}
			c.Windows = ws
			return nil
		},
		get: func(c *Config) string { return "[" + strings.Join(quoteAll(c.Windows), ", ") + "]" }},
	intSetting("upload.rate", 0, 0, 1<<40, "cap uploads at this many bytes a second; 0: no cap",
		func(c *Config) *int64 { return &c.Rate }),
	strSetting("upload.recipient", "", "encrypt recordings with age to the store's public key (age1…); required unless upload.plaintext is true (X-6)",
		func(c *Config) *string { return &c.Recipient }, recipient),
	boolSetting("upload.plaintext", false, "true uploads recordings unencrypted when no recipient is set: an explicit choice (X-6)",
		func(c *Config) *bool { return &c.Plaintext }),
	strSetting("service.socket", "", "the control socket; empty: $XDG_RUNTIME_DIR/agentdesk/capture.sock (/run/user/UID/…)",
		func(c *Config) *string { return &c.Socket }, nil),
	{key: "service.heartbeat_timeout", def: "30s", doc: "a desktop silent this long is lost: its recordings are finished, combined and uploaded marked \"desktop lost\" (1s..1h)",
		set: func(c *Config, v *yaml.Node) error {
			s, err := scalar(v)
			if err != nil {
				return err
			}
			d, err := time.ParseDuration(s)
			if err != nil || d < time.Second || d > time.Hour {
				return fmt.Errorf("%q: want a duration from 1s to 1h, e.g. 30s", s)
			}
			c.HeartbeatTimeout = d
			return nil
		},
		get: func(c *Config) string { return c.HeartbeatTimeout.String() }},
	strSetting("service.metrics_listen", "", "also serve the Prometheus metrics on this loopback host:port, e.g. 127.0.0.1:9464; empty: on the socket only",
		func(c *Config) *string { return &c.MetricsListen }, loopback),
	strSetting("service.log", "auto", "auto: the journal under systemd, else a rotating file; journal, file or stderr",
		func(c *Config) *string { return &c.Log }, oneOf("auto", "journal", "file", "stderr")),
	strSetting("service.log_file", "", "the log file when not under systemd; empty: capture-agent.log in the spool folder's parent",
		func(c *Config) *string { return &c.LogFile }, nil),
	intSetting("service.log_max_mb", 10, 1, 1024, "rotate the log file past this many MB",
		func(c *Config) *int64 { return &c.LogMaxMB }),
	{key: "service.log_keep", def: "3", doc: "rotated log files kept (capture-agent.log.1 …)",
		set: func(c *Config, v *yaml.Node) error {
			n := int64(c.LogKeep)
			err := intSetting("", 0, 0, 100, "", func(*Config) *int64 { return &n }).set(c, v)
			c.LogKeep = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.LogKeep) }},
	func() setting {
		s := boolSetting("service.user_override", true, "false: the per-user file is not read, so users cannot change what IT set (system file only)",
			func(c *Config) *bool { return &c.UserOverride })
		s.systemOnly = true
		return s
	}(),
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
