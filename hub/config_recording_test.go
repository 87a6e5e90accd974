package hub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/session"
)

func TestShippedConfigRecordingPolicies(t *testing.T) {
	c, err := ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	ada, grace, alan := c.Agents[0].Rights(), c.Agents[1].Rights(), c.Agents[2].Rights()
	if ada != DefaultRights() {
		t.Fatalf("ada must keep every right: %+v", ada)
	}
	if !grace.Auto || grace.AutoPercent != 100 || grace.ScreenPercent != 50 || !grace.MayRecord || !grace.Permits {
		t.Fatalf("grace %+v", grace)
	}
	if !alan.FullTime || alan.MaySnip || !alan.MayRecord || alan.Auto {
		t.Fatalf("alan %+v", alan)
	}
	bill := c.queue("billing")
	if !bill.AskConsent || bill.Route() != (session.Route{RecordDestination: true, Dest: "billing-archive"}) || c.consentText("billing") == "" {
		t.Fatalf("billing %+v", bill)
	}
	if c.consentText("general") != "" || c.queue("general").Route().RecordDestination {
		t.Fatal("general asks for recording")
	}
	toks := c.Recording.APITokens
	if len(toks) != 2 || toks[0] != (APIToken{Name: "sue", Token: "demo-token-sue", Role: RoleSupervisor}) || toks[1].Role != RoleFlow {
		t.Fatalf("tokens %+v", toks)
	}
	if c.Recording.FileNameTemplate == "" || session.ValidateFileNameTemplate(c.Recording.FileNameTemplate) != nil {
		t.Fatalf("template %q", c.Recording.FileNameTemplate)
	}
	// The queue list the customer page loads says nothing of recording.
	b, _ := json.Marshal(c.Queues)
	if strings.Contains(string(b), "consent") || strings.Contains(string(b), "archive") {
		t.Fatalf("queues.json %s", b)
	}
}

func TestRecordingDefaults(t *testing.T) {
	yaml := strings.Replace(testYAML, "queues: [general]}", "queues: [general], recording: {auto: true, may_snip: false}}", 1)
	c, err := ParseConfig([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultRights()
	if got := c.Agents[0].Rights(); got != want { // no recording block
		t.Fatalf("ada %+v", got)
	}
	want.Auto, want.MaySnip = true, false
	if got := c.Agents[1].Rights(); got != want {
		t.Fatalf("grace %+v, want %+v", got, want)
	}
	if want := (session.Rights{MayRecord: true, MaySnip: true, MayPause: true, Permits: true, AutoPercent: 100, ScreenPercent: 100}); DefaultRights() != want {
		t.Fatalf("defaults %+v", DefaultRights())
	}
	if c.Recording.FileNameTemplate != "{queue}_{agent}_{kind}_{interaction}" {
		t.Fatalf("template %q", c.Recording.FileNameTemplate)
	}
	noRec := strings.Split(testYAML, "recording:")[0]
	if c, err := ParseConfig([]byte(noRec)); err != nil || c.Recording.FileNameTemplate != session.DefaultFileNameTemplate {
		t.Fatalf("without a recording section: %v %+v", err, c)
	}
}

func TestBadRecordingConfigsNameTheKey(t *testing.T) {
	good := string(configs.ChatHub)
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown right", strings.Replace(good, "full_time: true", "full_time: true\n      may_sing: true", 1), []string{"agents[].recording.may_sing", "known keys"}},
		{"bad right value", strings.Replace(good, "full_time: true", "full_time: sometimes", 1), []string{"agents[].recording.full_time", "sometimes", "true or false"}},
		{"bad percent value", strings.Replace(good, "auto_percent: 100", "auto_percent: lots", 1), []string{"auto_percent", "whole number"}},
		{"percent over 100", strings.Replace(good, "auto_percent: 100", "auto_percent: 101", 1), []string{"agents[1].recording.auto_percent", "101"}},
		{"negative screen", strings.Replace(good, "screen_percent: 50", "screen_percent: -1", 1), []string{"agents[1].recording.screen_percent"}},
		{"recording not a mapping", strings.Replace(good, "    recording:\n      may_record: true\n      may_snip: true\n      may_pause: true\n      permits: true", "    recording: yes", 1), []string{"agents[].recording must be a mapping"}},
		{"bad template", strings.Replace(good, "{interaction}\"", "{chat}\"", 1), []string{"recording.filename_template", "{chat}"}},
		{"open brace", strings.Replace(good, "{interaction}\"", "{interaction\"", 1), []string{"recording.filename_template", "never closed"}},
		{"bad role", strings.Replace(good, "role: flow", "role: admin", 1), []string{"recording.api_tokens[1].role", "admin"}},
		{"missing token", strings.Replace(good, "token: demo-token-flow", "token: \"\"", 1), []string{"recording.api_tokens[1].token: missing"}},
		{"duplicate api token", strings.Replace(good, "demo-token-flow", "demo-token-sue", 1), []string{"recording.api_tokens[1].token", "api_tokens[0]"}},
		{"agent token reused", strings.Replace(good, "token: demo-token-flow", "token: demo-token-ada", 1), []string{"recording.api_tokens[1].token", "agent \"ada\""}},
		{"unknown api token key", strings.Replace(good, "role: flow", "role: flow\n      scope: all", 1), []string{"unknown key recording.api_tokens[1].scope"}},
		{"unknown recording key", strings.Replace(good, "recording:\n  # File", "recording:\n  store: s3\n  # File", 1), []string{"unknown key recording.store"}},
		{"bad tag name", strings.Replace(good, "metadata_tags: [case, order]", "metadata_tags: [case, \"order id\"]", 1), []string{"recording.metadata_tags[1]", "order id", "letters, digits"}},
		{"tag twice", strings.Replace(good, "metadata_tags: [case, order]", "metadata_tags: [case, case]", 1), []string{"recording.metadata_tags[1]", "twice"}},
		{"eleven tags (R-V7)", strings.Replace(good, "metadata_tags: [case, order]", "metadata_tags: [a, b, c, d, e, f, g, h, i, j, k]", 1), []string{"recording.metadata_tags", "11 tags; at most 10"}},
		{"bad record", strings.Replace(good, "record: destination", "record: source", 1), []string{"queues[1].record", "source"}},
		{"dest without record", strings.Replace(good, "record: destination", "", 1), []string{"queues[1].recording_dest"}},
		{"consent text without ask", strings.Replace(good, "ask_consent: true", "ask_consent: false", 1), []string{"queues[1].consent_text"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.yaml == good {
				t.Fatal("the replacement did not apply")
			}
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
