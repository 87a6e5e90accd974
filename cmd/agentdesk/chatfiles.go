package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

// chatFiles is the desktop's ui.ChatFiles over the hub client (R-I6).
type chatFiles struct{ c *hubclient.Client }

// progressReader counts what is read through it and tells report.
type progressReader struct {
	r      io.Reader
	n, of  int64
	report func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.report(p.n, p.of)
	}
	return n, err
}

// progressWriter counts what is written through it and tells report.
type progressWriter struct {
	w      io.Writer
	n, of  int64
	report func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		p.n += int64(n)
		p.report(p.n, p.of)
	}
	return n, err
}

// SendFile sends the file at path (~ is the home folder) into chat,
// telling progress the bytes sent as they go.
func (f chatFiles) SendFile(ctx context.Context, chat, path string, progress func(done, total int64)) (session.MessageData, error) {
	path, err := expandHome(path)
	if err != nil {
		return session.MessageData{}, err
	}
	fh, err := os.Open(path) // #nosec G304 -- a file the agent chose to send
	if err != nil {
		return session.MessageData{}, fmt.Errorf("cannot send the file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return session.MessageData{}, fmt.Errorf("cannot send the file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return session.MessageData{}, fmt.Errorf("cannot send %s: not a regular file", path)
	}
	progress(0, st.Size())
	line, err := f.c.SendFile(ctx, chat, filepath.Base(path), &progressReader{r: fh, of: st.Size(), report: progress}, st.Size())
	if err != nil {
		return line, fmt.Errorf("the file was not sent: %w", err)
	}
	return line, nil
}

// SaveFile fetches a file of chat into dir under a name that is free
// there (never over a file), checks its SHA-256, and returns the path,
// telling progress the bytes received as they come.
func (f chatFiles) SaveFile(ctx context.Context, chat string, fd session.FileData, dir string, progress func(done, total int64)) (string, error) {
	dir, err := expandHome(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot save into %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".agentdesk-file-*")
	if err != nil {
		return "", fmt.Errorf("cannot save into %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	got, err := f.c.FetchFile(ctx, chat, fd.ID, &progressWriter{w: io.MultiWriter(tmp, h), of: fd.Size, report: progress})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && fd.Size > 0 && got != fd.Size {
		err = fmt.Errorf("the transfer broke: %d of %d bytes came", got, fd.Size)
	}
	if err != nil {
		return "", fmt.Errorf("%s was not saved: %w", fd.Name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); fd.SHA256 != "" && !strings.EqualFold(sum, fd.SHA256) {
		return "", fmt.Errorf("%s was not saved: it arrived damaged (SHA-256 %s, the hub said %s)", fd.Name, sum[:12], fd.SHA256)
	}
	return hubclient.ClaimName(tmp.Name(), dir, cleanName(fd.Name))
}

// cleanName is a file's name as saved: its last element, no control
// characters, not hidden; "file" when that leaves nothing.
func cleanName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.TrimLeft(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name), ". ")
	if name == "" {
		return "file"
	}
	return name
}
