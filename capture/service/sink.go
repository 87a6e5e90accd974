package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/durable"
)

// hubSink is the upload queue's sink when the config names no folder and
// no token file: the hub the desktop gave at attach, kept in a file of the
// state folder (0600) so uploads resume after the desktop quits and after
// a reboot. Until a hub is known, Put fails with a retryable error.
type hubSink struct {
	path string // where the hub and token are kept
	make func(hub, token string) (uploader.Sink, error)

	mu    sync.Mutex
	inner uploader.Sink
	hub   string
	token string
}

var (
	_ uploader.Sink     = (*hubSink)(nil)
	_ uploader.Resumer  = (*hubSink)(nil)
	_ uploader.Verifier = (*hubSink)(nil)
)

// errNoHub: no hub known yet.
var errNoHub = errors.New("no hub known yet: waiting for a desktop to attach (or set upload.hub and upload.token_file)")

type savedHub struct {
	Hub   string `json:"hub"`
	Token string `json:"token"`
}

// newHubSink loads the hub kept at path, if any.
func newHubSink(path string, mk func(hub, token string) (uploader.Sink, error)) *hubSink {
	s := &hubSink{path: path, make: mk}
	if b, err := os.ReadFile(path); err == nil {
		var h savedHub
		if json.Unmarshal(b, &h) == nil && h.Hub != "" {
			_ = s.set(h.Hub, h.Token, false)
		}
	}
	return s
}

// set points the sink at hub with token, saving both when save is set.
func (s *hubSink) set(hub, token string, save bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hub == s.hub && token == s.token && s.inner != nil {
		return nil
	}
	inner, err := s.make(hub, token)
	if err != nil {
		return err
	}
	if save {
		b, _ := json.Marshal(savedHub{Hub: hub, Token: token})
		if err := durable.WriteFile(s.path, b, 0o600); err != nil {
			return fmt.Errorf("keeping the hub address: %w", err)
		}
	}
	s.inner, s.hub, s.token = inner, hub, token
	return nil
}

func (s *hubSink) current() (uploader.Sink, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inner == nil {
		return nil, errNoHub
	}
	return s.inner, nil
}

// where says where files go, without the token.
func (s *hubSink) where() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hub == "" {
		return "hub (none known yet: the first desktop to attach gives it)"
	}
	return "hub " + s.hub
}

// Put uploads through the current hub.
func (s *hubSink) Put(ctx context.Context, item uploader.Item, r io.ReaderAt, progress func(int64)) error {
	in, err := s.current()
	if err != nil {
		return err
	}
	return in.Put(ctx, item, r, progress)
}

// Offset asks the current hub how much it holds.
func (s *hubSink) Offset(ctx context.Context, item uploader.Item) (int64, error) {
	in, err := s.current()
	if err != nil {
		return 0, err
	}
	if r, ok := in.(uploader.Resumer); ok {
		return r.Offset(ctx, item)
	}
	return 0, nil
}

// Verify asks the current hub whether it holds the file.
func (s *hubSink) Verify(ctx context.Context, item uploader.Item) (string, error) {
	in, err := s.current()
	if err != nil {
		return "", err
	}
	if v, ok := in.(uploader.Verifier); ok {
		return v.Verify(ctx, item)
	}
	return "", uploader.ErrNotStored
}

// readToken reads a token file: one line, mode 0600 or stricter.
func readToken(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by others (mode %o): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return tok, nil
}
