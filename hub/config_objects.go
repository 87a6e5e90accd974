package hub

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/ingest/s3files"
)

// Environment variables that give the S3 credentials when the config does
// not (the secret is best kept out of the config file).
const (
	EnvS3AccessKeyID     = "CHATHUB_S3_ACCESS_KEY_ID"
	EnvS3SecretAccessKey = "CHATHUB_S3_SECRET_ACCESS_KEY" // #nosec G101 -- the variable's name, not a secret
)

// DefaultLockFor is how long an object is retained by Object Lock in an
// immutable store when store.objects.lock_for is left out: a year.
const DefaultLockFor = 365 * 24 * time.Hour

// ObjectsConfig is "store.objects:": the recording files in an
// S3-compatible bucket instead of store.dir/files (issue 16). store.dir
// still holds the index and the unfinished uploads; a finished upload is
// checked there, put into the bucket, and acknowledged once the object's
// checksum matches. Empty Endpoint: the files stay in store.dir/files.
type ObjectsConfig struct {
	// Endpoint is the server's URL: https://s3.example.org or
	// https://host:port; http:// only for a loopback address.
	Endpoint string `yaml:"endpoint"`
	Region   string `yaml:"region"`
	Bucket   string `yaml:"bucket"`
	// ArchiveBucket is retention's archive tier (R-V6): archived files move
	// there and back. Empty: no archive tier in S3.
	ArchiveBucket string `yaml:"archive_bucket"`
	// UploadsBucket keeps the unfinished uploads (issue 16): any hub of a
	// cluster continues an upload another began, from the offset it
	// acknowledged, so a hub killed mid-upload costs the desktop nothing
	// it sent. It must differ from the other buckets and hold no default
	// Object Lock retention. Empty: unfinished uploads stay in
	// store.dir/uploads, which only hubs sharing that folder continue.
	UploadsBucket string `yaml:"uploads_bucket"`
	// ArchiveStorageClass is the storage class archived objects are
	// written with (e.g. GLACIER_IR); empty for the server's default.
	ArchiveStorageClass string `yaml:"archive_storage_class"`
	// AccessKeyID, or $CHATHUB_S3_ACCESS_KEY_ID.
	AccessKeyID string `yaml:"access_key_id"`
	// SecretAccessKeyFile holds the secret key (one line); without it
	// $CHATHUB_S3_SECRET_ACCESS_KEY. The secret is never logged.
	SecretAccessKeyFile string `yaml:"secret_access_key_file"`
	// CAFile is a PEM bundle the server's certificate must chain to,
	// instead of the system's.
	CAFile string `yaml:"ca_file"`
	// PartSize is the multipart upload's part size in bytes (at least
	// 5 MiB); 0 means 16 MiB. A file no larger goes in one PUT.
	PartSize int64 `yaml:"part_size"`
	// LockFor is how long Object Lock retains each object when
	// store.immutable is set and the bucket has Object Lock; 0 means a
	// year. LockMode is GOVERNANCE (the default: erasure under R-H6 can
	// still delete, with the bypass permission) or COMPLIANCE (nobody can,
	// erasure included, until the date).
	LockFor  time.Duration `yaml:"lock_for"`
	LockMode string        `yaml:"lock_mode"`
	// ReadBack verifies every stored object by reading it back and
	// hashing it, even when the server answers its SHA-256 checksum.
	ReadBack bool `yaml:"read_back"`
}

