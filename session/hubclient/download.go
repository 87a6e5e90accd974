package hubclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Saved is a file Download wrote.
type Saved struct {
	Path   string // where it is, never a file that was there before
	Size   int64
	SHA256 string // of the saved bytes (lowercase hex)
	// Checked says in words what was verified of the bytes.
	Checked string
}

// maxSameName bounds the (1), (2)… tried beside a taken name.
const maxSameName = 10000

// Download saves a stored file, decrypted by the hub (GET
// /v1/files/{id}?decrypt=1), into dir (made when missing) under the
// store's name without .age; a name already taken gets " (1)", " (2)"…
// before its extension: nothing is ever overwritten. The bytes stream to a
// hidden temporary file in dir, hashed on the way, and take their name
// only once all of them arrived and passed the checks: all the bytes the
// hub announced; for a file stored unencrypted, the SHA-256 the store
// keeps. (A sealed file's stored SHA-256 is of its sealed bytes, which the
// hub opens with age: every 64 KiB chunk is authenticated, so a changed
// byte fails the download.) progress, when not nil, gets the bytes so far
// and the total (-1 when the hub did not say). A failed or cancelled
// download leaves nothing behind.
func (s *Store) Download(ctx context.Context, f StoredFile, dir string, progress func(done, total int64)) (Saved, error) {
	name := saveName(f)
	if strings.TrimSpace(dir) == "" {
		return Saved{}, errors.New("no folder to save into")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Saved{}, fmt.Errorf("cannot make the folder: %w", err)
	}
	resp, err := s.get(ctx, "/v1/files/"+url.PathEscape(f.ID)+"?decrypt=1")
	if err != nil {
		return Saved{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return Saved{}, s.statusErr("file "+f.Name, resp)
	}
	total := resp.ContentLength
	tmp, err := os.CreateTemp(dir, "."+name+".*.part")
	if err != nil {
		return Saved{}, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	body := io.Reader(resp.Body)
	if progress != nil {
		progress(0, total)
		body = &countReader{r: resp.Body, total: total, report: progress}
	}
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if ctx.Err() != nil {
		return Saved{}, ctx.Err()
	}
	sum := hex.EncodeToString(h.Sum(nil))
	checked, err := check(f, n, total, sum, err)
	if err != nil {
		return Saved{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Saved{}, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return Saved{}, fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	path, err := ClaimName(tmp.Name(), dir, name)
	if err != nil {
		return Saved{}, err
	}
	keep = true
	return Saved{Path: path, Size: n, SHA256: sum, Checked: checked}, nil
}

// check says what was verified of a download of f that copied n bytes
// of the total announced (-1: none) with SHA-256 sum and ended with err,
// or why it failed.
func check(f StoredFile, n, total int64, sum string, err error) (string, error) {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", fmt.Errorf("%w: the hub stopped after %d of %d bytes", ErrIncomplete, n, total)
	case err != nil:
		return "", fmt.Errorf("the download of %s broke off: %w", f.Name, unwrapURL(err))
	case total >= 0 && n != total:
		return "", fmt.Errorf("%w: %d of the %d bytes the hub announced arrived", ErrIncomplete, n, total)
	}
	if f.Encrypted() {
		return fmt.Sprintf("all %d bytes the hub announced arrived; the hub opened the sealed file with age, which authenticates every 64 KiB chunk", n), nil
	}
	switch {
	case f.SHA256 == "":
		return fmt.Sprintf("all %d bytes the hub announced arrived (the store named no SHA-256 to compare)", n), nil
	case !strings.EqualFold(sum, f.SHA256):
		return "", fmt.Errorf("%w: its SHA-256 %s differs from the stored file's %s", ErrIncomplete, sum, f.SHA256)
	}
	return "its SHA-256 matches the one the store keeps", nil
}

// saveName is the name a stored file is saved under: the store's name
// without .age, only its last element, never hidden; the file's id when
// that leaves nothing.
func saveName(f StoredFile) string {
	name := strings.TrimSuffix(f.Name, ".age")
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.TrimLeft(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name), ". ")
	if name == "" {
		name = "recording-" + strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r < 0x20 {
				return '_'
			}
			return r
		}, f.ID) + ".webm"
	}
	return name
}

// ClaimName gives the finished temporary file tmp its name in dir: name,
// or the first of "stem (1).ext", "stem (2).ext"… that is free. A hard
// link claims a name atomically and never replaces a file; where the
// folder cannot hold links, an empty file created exclusively claims it
// and the temporary file is renamed over that claim.
func ClaimName(tmp, dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < maxSameName; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", stem, i, ext))
		}
		err := os.Link(tmp, p)
		if err == nil {
			_ = os.Remove(tmp)
			return p, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		claim, cerr := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600) // #nosec G304 -- a name in the folder the agent chose
		if errors.Is(cerr, fs.ErrExist) {
			continue
		}
		if cerr != nil {
			return "", fmt.Errorf("cannot save %s: %w", p, cerr)
		}
		_ = claim.Close()
		if err := os.Rename(tmp, p); err != nil {
			_ = os.Remove(p)
			return "", fmt.Errorf("cannot save %s: %w", p, err)
		}
		return p, nil
	}
	return "", fmt.Errorf("cannot save %s: %d files of that name are there already", filepath.Join(dir, name), maxSameName)
}

// countReader reports the bytes read so far.
type countReader struct {
	r      io.Reader
	n      int64
	total  int64
	report func(done, total int64)
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 {
		c.report(c.n, c.total)
	}
	return n, err
}
