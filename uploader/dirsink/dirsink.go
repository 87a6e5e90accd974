// Package dirsink delivers recordings to a local (or mounted) folder: write
// a temp file, fsync, read it back to verify the SHA-256, rename into
// place, fsync the folder. A partial temp file is resumed by its size.
package dirsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/durable"
)

// Sink stores files under a folder; Manifest.Dest picks a sub-folder.
type Sink struct {
	dir string
}

var (
	_ uploader.Sink     = (*Sink)(nil)
	_ uploader.Resumer  = (*Sink)(nil)
	_ uploader.Verifier = (*Sink)(nil)
)

// New returns a Sink storing under dir, creating it when missing.
func New(dir string) (*Sink, error) {
	if dir == "" {
		return nil, errors.New("dirsink: no folder given")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("dirsink: %w", err)
	}
	return &Sink{dir: dir}, nil
}

// paths returns the folder, the final path and the temp path for item.
func (s *Sink) paths(item uploader.Item) (dir, final, tmp string, err error) {
	dest, name, partial, err := item.Target()
	if err != nil {
		return "", "", "", fmt.Errorf("dirsink: %w", err)
	}
	dir = filepath.Join(s.dir, dest)
	return dir, filepath.Join(dir, name), filepath.Join(dir, partial), nil
}

// Put writes item to a temp file (continuing a partial one), fsyncs it,
// checks its SHA-256 by reading it back, and renames it into place with
// its manifest beside it (name + ".json").
func (s *Sink) Put(ctx context.Context, item uploader.Item, r io.ReaderAt, progress func(int64)) error {
	if progress == nil {
		progress = func(int64) {}
	}
	dir, final, tmp, err := s.paths(item)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("dirsink: %w", err)
	}
	if err := s.write(ctx, item, tmp, r, progress); err != nil {
		return err
	}
	sum, size, err := uploader.FileSum(tmp)
	if err != nil {
		return fmt.Errorf("dirsink: read back: %w", err)
	}
	if sum != item.SHA256 || size != item.Size {
		os.Remove(tmp)
		return fmt.Errorf("dirsink: %s: wrote %d bytes with sha256 %s: %w", item.Name, size, sum, uploader.ErrChecksumMismatch)
	}
	man, err := uploader.MarshalManifest(item.Manifest)
	if err == nil {
		err = durable.WriteFile(final+".json", man, 0o640)
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = durable.SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("dirsink: %s: %w", item.Name, err)
	}
	if item.Stored != nil {
		item.Stored(final)
	}
	return nil
}

// write appends the missing bytes of item to tmp and fsyncs it.
func (s *Sink) write(ctx context.Context, item uploader.Item, tmp string, r io.ReaderAt, progress func(int64)) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("dirsink: open temp: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("dirsink: %w", err)
	}
	off := st.Size()
	if off > item.Size {
		off = 0
	}
	if err := f.Truncate(off); err != nil {
		return fmt.Errorf("dirsink: %w", err)
	}
	progress(off)
	src := &ctxReader{ctx: ctx, r: io.NewSectionReader(r, off, item.Size-off), off: off, progress: progress}
	if _, err := io.Copy(io.NewOffsetWriter(f, off), src); err != nil {
		f.Sync() // keep what was written for the next attempt
		return fmt.Errorf("dirsink: write %s at byte %d: %w", item.Name, src.off, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("dirsink: fsync: %w", err)
	}
	return f.Close()
}

// Offset returns the size of item's partial temp file.
func (s *Sink) Offset(ctx context.Context, item uploader.Item) (int64, error) {
	_, _, tmp, err := s.paths(item)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(tmp)
	if err != nil || st.Size() > item.Size {
		return 0, nil
	}
	return st.Size(), nil
}

// Verify reads the stored file back and compares its SHA-256.
func (s *Sink) Verify(ctx context.Context, item uploader.Item) (string, error) {
	_, final, _, err := s.paths(item)
	if err != nil {
		return "", err
	}
	sum, size, err := uploader.FileSum(final)
	if err != nil || sum != item.SHA256 || size != item.Size {
		return "", fmt.Errorf("dirsink: %s: %w", item.Name, uploader.ErrNotStored)
	}
	return final, nil
}

// ctxReader stops at ctx and reports the absolute offset.
type ctxReader struct {
	ctx      context.Context
	r        io.Reader
	off      int64
	progress func(int64)
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.off += int64(n)
	if n > 0 {
		c.progress(c.off)
	}
	return n, err
}
