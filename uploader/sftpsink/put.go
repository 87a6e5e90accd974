package sftpsink

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pkg/sftp"

	"github.com/agentdesk/agentdesk/uploader"
)

// Put writes item to its temp name on the server (continuing a partial
// one), fsyncs it, reads it back to check size and SHA-256, writes the
// manifest (name + ".json") and renames the file into place.
func (s *Sink) Put(ctx context.Context, item uploader.Item, r io.ReaderAt, progress func(int64)) error {
	if progress == nil {
		progress = func(int64) {}
	}
	dir, final, tmp, err := s.paths(item)
	if err != nil {
		return err
	}
	ss, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer ss.close()
	c := ss.sftp
	if err := c.MkdirAll(dir); err != nil {
		return fmt.Errorf("sftpsink: mkdir %s: %w", dir, err)
	}
	if err := s.write(ctx, c, item, tmp, r, progress); err != nil {
		return err
	}
	sum, size, err := remoteSum(c, tmp)
	if err != nil {
		return fmt.Errorf("sftpsink: read back %s: %w", tmp, err)
	}
	if sum != item.SHA256 || size != item.Size {
		c.Remove(tmp)
		return fmt.Errorf("sftpsink: %s: the server holds %d bytes with sha256 %s: %w", item.Name, size, sum, uploader.ErrChecksumMismatch)
	}
	man, err := uploader.MarshalManifest(item.Manifest)
	if err != nil {
		return fmt.Errorf("sftpsink: %w", err)
	}
	if err := putSmall(c, final+".json", man); err != nil {
		return fmt.Errorf("sftpsink: manifest: %w", err)
	}
	if err := c.PosixRename(tmp, final); err != nil {
		return fmt.Errorf("sftpsink: rename into place: %w", err)
	}
	if item.Stored != nil {
		item.Stored(final)
	}
	return nil
}

// write sends the bytes the temp file lacks and fsyncs it.
func (s *Sink) write(ctx context.Context, c *sftp.Client, item uploader.Item, tmp string, r io.ReaderAt, progress func(int64)) error {
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE)
	if err != nil {
		return fmt.Errorf("sftpsink: open %s: %w", tmp, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sftpsink: stat %s: %w", tmp, err)
	}
	off := resumePoint(st.Size(), item.Size)
	if err := f.Truncate(off); err != nil {
		return fmt.Errorf("sftpsink: truncate: %w", err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("sftpsink: seek: %w", err)
	}
	progress(off)
	src := &hookReader{ctx: ctx, r: io.NewSectionReader(r, off, item.Size-off), base: off, off: off, progress: progress}
	if _, err := f.ReadFrom(src); err != nil {
		return fmt.Errorf("sftpsink: send %s at byte %d: %w", item.Name, src.off, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sftpsink: fsync %s: %w", tmp, err)
	}
	return f.Close()
}

// resumeSlack is how far behind a partial temp file's end a resumed
// upload starts: writes go out concurrently (up to 64 packets of 32 KiB),
// so after a cut the bytes just below the end may be a hole.
const resumeSlack = 64 * 32 << 10

// resumePoint is where to continue a temp file of have bytes, of a file
// of size bytes.
func resumePoint(have, size int64) int64 {
	if have > size {
		return 0
	}
	return max(0, have-resumeSlack)
}

// putSmall writes a small file through a temp name and a rename.
func putSmall(c *sftp.Client, p string, data []byte) error {
	tmp := p + ".tmp"
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.PosixRename(tmp, p)
	}
	return err
}

// hookReader stops at ctx and reports the absolute offset.
type hookReader struct {
	ctx      context.Context
	r        *io.SectionReader
	base     int64 // where r starts in the file
	off      int64
	progress func(int64)
}

// Len tells pkg/sftp how much is left, so it writes concurrently.
func (h *hookReader) Len() int { return int(h.r.Size() - (h.off - h.base)) }

func (h *hookReader) Read(p []byte) (int, error) {
	if err := h.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := h.r.Read(p)
	h.off += int64(n)
	if n > 0 {
		h.progress(h.off)
	}
	return n, err
}
