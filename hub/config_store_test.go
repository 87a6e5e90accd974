package hub

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
)

func TestStoreConfig(t *testing.T) {
	c, err := ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Dir != "agentdesk-store" || c.Store.MaxUploadBytes != 8<<30 || c.Store.IdentityFile != "" {
		t.Fatalf("shipped store section %+v", c.Store)
	}
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, []byte("x"), 0o600)
	good := string(configs.ChatHub)
	for _, tc := range []struct {
		name, yaml string
		want       []string // words of the error; nil: parses
	}{
		{"default max", strings.Replace(good, "  max_upload_bytes: 8589934592", "", 1), nil},
		{"default partial expiry", strings.Replace(good, "  partial_expiry: 168h", "", 1), nil},
		{"unknown key", strings.Replace(good, "  dir: agentdesk-store", "  dir: agentdesk-store\n  folder: x", 1), []string{"unknown key store.folder"}},
		{"negative max", strings.Replace(good, "max_upload_bytes: 8589934592", "max_upload_bytes: -1", 1), []string{"store.max_upload_bytes", "negative"}},
		{"identity without dir", strings.Replace(good, "  dir: agentdesk-store", "  identity_file: k", 1), []string{"store.identity_file", "store.dir"}},
		{"negative partial expiry", strings.Replace(good, "partial_expiry: 168h", "partial_expiry: -1h", 1), []string{"store.partial_expiry", "negative"}},
		{"tiny partial expiry", strings.Replace(good, "partial_expiry: 168h", "partial_expiry: 30s", 1), []string{"store.partial_expiry", "at least 1m"}},
		{"partial expiry not a duration", strings.Replace(good, "partial_expiry: 168h", "partial_expiry: soon", 1), []string{`store.partial_expiry "soon" is not a duration`, "72h"}},
		{"dir is a file", strings.Replace(good, "dir: agentdesk-store", "dir: "+file, 1), []string{"store.dir", "is a file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.yaml))
			if tc.want == nil {
				if err != nil || c.Store.MaxUploadBytes != DefaultMaxUploadBytes || c.Store.PartialExpiry != DefaultPartialExpiry {
					t.Fatalf("%v %+v", err, c)
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
