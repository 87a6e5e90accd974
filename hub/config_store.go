package hub

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// DefaultMaxUploadBytes bounds one uploaded recording file when
// store.max_upload_bytes is left out: 8 GiB.
const DefaultMaxUploadBytes = 8 << 30

// DefaultPartialExpiry is how long an unfinished upload may sit untouched
// before the hub deletes it, when store.partial_expiry is left out: a week.
const DefaultPartialExpiry = 7 * 24 * time.Hour

// StoreConfig is the top-level "store:" section: where uploaded recordings
// are kept and indexed (issue 6). An empty Dir means the hub has no store:
// /v1/uploads/ and /v1/files/ then answer 503.
type StoreConfig struct {
	// Dir holds the index (index.db), the stored files (files/, one
	// sub-folder per R-G2 dest) and unfinished uploads (uploads/). A
	// relative path is relative to the hub's working directory.
	Dir string `yaml:"dir"`
	// MaxUploadBytes is the largest file one upload may carry; 0 means
	// DefaultMaxUploadBytes.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// IdentityFile is an age identity file (AGE-SECRET-KEY-1…) with which
	// the hub decrypts stored recordings for playback (?decrypt=1).
	// Optional: without it encrypted files are served only as they are.
	IdentityFile string `yaml:"identity_file"`
	// Recipient is the age public key (age1…) desktops encrypt recordings
	// to when they are given none: the hub tells it in the agent's
	// welcome. Empty: the recipient of IdentityFile's first X25519 identity.
	Recipient string `yaml:"recipient"`
	// PartialExpiry is how long an unfinished upload may go without a
	// byte before the hub deletes its part (the desktop still holds the
	// whole file and starts that upload again from byte 0). 0 means
	// DefaultPartialExpiry.
	PartialExpiry time.Duration `yaml:"partial_expiry"`
	// Driver is the database of the hub's memory and the recordings'
	// index: DriverSQLite (the default: index.db in Dir, or memory
	// without Dir) or DriverPostgres (a PostgreSQL database several hubs
	// share, issue 16; Dir still holds the recording files).
	Driver string `yaml:"driver"`
	// DSN, DSNFile and DSNEnv give the PostgreSQL connection string
	// (postgres://user:password@host:5432/db or key=value words), one of
	// them: as it is, in a file (its first line), or in an environment
	// variable, so that the password stays out of the config file. Never
	// logged with its password.
	DSN     string `yaml:"dsn"`
	DSNFile string `yaml:"dsn_file"`
	DSNEnv  string `yaml:"dsn_env"`
	// Immutable refuses every deletion of a recording (retention's purge,
	// a compliance erasure) before the retention rules say purge for it,
	// whoever asks: write-once storage, SEC 17a-4 style (R-V6,
	// docs/retention.md).
	Immutable bool `yaml:"immutable"`
	// Objects puts the recording files in an S3-compatible bucket
	// (config_objects.go); empty: in Dir/files. With Immutable, each
	// object is written with Object Lock when the bucket has it.
	Objects ObjectsConfig `yaml:"objects"`

	dsn string // the connection string read from DSN, DSNFile or DSNEnv
}

// The store drivers (StoreConfig.Driver).
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// PostgresDSN is the PostgreSQL connection string the config gives (read
// from store.dsn, store.dsn_file or store.dsn_env when it was validated);
// "" with the SQLite driver. It holds the password: never log it.
func (s *StoreConfig) PostgresDSN() string { return s.dsn }

