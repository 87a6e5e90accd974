// Package s3files keeps the hub's stored recording files in an
// S3-compatible bucket (issue 16): an ingest.Storage and ingest.Archiver
// over minio-go. A finished, checked upload is put from the hub's staging
// folder with the S3 SHA-256 checksums (one PUT, or a multipart upload of
// PartSize parts), and the object's checksum is compared with the
// upload's before the hub acknowledges it; playback reads ranges with
// ranged GETs; the archive tier is a second bucket; objects are written
// with Object Lock when asked and the bucket has it.
package s3files

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/agentdesk/agentdesk/hub/ingest"
)

// DefaultPartSize is the size of a multipart upload's parts when
// Config.PartSize is 0; a file no larger is put with one PUT.
const DefaultPartSize = 16 << 20

// minPartSize is S3's smallest part (but the last).
const minPartSize = 5 << 20

// Config says which server and buckets to use. The secret is never logged.
type Config struct {
	Endpoint string // host:port
	// TLS talks HTTPS; without it the endpoint must be a loopback address
	// (the caller checks: hub config).
	TLS     bool
	RootCAs *x509.CertPool // nil: the system's
	Region  string         // "" for the server's default
	Bucket  string         // the live files
	// ArchiveBucket is the archive tier (Archive, Restore); "" for none.
	ArchiveBucket string
	// ArchiveStorageClass, when set, is the storage class of archived
	// objects (e.g. GLACIER_IR on a server that has it).
	ArchiveStorageClass string
	AccessKeyID         string
	SecretAccessKey     string
	PartSize            int64 // 0: DefaultPartSize; at least 5 MiB
	// PartsInFlight is how many parts of one upload are sent at once
	// (each holds a PartSize buffer); 0: DefaultPartsInFlight.
	PartsInFlight int
	// LockFor, when above 0, writes every object with Object Lock retained
	// this long from its writing (store.immutable), in LockMode
	// (GOVERNANCE when ""), in a bucket that has Object Lock enabled; a
	// bucket without it gets objects without a lock and a warning at Open.
	LockFor  time.Duration
	LockMode string
	// ReadBack hashes every stored object by reading it back, even when
	// the server answers its SHA-256 checksum (it is always done when the
	// server does not).
	ReadBack bool
	Log      *slog.Logger
}

// Store is an ingest.Storage in S3 buckets. Safe for concurrent use.
type Store struct {
	c        *minio.Client
	core     minio.Core
	cfg      Config
	lock     map[string]bool // bucket → written with Object Lock
	log      *slog.Logger
	fetched  atomic.Int64 // bytes asked for by ranged GETs (Fetched)
	gets     atomic.Int64 // ranged GETs made (Gets)
	readBack atomic.Int64 // objects verified by reading them back

	staging  string // the uploads bucket (Staging); "" for none
	mu       sync.Mutex
	reserved map[string]bool // live keys a staged upload is being copied to
}

var (
	_ ingest.Storage  = (*Store)(nil)
	_ ingest.Archiver = (*Store)(nil)
)

// ErrConfig is wrapped by Open's errors about the configuration or the
// buckets.
var ErrConfig = errors.New("s3files")

// Open connects to the server and checks the buckets exist (and which
// have Object Lock). It creates no bucket: an operator does, with Object
// Lock enabled for an immutable store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartsInFlight <= 0 {
		cfg.PartsInFlight = DefaultPartsInFlight
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("%w: part size %d is below S3's 5 MiB", ErrConfig, cfg.PartSize)
	}
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("%w: no bucket", ErrConfig)
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second,
		ResponseHeaderTimeout: time.Minute, DisableCompression: true}
	if cfg.TLS {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs}
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		Secure: cfg.TLS, Region: cfg.Region, Transport: tr, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, cfg.Endpoint, err)
	}
	s := &Store{c: c, core: minio.Core{Client: c}, cfg: cfg, lock: map[string]bool{}, log: cfg.Log}
	for _, b := range []string{cfg.Bucket, cfg.ArchiveBucket} {
		if b == "" {
			continue
		}
		ok, err := c.BucketExists(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("%w: bucket %q at %s: %v", ErrConfig, b, cfg.Endpoint, err)
		}
		if !ok {
			return nil, fmt.Errorf("%w: bucket %q does not exist at %s (create it%s)", ErrConfig, b, cfg.Endpoint,
				map[bool]string{true: " with Object Lock enabled", false: ""}[cfg.LockFor > 0])
		}
		if cfg.LockFor > 0 {
			on, _, _, _, err := c.GetObjectLockConfig(ctx, b)
			s.lock[b] = err == nil && on == "Enabled"
			if !s.lock[b] {
				cfg.Log.Warn("the bucket has no Object Lock: its objects are written without a retention lock", "bucket", b)
			}
		}
	}
	return s, nil
}

