package s3files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/agentdesk/agentdesk/hub/ingest"
)

// Open finds key in the live bucket, then in the archive bucket (one HEAD
// each at most), and returns a reader that fetches only what is read:
// ranged GETs, never the whole object, never a temporary file.
func (s *Store) Open(ctx context.Context, key string) (ingest.StoredFile, error) {
	for _, b := range []string{s.cfg.Bucket, s.cfg.ArchiveBucket} {
		if b == "" {
			continue
		}
		st, err := s.c.StatObject(ctx, b, key, minio.StatObjectOptions{})
		if err == nil {
			return &object{s: s, ctx: ctx, bucket: b, key: key, etag: st.ETag, size: st.Size, mod: st.LastModified}, nil
		}
		if !notFound(err) {
			return nil, fmt.Errorf("s3files: open %s: %w", key, err)
		}
	}
	return nil, fmt.Errorf("%w: %s", ingest.ErrNotStored, key)
}

// Reads that follow one another keep one GET open and read on from it;
// its range grows from firstWindow to maxWindow while they do, so a
// whole-file download costs few requests and a seek fetches little beyond
// what it reads.
const (
	firstWindow = 256 << 10
	maxWindow   = 8 << 20
)

// object is an io.ReaderAt over ranged GETs of one object version (its
// ETag pinned with If-Match). Safe for concurrent use (one GET at a time).
type object struct {
	s           *Store
	ctx         context.Context // the request's: a GET ends with it
	bucket, key string
	etag        string
	size        int64
	mod         time.Time

	mu     sync.Mutex
	body   io.ReadCloser // the open GET, or nil
	pos    int64         // the offset body reads next
	end    int64         // where body's range ends (exclusive)
	window int64
	closed bool
}

func (o *object) Size() int64        { return o.size }
func (o *object) ModTime() time.Time { return o.mod }

// ReadAt reads len(p) bytes at off (fewer, with io.EOF, at the end).
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("s3files: negative offset")
	}
	if off >= o.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), o.size-off)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, errors.New("s3files: read of a closed object")
	}
	n := 0
	for int64(n) < want {
		if o.body == nil || o.pos != off+int64(n) || o.pos >= o.end {
			if err := o.open(off+int64(n), want-int64(n)); err != nil {
				return n, err
			}
		}
		k, err := io.ReadFull(o.body, p[n:min(want, int64(n)+o.end-o.pos)])
		n += k
		o.pos += int64(k)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			o.drop()
			return n, fmt.Errorf("s3files: read %s: %w", o.key, err)
		}
		if k == 0 {
			o.drop()
			return n, fmt.Errorf("s3files: read %s: the server sent less than asked", o.key)
		}
	}
	if int64(n) < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// open starts a GET at off for at least need bytes: the window, doubled
// when the read follows the last one, else first again.
func (o *object) open(off, need int64) error {
	if o.body != nil && o.pos == off {
		o.window = min(o.window*2, maxWindow) // sequential: read on further
	} else {
		o.window = firstWindow
	}
	o.drop()
	end := min(o.size, off+max(need, o.window))
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, end-1); err != nil {
		return err
	}
	if o.etag != "" {
		if err := opts.SetMatchETag(o.etag); err != nil {
			return err
		}
	}
	o.s.gets.Add(1)
	o.s.fetched.Add(end - off)
	body, _, _, err := o.s.core.GetObject(o.ctx, o.bucket, o.key, opts)
	if err != nil {
		return fmt.Errorf("s3files: get %s bytes %d-%d: %w", o.key, off, end-1, err)
	}
	o.body, o.pos, o.end = body, off, end
	return nil
}

func (o *object) drop() {
	if o.body != nil {
		_ = o.body.Close()
		o.body = nil
	}
}

// Close ends the open GET; it is idempotent.
func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.drop()
	o.closed = true
	return nil
}

// Remove deletes every version of key in both buckets (a bucket with
// Object Lock keeps versions: each is deleted, bypassing a GOVERNANCE
// retention; a COMPLIANCE one refuses, and so does Remove).
func (s *Store) Remove(ctx context.Context, key string) error {
	for _, b := range []string{s.cfg.Bucket, s.cfg.ArchiveBucket} {
		if b != "" {
			if err := s.removeFrom(ctx, b, key); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) removeFrom(ctx context.Context, bucket, key string) error {
	if !s.lock[bucket] {
		err := s.c.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{})
		if err != nil && !notFound(err) {
			return fmt.Errorf("s3files: remove %s from %s: %w", key, bucket, err)
		}
		return nil
	}
	for v := range s.c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if v.Err != nil {
			return fmt.Errorf("s3files: list the versions of %s in %s: %w", key, bucket, v.Err)
		}
		if v.Key != key {
			continue
		}
		err := s.c.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{VersionID: v.VersionID, GovernanceBypass: true})
		if err != nil && !notFound(err) {
			return fmt.Errorf("s3files: remove %s (version %s) from %s: %w", key, v.VersionID, bucket, err)
		}
	}
	return nil
}

