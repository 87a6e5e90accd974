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

// TestStoreDriverConfig (issue 16): store.driver picks SQLite (the
// default) or PostgreSQL, whose connection string comes from store.dsn, a
// file or an environment variable, one of them; errors name the key and
// never show the password.
func TestStoreDriverConfig(t *testing.T) {
	good := string(configs.ChatHub)
	dsnFile := filepath.Join(t.TempDir(), "pg.dsn")
	os.WriteFile(dsnFile, []byte("postgres://hub:from-file@db.example/agentdesk\n"), 0o600)
	t.Setenv("AGENTDESK_PG_TEST", "host=db.example user=hub password=from-env dbname=agentdesk")
	driver := func(lines string) string {
		return strings.Replace(good, "  dir: agentdesk-store", "  dir: agentdesk-store\n"+lines, 1)
	}
	for _, tc := range []struct {
		name, yaml string
		driver     string
		dsn        string   // the DSN read
		want       []string // words of the error; nil: parses
	}{
		{"sqlite by default", good, DriverSQLite, "", nil},
		{"sqlite named", driver("  driver: sqlite"), DriverSQLite, "", nil},
		{"postgres dsn", driver("  driver: postgres\n  dsn: postgres://hub@db.example/agentdesk"), DriverPostgres, "postgres://hub@db.example/agentdesk", nil},
		{"postgres dsn_file", driver("  driver: postgres\n  dsn_file: " + dsnFile), DriverPostgres, "postgres://hub:from-file@db.example/agentdesk", nil},
		{"postgres dsn_env", driver("  driver: postgres\n  dsn_env: AGENTDESK_PG_TEST"), DriverPostgres, "host=db.example user=hub password=from-env dbname=agentdesk", nil},
		{"unknown driver", driver("  driver: mysql"), "", "", []string{"store.driver", `"mysql"`, "sqlite", "postgres"}},
		{"postgres without dsn", driver("  driver: postgres"), "", "", []string{"store.dsn", "store.dsn_file", "store.dsn_env"}},
		{"two dsns", driver("  driver: postgres\n  dsn: postgres://a@b/c\n  dsn_env: AGENTDESK_PG_TEST"), "", "", []string{"one of", "got 2"}},
		{"dsn with sqlite", driver("  dsn: postgres://a@b/c"), "", "", []string{"store.driver: postgres"}},
		{"missing dsn file", driver("  driver: postgres\n  dsn_file: /nonexistent/pg.dsn"), "", "", []string{"store.dsn_file", "no such file"}},
		{"empty env", driver("  driver: postgres\n  dsn_env: AGENTDESK_PG_UNSET_X"), "", "", []string{"store.dsn_env", "AGENTDESK_PG_UNSET_X", "not set"}},
		{"bad dsn", driver("  driver: postgres\n  dsn: \"postgres://hub:s3cret@[oops\""), "", "", []string{"store.dsn", "not a PostgreSQL connection string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.yaml))
			if tc.want == nil {
				if err != nil || c.Store.Driver != tc.driver || c.Store.PostgresDSN() != tc.dsn {
					t.Fatalf("%v: driver %q dsn %q, want %q %q", err, c.Store.Driver, c.Store.PostgresDSN(), tc.driver, tc.dsn)
				}
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err %v, want ErrConfig", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the password: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestOpenStoreWithoutDSN: a config built in code that names PostgreSQL
// without a connection string is refused in words, not connected to
// whatever the environment's PG variables say.
func TestOpenStoreWithoutDSN(t *testing.T) {
	_, err := Open(&Config{Store: StoreConfig{Driver: DriverPostgres}}, Options{})
	if !errors.Is(err, ErrStore) || !strings.Contains(err.Error(), "without a connection string") {
		t.Fatalf("open: %v", err)
	}
}
