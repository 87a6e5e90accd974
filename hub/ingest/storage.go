package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Storage keeps the stored recording files, each under a key: the
// slash-separated store.File.Path, "[dest/]name". The hub's own folder
// (Folder, the default) is one; an S3-compatible bucket
// (hub/ingest/s3files) is another. Retention's archive tier is an optional
// power: Archiver.
type Storage interface {
	// Put stores the verified upload src under a free key in folder dir
	// ("" or one R-G2 dest): name, or name-2, name-3, … before its first
	// dot when taken. It never replaces a stored file. Before it returns
	// the stored bytes are checked against src.SHA256 (and src.Size); on
	// any failure nothing is left stored under the key.
	Put(ctx context.Context, src Upload, dir, name string) (key string, err error)
	// Open opens the file under key (live or archived) for reading at any
	// offset. A key that is not stored is ErrNotStored.
	Open(ctx context.Context, key string) (StoredFile, error)
	// Remove deletes the file under key wherever it is, live and archived
	// (erasure, purge): nothing of it may be read afterwards. A key that
	// is not stored is no error.
	Remove(ctx context.Context, key string) error
}

// Archiver is a Storage with an archive tier (R-V6): another bucket, or
// the folder archive/ beside files/. An archived file keeps its key and
// can still be opened.
type Archiver interface {
	// Archive moves the file under key to the archive tier; a file
	// already archived is no error. A key stored nowhere is ErrNotStored.
	Archive(ctx context.Context, key string) error
	// Restore moves an archived file back; a file already live is no
	// error. A key stored nowhere is ErrNotStored.
	Restore(ctx context.Context, key string) error
	// Archived reports whether the file under key is in the archive tier.
	Archived(ctx context.Context, key string) (bool, error)
}

// Upload is a finished upload, waiting to be stored: on the hub's disk
// (checked against its checksum unless the storage is SelfChecking), or
// in a staging bucket.
type Upload struct {
	Path string // tusd's file of the upload's bytes, when staged in a folder
	// Object is the object that holds the upload's bytes in the staging
	// bucket (s3files.Staging), when staged there; only that bucket's
	// storage takes it.
	Object string
	Size   int64
	SHA256 string // lowercase hex
}

// StoredFile is an open stored file. ReadAt may be called from one
// goroutine at a time; Close is idempotent.
type StoredFile interface {
	io.ReaderAt
	io.Closer
	Size() int64
	ModTime() time.Time
}

// SelfChecking is a Storage whose Put hashes the upload as it reads it to
// store it, and refuses bytes that do not hash to src.SHA256 with an error
// wrapping ErrChecksum, nothing stored: the hub then does not hash the
// upload before it (one read of the file instead of two).
type SelfChecking interface {
	Storage
	ChecksUploads()
}

// ErrChecksum is wrapped by a SelfChecking Put refusing an upload whose
// bytes are not those of its SHA-256 (the hub answers 460).
var ErrChecksum = errors.New("ingest: the upload's bytes do not match its sha256")

// ErrNotStored is returned for a key that no file is stored under.
var ErrNotStored = errors.New("ingest: no file is stored under that key")

// ErrVerify is wrapped when a stored file does not read back as the
// bytes that were put (size or SHA-256).
var ErrVerify = errors.New("ingest: the stored file differs from the upload")

// FreeKeys lists the keys Put tries for name in dir, in order: name, then
// name-2, name-3, … before the first dot of name.
func FreeKeys(dir, name string, yield func(key string) bool) {
	base, ext := name, ""
	if i := strings.IndexByte(name, '.'); i > 0 {
		base, ext = name[:i], name[i:]
	}
	for n := 1; n < 10000; n++ {
		cand := name
		if n > 1 {
			cand = fmt.Sprintf("%s-%d%s", base, n, ext)
		}
		if !yield(path.Join(dir, cand)) {
			return
		}
	}
}

// Folder is the default Storage: files/ under the store folder, the
// upload hard-linked in from uploads/ (no copy), archive/ beside it for
// the archive tier. Every path goes through an os.Root of the store
// folder: no key reaches outside it.
type Folder struct {
	root *os.Root
}

var (
	_ Storage  = (*Folder)(nil)
	_ Archiver = (*Folder)(nil)
)

// NewFolder keeps files in dir/files and archives them to dir/archive;
// the uploads it is given must lie under dir. Close it after use.
func NewFolder(dir string) (*Folder, error) {
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o750); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Folder{root: root}, nil
}

// Close releases the store folder. It is idempotent.
func (s *Folder) Close() error {
	_ = s.root.Close()
	return nil
}