// validateStore checks the store section and fills in its defaults.
func (c *Config) validateStore(bad func(string, ...any)) {
	s := &c.Store
	if s.MaxUploadBytes < 0 {
		bad("store.max_upload_bytes: %d is negative; leave it out for %d (8 GiB) or give a size in bytes", s.MaxUploadBytes, int64(DefaultMaxUploadBytes))
	}
	if s.MaxUploadBytes == 0 {
		s.MaxUploadBytes = DefaultMaxUploadBytes
	}
	switch {
	case s.PartialExpiry < 0:
		bad("store.partial_expiry: %s is negative; leave it out for %s or give a duration such as 72h", s.PartialExpiry, DefaultPartialExpiry)
	case s.PartialExpiry == 0:
		s.PartialExpiry = DefaultPartialExpiry
	case s.PartialExpiry < time.Minute:
		bad("store.partial_expiry: %s would delete uploads that are only paused; give at least 1m (a week, 168h, is the default)", s.PartialExpiry)
	}
	if s.Recipient != "" {
		if _, err := age.ParseX25519Recipient(s.Recipient); err != nil {
			bad("store.recipient: %q is not an age public key (age1…): %v", s.Recipient, err)
		}
	}
	if s.IdentityFile != "" && s.Dir == "" {
		bad("store.identity_file: set only with store.dir (a hub without a store has nothing to decrypt)")
	}
	c.validateObjects(bad)
	if s.Dir != "" {
		if fi, err := os.Stat(s.Dir); err == nil && !fi.IsDir() {
			bad("store.dir: %q is a file, not a folder", s.Dir)
		}
	}
	s.validateDriver(bad)
}

// validateDriver checks store.driver and reads the PostgreSQL DSN.
func (s *StoreConfig) validateDriver(bad func(string, ...any)) {
	given := 0
	for _, v := range []string{s.DSN, s.DSNFile, s.DSNEnv} {
		if v != "" {
			given++
		}
	}
	switch s.Driver {
	case "", DriverSQLite:
		s.Driver = DriverSQLite
		if given > 0 {
			bad("store.dsn, store.dsn_file and store.dsn_env are for store.driver: postgres (the SQLite store is index.db in store.dir)")
		}
		return
	case DriverPostgres:
	default:
		bad("store.driver: %q: want sqlite (the default) or postgres", s.Driver)
		return
	}
	if given != 1 {
		bad("store.driver: postgres needs the connection string in one of store.dsn, store.dsn_file or store.dsn_env (got %d)", given)
		return
	}
	where := "store.dsn"
	switch {
	case s.DSN != "":
		s.dsn = s.DSN
	case s.DSNFile != "":
		where = "store.dsn_file"
		b, err := os.ReadFile(s.DSNFile) // #nosec G304 -- the file the operator names
		if err != nil {
			bad("store.dsn_file: %v", err)
			return
		}
		s.dsn, _, _ = strings.Cut(strings.TrimSpace(string(b)), "\n")
	default:
		where = "store.dsn_env"
		if s.dsn = os.Getenv(s.DSNEnv); s.dsn == "" {
			bad("store.dsn_env: the environment variable %s is empty or not set", s.DSNEnv)
			return
		}
	}
	if _, err := pgconn.ParseConfig(s.dsn); err != nil { // its errors never show the password
		bad("%s: not a PostgreSQL connection string (postgres://user@host:5432/db or host=… dbname=…): %v", where, err)
	}
}

// openStore opens the store the config names: PostgreSQL, SQLite's
// index.db in the store folder, or SQLite in memory without one.
func openStore(sc StoreConfig, log *slog.Logger) (store.Store, error) {
	if sc.Driver == DriverPostgres {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		dsn := sc.dsn
		if dsn == "" {
			dsn = sc.DSN // a config built in code, not validated
		}
		if dsn == "" {
			return nil, fmt.Errorf("%w: store.driver: postgres without a connection string (store.dsn, store.dsn_file or store.dsn_env)", ErrStore)
		}
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStore, err)
		}
		// One core per database: it resumes every live chat it finds
		// (store.ErrInUse when another holds it: role auto's election).
		if err := st.LockHub(ctx); err != nil {
			_ = st.Close()
			return nil, fmt.Errorf("%w: %s: %w", ErrStore, postgres.Redact(dsn), err)
		}
		log.Info("store: PostgreSQL", "database", postgres.Redact(dsn))
		return st, nil
	}
	if sc.Dir == "" {
		log.Warn("store.dir is not set: chats and recordings are kept in memory and lost when the hub stops")
		st, err := sqlite.OpenMemory()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStore, err)
		}
		return st, nil
	}
	if err := os.MkdirAll(sc.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStore, err)
	}
	st, err := sqlite.Open(filepath.Join(sc.Dir, "index.db"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return st, nil
}