// Archive copies key into the archive bucket (server side), checks the
// copy's size and checksum, then removes it from the live bucket.
func (s *Store) Archive(ctx context.Context, key string) error {
	return s.move(ctx, key, s.cfg.Bucket, s.cfg.ArchiveBucket)
}

// Restore moves an archived key back into the live bucket.
func (s *Store) Restore(ctx context.Context, key string) error {
	return s.move(ctx, key, s.cfg.ArchiveBucket, s.cfg.Bucket)
}

// Archived reports whether key is in the archive bucket.
func (s *Store) Archived(ctx context.Context, key string) (bool, error) {
	if s.cfg.ArchiveBucket == "" {
		return false, errNoArchive
	}
	for i, b := range []string{s.cfg.ArchiveBucket, s.cfg.Bucket} {
		_, err := s.c.StatObject(ctx, b, key, minio.StatObjectOptions{})
		if err == nil {
			return i == 0, nil
		}
		if !notFound(err) {
			return false, fmt.Errorf("s3files: stat %s: %w", key, err)
		}
	}
	return false, fmt.Errorf("%w: %s", ingest.ErrNotStored, key)
}

var errNoArchive = fmt.Errorf("%w: no archive bucket is configured (store.objects.archive_bucket)", ingest.ErrNoArchive)

// move copies key from one bucket to the other and removes the source
// once the copy checks out. Already moved (in to, not in from) is no
// error; a copy in both (a move cut short) is finished.
func (s *Store) move(ctx context.Context, key, from, to string) error {
	if s.cfg.ArchiveBucket == "" {
		return errNoArchive
	}
	src, err := s.c.StatObject(ctx, from, key, minio.StatObjectOptions{Checksum: true})
	if notFound(err) {
		if _, err := s.c.StatObject(ctx, to, key, minio.StatObjectOptions{}); err == nil {
			return nil
		}
		return fmt.Errorf("%w: %s", ingest.ErrNotStored, key)
	}
	if err != nil {
		return fmt.Errorf("s3files: stat %s in %s: %w", key, from, err)
	}
	o := s.putOptions(to)
	dst := minio.CopyDestOptions{Bucket: to, Object: key, Mode: o.Mode, RetainUntilDate: o.RetainUntilDate}
	if o.StorageClass != "" {
		dst.ReplaceMetadata, dst.UserMetadata = true, map[string]string{"X-Amz-Storage-Class": o.StorageClass}
	}
	if _, err := s.c.ComposeObject(ctx, dst, minio.CopySrcOptions{Bucket: from, Object: key, MatchETag: src.ETag}); err != nil {
		return fmt.Errorf("s3files: copy %s from %s to %s: %w", key, from, to, err)
	}
	got, err := s.c.StatObject(ctx, to, key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return fmt.Errorf("s3files: check the copy of %s in %s: %w", key, to, err)
	}
	if got.Size != src.Size || (src.ChecksumSHA256 != "" && got.ChecksumSHA256 != "" && bare(got.ChecksumSHA256) != bare(src.ChecksumSHA256) &&
		!bothComposite(got.ChecksumSHA256, src.ChecksumSHA256)) {
		_ = s.removeFrom(context.WithoutCancel(ctx), to, key)
		return fmt.Errorf("%w: the copy of %s in %s (%d bytes, %s) differs from the original (%d bytes, %s)", ingest.ErrVerify,
			key, to, got.Size, got.ChecksumSHA256, src.Size, src.ChecksumSHA256)
	}
	return s.removeFrom(ctx, from, key)
}

// bothComposite: a multipart copy's composite checksum depends on its own
// parts, so two composites of the same bytes may differ.
func bothComposite(a, b string) bool {
	return a != bare(a) || b != bare(b)
}

// Ping reports whether the server answers and the buckets are there (the
// hub's /readyz).
func (s *Store) Ping(ctx context.Context) error {
	for _, b := range []string{s.cfg.Bucket, s.cfg.ArchiveBucket, s.staging} {
		if b == "" {
			continue
		}
		ok, err := s.c.BucketExists(ctx, b)
		if err != nil {
			return fmt.Errorf("s3 %s: %w", s.cfg.Endpoint, err)
		}
		if !ok {
			return fmt.Errorf("s3 %s: bucket %q is gone", s.cfg.Endpoint, b)
		}
	}
	return nil
}