// Fetched is how many bytes Open's readers have asked for with ranged
// GETs since the store opened (what the server may send: a read-ahead
// window cut short by a seek is counted whole).
func (s *Store) Fetched() int64 { return s.fetched.Load() }

// Gets is how many ranged GETs Open's readers have made.
func (s *Store) Gets() int64 { return s.gets.Load() }

// ReadBacks is how many stored objects were verified by reading them back.
func (s *Store) ReadBacks() int64 { return s.readBack.Load() }

// Locked reports whether objects put in bucket get an Object Lock.
func (s *Store) Locked(bucket string) bool { return s.lock[bucket] }

// notFound reports whether err is S3's answer for a missing object.
func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == minio.NoSuchKey
}

// taken reports whether key is stored in either bucket.
func (s *Store) taken(ctx context.Context, key string) (bool, error) {
	for _, b := range []string{s.cfg.Bucket, s.cfg.ArchiveBucket} {
		if b == "" {
			continue
		}
		_, err := s.c.StatObject(ctx, b, key, minio.StatObjectOptions{})
		if err == nil {
			return true, nil
		}
		if !notFound(err) {
			return false, err
		}
	}
	return false, nil
}

// Put uploads the checked upload as key in the live bucket and verifies
// the object: its size, and its SHA-256 checksum as the server computed it
// (the whole file's for one PUT; the SHA-256 of the parts' SHA-256s for a
// multipart upload, compared with the same computed here from the file).
// Each request is signed with its body's SHA-256, which the server checks
// too. A mismatch removes the object and wraps ingest.ErrVerify.
func (s *Store) Put(ctx context.Context, src ingest.Upload, dir, name string) (string, error) {
	if src.Object != "" {
		return s.putStaged(ctx, src, dir, name)
	}
	f, err := os.Open(src.Path) // #nosec G304 -- tusd's file of the upload, under the store's uploads/
	if err != nil {
		return "", err
	}
	defer f.Close()
	key, err := s.reserve(ctx, dir, name)
	if err != nil {
		return "", err
	}
	defer s.release(key)
	want, err := s.put(ctx, f, src, key) // the checksum the server should answer, as S3 spells it
	if err == nil {
		err = s.verify(ctx, s.cfg.Bucket, key, src, want)
	}
	if err != nil {
		if rerr := s.Remove(context.WithoutCancel(ctx), key); rerr != nil {
			s.log.Error("an object that failed its upload is left in the bucket", "key", key, "err", rerr)
		}
		return "", err
	}
	return key, nil
}

// putOptions are the options of every object written in bucket.
func (s *Store) putOptions(bucket string) minio.PutObjectOptions {
	o := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if s.lock[bucket] {
		o.Mode = minio.Governance
		if strings.EqualFold(s.cfg.LockMode, "COMPLIANCE") {
			o.Mode = minio.Compliance
		}
		o.RetainUntilDate = time.Now().Add(s.cfg.LockFor).UTC().Truncate(time.Second)
	}
	if bucket == s.cfg.ArchiveBucket && s.cfg.ArchiveStorageClass != "" {
		o.StorageClass = s.cfg.ArchiveStorageClass
	}
	return o
}

// verify checks the object under key in bucket: its size, and its
// SHA-256 checksum against want; when the server answers no checksum (or
// ReadBack is set) it reads the object back and hashes it.
func (s *Store) verify(ctx context.Context, bucket, key string, src ingest.Upload, want string) error {
	st, err := s.c.StatObject(ctx, bucket, key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return fmt.Errorf("s3files: check %s: %w", key, err)
	}
	if st.Size != src.Size {
		return fmt.Errorf("%w: %s holds %d bytes, the upload %d", ingest.ErrVerify, key, st.Size, src.Size)
	}
	if got := st.ChecksumSHA256; got != "" && want != "" && !s.cfg.ReadBack {
		if bare(got) != bare(want) { // a composite may come with or without its "-parts"
			return fmt.Errorf("%w: %s has SHA-256 checksum %s, the upload %s", ingest.ErrVerify, key, got, want)
		}
		return nil
	}
	return s.readBackCheck(ctx, bucket, key, src)
}

// readBackCheck reads the object back and compares its SHA-256.
func (s *Store) readBackCheck(ctx context.Context, bucket, key string, src ingest.Upload) error {
	s.readBack.Add(1)
	obj, err := s.c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("s3files: read back %s: %w", key, err)
	}
	defer obj.Close()
	h := sha256.New()
	n, err := io.Copy(h, obj)
	if err != nil {
		return fmt.Errorf("s3files: read back %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != src.Size || got != src.SHA256 {
		return fmt.Errorf("%w: %s reads back as %d bytes with SHA-256 %s, the upload %d bytes %s", ingest.ErrVerify, key, n, got, src.Size, src.SHA256)
	}
	return nil
}

// bare is a checksum without a composite's "-parts" suffix.
func bare(sum string) string {
	b, _, _ := strings.Cut(sum, "-")
	return b
}
