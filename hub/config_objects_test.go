package hub

import (
	"errors"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
)

// TestObjectsConfig: store.objects is checked before the hub starts: a
// URL, plain http only on loopback, a bucket, parts of at least 5 MiB, a
// known lock mode; the defaults are filled in.
func TestObjectsConfig(t *testing.T) {
	good := string(configs.ChatHub)
	with := func(objects string) string {
		return strings.Replace(good, "  dir: agentdesk-store\n", "  dir: agentdesk-store\n  objects:\n"+objects, 1)
	}
	for _, tc := range []struct {
		name, yaml string
		want       []string // words of the error; nil: parses
	}{
		{"none", good, nil},
		{"https", with("    endpoint: https://s3.example.org\n    bucket: rec\n"), nil},
		{"http on loopback", with("    endpoint: http://127.0.0.1:7070\n    bucket: rec\n    archive_bucket: arc\n"), nil},
		{"http elsewhere", with("    endpoint: http://s3.example.org\n    bucket: rec\n"), []string{"store.objects.endpoint", "in the clear", "https"}},
		{"not a URL", with("    endpoint: s3.example.org:9000\n    bucket: rec\n"), []string{"store.objects.endpoint", "https://"}},
		{"a path", with("    endpoint: https://s3.example.org/rec\n    bucket: rec\n"), []string{"store.objects.endpoint"}},
		{"no bucket", with("    endpoint: https://s3.example.org\n"), []string{"store.objects.bucket"}},
		{"same archive", with("    endpoint: https://s3.example.org\n    bucket: rec\n    archive_bucket: rec\n"), []string{"archive_bucket", "differ"}},
		{"uploads bucket", with("    endpoint: https://s3.example.org\n    bucket: rec\n    uploads_bucket: rec-up\n"), nil},
		{"same uploads bucket", with("    endpoint: https://s3.example.org\n    bucket: rec\n    uploads_bucket: rec\n"), []string{"store.objects.uploads_bucket", "differ"}},
		{"bucket without endpoint", with("    bucket: rec\n"), []string{"store.objects.endpoint"}},
		{"small parts", with("    endpoint: https://s3.example.org\n    bucket: rec\n    part_size: 1048576\n"), []string{"store.objects.part_size", "5 MiB"}},
		{"lock mode", with("    endpoint: https://s3.example.org\n    bucket: rec\n    lock_mode: forever\n"), []string{"store.objects.lock_mode"}},
		{"unknown key", with("    endpoint: https://s3.example.org\n    bucket: rec\n    secret: x\n"), []string{"store.objects.secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.yaml))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if o := c.Store.Objects; o.Endpoint != "" && (o.LockFor != DefaultLockFor || o.LockMode != "GOVERNANCE") {
					t.Fatalf("defaults not filled: %+v", o)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err %v, want ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
