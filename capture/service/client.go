package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// Client talks to the service on its control socket.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client of the socket at path. Nothing is dialled
// until a call.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConnsPerHost: 2,
	}
	return &Client{socket: path, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// Socket is the socket's path.
func (c *Client) Socket() string { return c.socket }

// do sends a request with body in (nil: none) and decodes the answer into
// out (nil: none).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://capture-agent"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("capture agent at %s: %w", c.socket, unwrapURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("capture agent at %s: %w", c.socket, errStatus(resp, bytes.TrimSpace(b)))
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func unwrapURL(err error) error {
	if ue, ok := err.(interface{ Unwrap() error }); ok {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// Report asks for the service's status.
func (c *Client) Report(ctx context.Context) (Report, error) {
	var r Report
	err := c.do(ctx, http.MethodGet, PathStatus, nil, &r)
	return r, err
}

// Metrics fetches the Prometheus text.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://capture-agent"+PathMetrics, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("capture agent at %s: %w", c.socket, unwrapURL(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("capture agent at %s: %w", c.socket, errStatus(resp, b))
	}
	return string(b), err
}

// Session is a desktop attached to the service. It implements what the
// desktop needs of capture (Status per chat) and of uploads (Snapshot,
// Changes) from a copy of the service's status refreshed in the
// background, and keeps the session alive with heartbeats until Close.
type Session struct {
	c    *Client
	req  AttachRequest
	logf func(format string, args ...any)

	mu      sync.Mutex
	info    AttachResponse
	rep     Report
	down    string // the service is not answering: why
	changes chan struct{}
	frames  chan FrameRequest // cap 1: the text desktop's latest screen, not sent yet

	stop context.CancelFunc
	done chan struct{}
}

// refreshEvery is how often a Session refreshes its copy of the status.
const refreshEvery = 250 * time.Millisecond

// Attach attaches a desktop; logf (nil: none) gets one line per problem.
func (c *Client) Attach(ctx context.Context, req AttachRequest, logf func(string, ...any)) (*Session, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Session{c: c, req: req, logf: logf, changes: make(chan struct{}, 1), frames: make(chan FrameRequest, 1), done: make(chan struct{})}
	if err := c.do(ctx, http.MethodPost, PathAttach, req, &s.info); err != nil {
		return nil, err
	}
	if rep, err := c.Report(ctx); err == nil {
		s.rep = rep
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	go s.loop(lctx)
	return s, nil
}

// Info is what the service said at attach.
func (s *Session) Info() AttachResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

func (s *Session) id() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info.Session
}

// loop sends heartbeats and refreshes the status until ctx ends; a
// service that forgot the session (it restarted) is attached to again.
func (s *Session) loop(ctx context.Context) {
	defer close(s.done)
	refresh := time.NewTicker(refreshEvery)
	defer refresh.Stop()
	every := max(s.Info().HeartbeatEvery, 100*time.Millisecond)
	beat := time.NewTicker(every)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			s.heartbeat(ctx)
		case <-refresh.C:
			s.refresh(ctx)
		case f := <-s.frames:
			f.Session = s.id()
			if err := s.c.do(ctx, http.MethodPost, PathFrame, f, nil); err != nil && ctx.Err() == nil {
				s.logf("capture agent: screen: %v", err)
			}
		}
	}
}

// Frame passes a screen of the text desktop to the service (ui.Frames),
// never blocking: a screen not sent yet is replaced by the newer one (the
// recording's cast then shows the changes of both at once).
func (s *Session) Frame(content string, cols, rows int) {
	f := FrameRequest{Content: content, Cols: cols, Rows: rows}
	for {
		select {
		case s.frames <- f:
			return
		default:
		}
		select {
		case <-s.frames:
		default:
		}
	}
}

func (s *Session) heartbeat(ctx context.Context) {
	err := s.c.do(ctx, http.MethodPost, PathHeartbeat, SessionRequest{Session: s.id()}, nil)
	if err == nil || ctx.Err() != nil {
		return
	}
	var info AttachResponse
	if aerr := s.c.do(ctx, http.MethodPost, PathAttach, s.req, &info); aerr == nil {
		s.mu.Lock()
		s.info = info
		s.mu.Unlock()
		s.logf("capture agent: attached again (it had restarted): %v", err)
		return
	}
	s.logf("capture agent: heartbeat: %v", err)
}

func (s *Session) refresh(ctx context.Context) {
	rep, err := s.c.Report(ctx)
	s.mu.Lock()
	if err != nil {
		if s.down == "" {
			s.logf("capture agent: %v", err)
		}
		s.down = err.Error()
	} else {
		s.rep, s.down = rep, ""
	}
	s.mu.Unlock()
	select {
	case s.changes <- struct{}{}:
	default:
	}
}

// Observe passes one hub frame to the service, in order.
func (s *Session) Observe(ctx context.Context, e session.Envelope) error {
	return s.c.do(ctx, http.MethodPost, PathObserve, ObserveRequest{Session: s.id(), Envelope: e}, nil)
}

// Status is the service's capture of chat, from the last refresh; a
// service that stopped answering is said in the note.
func (s *Session) Status(chat string) control.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st control.Status
	for _, c := range s.rep.Captures {
		if c.Chat == chat {
			st = c.Status
		}
	}
	if s.down != "" && st.Active {
		st.Note = "the capture agent is not answering: " + s.down
	}
	return st
}

// Snapshot is the service's upload queue, from the last refresh.
func (s *Session) Snapshot() []uploader.ItemStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]uploader.ItemStatus, len(s.rep.Uploads))
	for i, u := range s.rep.Uploads {
		out[i] = u.ItemStatus
	}
	return out
}

// Changes is signalled after each refresh.
func (s *Session) Changes() <-chan struct{} { return s.changes }

// Close stops the heartbeats and detaches. The service carries on with
// the captures (a desktop that comes back within the heartbeat timeout
// finds them going; after it they are finished). Idempotent.
func (s *Session) Close() error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	<-s.done
	s.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.c.do(ctx, http.MethodPost, PathDetach, SessionRequest{Session: s.id()}, nil)
}
