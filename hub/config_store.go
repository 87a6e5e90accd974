package hub

import (
	"filippo.io/age"
	"os"
	"time"
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
	// Immutable refuses every deletion of a recording (retention's purge,
	// a compliance erasure) before the retention rules say purge for it,
	// whoever asks: write-once storage, SEC 17a-4 style (R-V6,
	// docs/retention.md).
	Immutable bool `yaml:"immutable"`
}

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
	if s.Dir != "" {
		if fi, err := os.Stat(s.Dir); err == nil && !fi.IsDir() {
			bad("store.dir: %q is a file, not a folder", s.Dir)
		}
	}
}