// validateObjects checks store.objects and fills in its defaults.
func (c *Config) validateObjects(bad func(string, ...any)) {
	o := &c.Store.Objects
	if o.Endpoint == "" {
		if o.Bucket != "" || o.ArchiveBucket != "" || o.UploadsBucket != "" || o.AccessKeyID != "" || o.SecretAccessKeyFile != "" {
			bad("store.objects.endpoint: set the S3 server's URL the other store.objects keys are for")
		}
		return
	}
	if c.Store.Dir == "" {
		bad("store.objects: set store.dir too (it holds the index and the unfinished uploads)")
	}
	if _, _, err := objectsEndpoint(o.Endpoint); err != nil {
		bad("store.objects.endpoint: %v", err)
	}
	if o.Bucket == "" {
		bad("store.objects.bucket: name the bucket recordings are stored in")
	}
	if o.ArchiveBucket != "" && o.ArchiveBucket == o.Bucket {
		bad("store.objects.archive_bucket: must differ from store.objects.bucket")
	}
	if o.UploadsBucket != "" && (o.UploadsBucket == o.Bucket || o.UploadsBucket == o.ArchiveBucket) {
		bad("store.objects.uploads_bucket: must differ from store.objects.bucket and archive_bucket (its objects are deleted once stored)")
	}
	if o.PartSize != 0 && o.PartSize < 5<<20 {
		bad("store.objects.part_size: %d is below S3's smallest part, 5 MiB (5242880); leave it out for 16 MiB", o.PartSize)
	}
	if o.LockFor < 0 {
		bad("store.objects.lock_for: %s is negative", o.LockFor)
	}
	if o.LockFor == 0 {
		o.LockFor = DefaultLockFor
	}
	switch strings.ToUpper(o.LockMode) {
	case "":
		o.LockMode = "GOVERNANCE"
	case "GOVERNANCE", "COMPLIANCE":
		o.LockMode = strings.ToUpper(o.LockMode)
	default:
		bad("store.objects.lock_mode: %q is neither GOVERNANCE nor COMPLIANCE", o.LockMode)
	}
}

// objectsEndpoint splits the endpoint URL into host:port and whether to
// use TLS; plain http is refused but for a loopback address.
func objectsEndpoint(raw string) (hostport string, tls bool, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("%q is not a server's URL such as https://s3.example.org:9000", raw)
	}
	switch u.Scheme {
	case "https":
		return u.Host, true, nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return u.Host, false, nil
		}
		return "", false, fmt.Errorf("%q: plain http sends recordings and signatures in the clear; use https (http only for a loopback address)", raw)
	}
	return "", false, fmt.Errorf("%q: the URL must start with https:// (or http:// on loopback)", raw)
}

// openObjects connects the S3 storage store.objects names (nil, nil when
// it names none). The credentials come from the config, its secret file
// or the environment.
func openObjects(ctx context.Context, sc StoreConfig, log *slog.Logger) (*s3files.Store, error) {
	o := sc.Objects
	if o.Endpoint == "" {
		return nil, nil
	}
	host, secure, err := objectsEndpoint(o.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("store.objects.endpoint: %v", err)
	}
	cfg := s3files.Config{Endpoint: host, TLS: secure, Region: o.Region, Bucket: o.Bucket, ArchiveBucket: o.ArchiveBucket,
		ArchiveStorageClass: o.ArchiveStorageClass, AccessKeyID: o.AccessKeyID, PartSize: o.PartSize, ReadBack: o.ReadBack, Log: log}
	if cfg.AccessKeyID == "" {
		cfg.AccessKeyID = os.Getenv(EnvS3AccessKeyID)
	}
	if o.SecretAccessKeyFile != "" {
		b, err := os.ReadFile(o.SecretAccessKeyFile)
		if err != nil {
			return nil, fmt.Errorf("store.objects.secret_access_key_file: %v", err)
		}
		cfg.SecretAccessKey = strings.TrimSpace(string(b))
	} else {
		cfg.SecretAccessKey = os.Getenv(EnvS3SecretAccessKey)
	}
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, fmt.Errorf("store.objects: no credentials: set access_key_id (or $%s) and secret_access_key_file (or $%s)",
			EnvS3AccessKeyID, EnvS3SecretAccessKey)
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("store.objects.ca_file: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("store.objects.ca_file: %s holds no PEM certificate", o.CAFile)
		}
	}
	if sc.Immutable {
		cfg.LockFor, cfg.LockMode = o.LockFor, o.LockMode
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := s3files.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	log.Info("recording files in S3", "endpoint", o.Endpoint, "bucket", o.Bucket, "archive_bucket", o.ArchiveBucket, "uploads_bucket", o.UploadsBucket,
		"object_lock", st.Locked(o.Bucket))
	return st, nil
}