// Put hard-links the upload into files/dir/ under a free name: atomic,
// never replacing. The link is the very file that was hashed, so the
// check after it is its size.
func (s *Folder) Put(_ context.Context, src Upload, dir, name string) (string, error) {
	from, err := filepath.Rel(s.root.Name(), src.Path)
	if err != nil || !filepath.IsLocal(from) {
		return "", fmt.Errorf("ingest: upload %s is not under the store folder", src.Path)
	}
	if err := s.root.MkdirAll(live(dir), 0o750); err != nil {
		return "", err
	}
	var key string
	FreeKeys(dir, name, func(k string) bool {
		if _, serr := s.root.Stat(archived(k)); serr == nil {
			return true // archived under that name
		}
		err = s.root.Link(from, live(k))
		if errors.Is(err, os.ErrExist) {
			return true
		}
		key = k
		return false
	})
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", fmt.Errorf("ingest: no free name for %s in %q", name, dir)
	}
	if fi, err := s.root.Stat(live(key)); err != nil || fi.Size() != src.Size {
		_ = s.root.Remove(live(key))
		return "", fmt.Errorf("%w: %s", ErrVerify, key)
	}
	return key, nil
}

// live and archived are key's names under the store folder.
func live(key string) string     { return path.Join("files", key) }
func archived(key string) string { return path.Join("archive", key) }

// Open opens files/key, or archive/key.
func (s *Folder) Open(_ context.Context, key string) (StoredFile, error) {
	f, err := s.root.Open(live(key))
	if errors.Is(err, os.ErrNotExist) {
		f, err = s.root.Open(archived(key))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotStored, key)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &osFile{File: f, size: fi.Size(), mod: fi.ModTime()}, nil
}

// Remove deletes files/key and archive/key.
func (s *Folder) Remove(_ context.Context, key string) error {
	for _, p := range []string{live(key), archived(key)} {
		if err := s.root.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Archive renames files/key to archive/key.
func (s *Folder) Archive(_ context.Context, key string) error {
	return s.move(live(key), archived(key), key)
}

// Restore renames archive/key back to files/key.
func (s *Folder) Restore(_ context.Context, key string) error {
	return s.move(archived(key), live(key), key)
}

// Archived reports whether archive/key exists.
func (s *Folder) Archived(_ context.Context, key string) (bool, error) {
	if _, err := s.root.Stat(archived(key)); err == nil {
		return true, nil
	}
	if _, err := s.root.Stat(live(key)); err == nil {
		return false, nil
	}
	return false, fmt.Errorf("%w: %s", ErrNotStored, key)
}

// move renames from to to; done already (to there, from not) is no error.
func (s *Folder) move(from, to, key string) error {
	if _, err := s.root.Stat(from); errors.Is(err, os.ErrNotExist) {
		if _, err := s.root.Stat(to); err == nil {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrNotStored, key)
	}
	if err := s.root.MkdirAll(path.Dir(to), 0o750); err != nil {
		return err
	}
	return s.root.Rename(from, to)
}

type osFile struct {
	*os.File
	size   int64
	mod    time.Time
	closed bool
}

func (f *osFile) Size() int64        { return f.size }
func (f *osFile) ModTime() time.Time { return f.mod }

func (f *osFile) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	return f.File.Close()
}

// ErrNoArchive is returned by Archive and Restore when the storage has no
// archive tier.
var ErrNoArchive = errors.New("ingest: the recording storage has no archive tier")

// Storage is where the stored files are kept: the store folder's files/
// (Folder) or an S3 bucket.
func (in *Ingest) Storage() Storage { return in.storage }

// Archive moves stored file f to the storage's archive tier (retention,
// R-V6); it can still be played from there. The index is not changed.
func (in *Ingest) Archive(ctx context.Context, f store.File) error {
	a, ok := in.storage.(Archiver)
	if !ok {
		return ErrNoArchive
	}
	return a.Archive(ctx, f.Path)
}

// Restore moves an archived file f back to the live tier.
func (in *Ingest) Restore(ctx context.Context, f store.File) error {
	a, ok := in.storage.(Archiver)
	if !ok {
		return ErrNoArchive
	}
	return a.Restore(ctx, f.Path)
}

// Ping reports whether the recording files' storage answers (the hub's
// /readyz): the store folder's files/ is there, or the S3 buckets answer.
func (in *Ingest) Ping(ctx context.Context) error {
	if p, ok := in.storage.(store.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Ping reports whether files/ is there.
func (s *Folder) Ping(context.Context) error {
	_, err := s.root.Stat("files")
	return err
}
