package hub

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
)

func TestShippedConfigParses(t *testing.T) {
	c, err := ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.MaxFrameBytes != 65536 || c.Timers.ACW != 90*time.Second ||
		c.Timers.InactivityTimeout != 5*time.Minute || len(c.Agents) != 3 || c.Agents[0].Name != "Ada Lovelace" ||
		len(c.Queues) != 2 || len(c.Dispositions) != 5 {
		t.Fatalf("parsed %+v", c)
	}
	p := filepath.Join("..", "configs", "chathub.yaml")
	if _, err := LoadConfig(p); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigsSayWhatToFix(t *testing.T) {
	good := string(configs.ChatHub)
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"bad yaml", "timers: [", []string{"line"}},
		{"empty", "", []string{"empty"}},
		{"unknown top key", good + "\nlisten_port: 9\n", []string{"unknown key listen_port"}},
		{"unknown agent key", strings.Replace(good, "capacity: 3", "capacity: 3\n    skill: x", 1), []string{"unknown key agents[0].skill"}},
		{"unknown timer", strings.Replace(good, "acw: 90s", "acw: 90s\n  acw_extra: 1s", 1), []string{"timers.acw_extra", "known timers"}},
		{"bad duration", strings.Replace(good, "acw: 90s", "acw: ninety", 1), []string{"timers.acw", "ninety", "30s"}},
		{"number duration", strings.Replace(good, "acw: 90s", "acw: 90", 1), []string{"timers.acw", "not a duration"}},
		{"missing timer", strings.Replace(good, "  acw: 90s", "", 1), []string{"timers.acw: missing"}},
		{"duplicate token", strings.Replace(good, "demo-token-grace", "demo-token-ada", 1), []string{"agents[1].token", "same token", "ada"}},
		{"unknown queue", strings.Replace(good, "queues: [billing]", "queues: [sales]", 1), []string{"agents[2].queues", "sales"}},
		{"zero capacity", strings.Replace(good, "capacity: 1", "capacity: 0", 1), []string{"agents[2].capacity"}},
		{"warn after timeout", strings.Replace(good, "inactivity_warn: 4m", "inactivity_warn: 6m", 1), []string{"inactivity_warn", "shorter"}},
		{"duplicate disposition", strings.Replace(good, "- Escalated", "- Resolved", 1), []string{"dispositions[2]", "twice"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("%v does not wrap ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	if err := os.WriteFile(p, []byte("timers: {acw: soon}"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "timers.acw") {
		t.Fatalf("error %v", err)
	}
	if _, err := LoadConfig(p + ".missing"); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing file: %v", err)
	}
}
