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

// SendFile sends the file at path (~ is the home folder) into chat.
func (f chatFiles) SendFile(ctx context.Context, chat, path string) (session.MessageData, error) {
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
	line, err := f.c.SendFile(ctx, chat, filepath.Base(path), fh, st.Size())
	if err != nil {
		return line, fmt.Errorf("the file was not sent: %w", err)
	}
	return line, nil
}

// SaveFile fetches a file of chat into dir under a name that is free
// there (never over a file), checks its SHA-256, and returns the path.
func (f chatFiles) SaveFile(ctx context.Context, chat string, fd session.FileData, dir string) (string, error) {
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
	_, err = f.c.FetchFile(ctx, chat, fd.ID, io.MultiWriter(tmp, h))
	if cerr := tmp.Close(); err == nil {
		err = cerr
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
