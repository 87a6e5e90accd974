package hub

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/retention"
)

// TestPolicyChangeAudited_R_V9: a change of policy IT makes in the config
// (a retention rule, who must give a reason) is in the audit log when the
// hub next starts, naming the sections that changed and their
// fingerprints, never their content; a start on the same config adds
// nothing.
func TestPolicyChangeAudited_R_V9(t *testing.T) {
	dir := t.TempDir()
	start := func(mutate func(*Config)) []string {
		t.Helper()
		s, err := Open(testConfig(t, func(c *Config) {
			c.Store.Dir = dir
			if mutate != nil {
				mutate(c)
			}
		}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { s.Close(); _ = s.CloseStore() }()
		var got []string
		for _, e := range auditOf(t, s, ActionPolicy)[ActionPolicy] {
			if strings.Contains(string(e.Metadata), "secret-rule") || strings.Contains(e.Query, "secret-rule") {
				t.Errorf("the audit holds the config's content: %+v", e)
			}
			if e.User != "config" || e.Role != "it" || e.Outcome != "ok" {
				t.Errorf("policy entry: %+v", e)
			}
			got = append(got, e.Query)
		}
		return got
	}
	if got := start(nil); len(got) != 0 {
		t.Fatalf("first start: %v, want no policy entry", got)
	}
	if got := start(nil); len(got) != 0 {
		t.Fatalf("same config: %v, want none", got)
	}
	changed := func(c *Config) {
		c.Retention.Rules = retention.Rules{{Name: "secret-rule", Age: retention.Age(90 * retention.Day), Action: retention.Purge}}
		c.Access.ReasonRequired = []string{"supervisor"}
	}
	if got := start(changed); len(got) != 1 || got[0] != "changed: access, retention" {
		t.Fatalf("changed config: %v", got)
	}
	if got := start(changed); len(got) != 1 {
		t.Fatalf("the changed config again: %v, want the one entry only", got)
	}
}
