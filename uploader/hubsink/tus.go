package hubsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
)

func (s *Sink) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("hubsink: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Tus-Resumable", TusVersion)
	return req, nil
}

// create POSTs a new upload and returns its absolute URL, and the stored
// id when the hub finished it at once (an empty file).
func (s *Sink) create(ctx context.Context, item uploader.Item) (string, string, error) {
	meta, err := Metadata(item)
	if err != nil {
		return "", "", fmt.Errorf("hubsink: %w", err)
	}
	endpoint := s.base.JoinPath(UploadsPath)
	req, err := s.request(ctx, http.MethodPost, endpoint.String()+"/", nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Upload-Length", strconv.FormatInt(item.Size, 10))
	req.Header.Set("Upload-Metadata", meta)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", "", netErr("create upload", err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusCreated {
		return "", "", s.statusErr("create upload", resp)
	}
	loc, err := resp.Location()
	if err != nil {
		return "", "", fmt.Errorf("hubsink: create upload: no Location in the answer: %w", err)
	}
	return loc.String(), resp.Header.Get(HeaderStored), nil
}

// head returns the upload's offset, or errStale when the hub has no such
// upload any more.
func (s *Sink) head(ctx context.Context, loc string) (int64, error) {
	req, err := s.request(ctx, http.MethodHead, loc, nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, netErr("ask the offset", err)
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent:
	case http.StatusNotFound, http.StatusGone, http.StatusForbidden:
		return 0, errStale
	default:
		return 0, s.statusErr("ask the offset", resp)
	}
	off, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("hubsink: ask the offset: bad Upload-Offset %q", resp.Header.Get("Upload-Offset"))
	}
	return off, nil
}

// send PATCHes item's bytes from off to the end, one chunk a request.
func (s *Sink) send(ctx context.Context, item uploader.Item, loc string, off int64, r io.ReaderAt, progress func(int64)) error {
	if off > item.Size {
		return fmt.Errorf("hubsink: %s: the hub holds %d bytes of a %d byte file", item.Name, off, item.Size)
	}
	if off == item.Size {
		return s.confirm(ctx, item, "")
	}
	conflicts := 0
	for {
		n := min(s.chunkSize, item.Size-off)
		resp, err := s.patch(ctx, loc, off, io.NewSectionReader(r, off, n), n, progress)
		if err != nil {
			return fmt.Errorf("hubsink: send %s at byte %d: %w", item.Name, off, err)
		}
		stored := resp.Header.Get(HeaderStored)
		next, perr := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
		code := resp.StatusCode
		if code == http.StatusConflict && conflicts < 3 {
			// The hub was still saving an earlier, broken request: ask again.
			conflicts++
			drain(resp)
			if off, err = s.head(ctx, loc); err != nil {
				return err
			}
			progress(off)
			if off == item.Size {
				return s.confirm(ctx, item, "")
			}
			continue
		}
		if code != http.StatusNoContent {
			err := s.patchErr(item, resp)
			drain(resp)
			return err
		}
		drain(resp)
		if perr != nil || next < off || next > item.Size {
			return fmt.Errorf("hubsink: send %s: bad Upload-Offset %q in the answer", item.Name, resp.Header.Get("Upload-Offset"))
		}
		off = next
		progress(off)
		if off == item.Size {
			return s.confirm(ctx, item, stored)
		}
	}
}

// errStalled ends a PATCH whose body stood still for the stall timeout.
var errStalled = errors.New("the connection stalled")

// patch sends one chunk of n bytes at off. The request is cancelled when
// its body stands still for the stall timeout while being sent.
func (s *Sink) patch(ctx context.Context, loc string, off int64, chunk io.Reader, n int64, progress func(int64)) (*http.Response, error) {
	ctx, cancelCtx := context.WithCancelCause(ctx)
	cancel := cancelCtx // handed to the response body on success
	defer func() {
		if cancel != nil {
			cancel(nil)
		}
	}()
	watchdog := time.AfterFunc(s.stall, func() { cancelCtx(fmt.Errorf("%w: no byte moved for %s", errStalled, s.stall)) })
	body := &hookReader{r: chunk, base: off, size: n, progress: progress, watchdog: watchdog, stall: s.stall}
	req, err := s.request(ctx, http.MethodPatch, loc, body)
	if err != nil {
		watchdog.Stop()
		return nil, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
	resp, err := s.client.Do(req)
	// The transport may go on reading the body after Do returned (on an
	// early answer or an error): cut it off so neither the caller's
	// reader nor progress is touched once Put returned, and no read
	// rearms the watchdog.
	body.close()
	watchdog.Stop()
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			return nil, cause
		}
		return nil, err
	}
	// The body is read to its end by the caller; the context must live
	// until then.
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	cancel = nil
	return resp, nil
}

// cancelBody cancels the request's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// confirm takes the hub's word that the whole file is stored: the
// Agentdesk-Stored header of the last PATCH, or else a verify request.
func (s *Sink) confirm(ctx context.Context, item uploader.Item, stored string) error {
	if stored == "" {
		id, err := s.Verify(ctx, item)
		if err != nil {
			return fmt.Errorf("hubsink: %s: sent, but the hub does not confirm it: %w", item.Name, err)
		}
		stored = id
	}
	if item.Stored != nil {
		item.Stored(stored)
	}
	return nil
}

// patchErr turns a refused PATCH into an error the queue can act on.
func (s *Sink) patchErr(item uploader.Item, resp *http.Response) error {
	switch resp.StatusCode {
	case StatusChecksumMismatch:
		// The hub deleted the upload; the next attempt starts from 0.
		if err := save(item, ""); err != nil {
			return err
		}
		return fmt.Errorf("hubsink: %s: the hub refused the bytes: %w (the file is sent again from the start)", item.Name, uploader.ErrChecksumMismatch)
	case http.StatusNotFound, http.StatusGone:
		return errStale
	case http.StatusConflict: // offsets disagree: the next attempt asks again
		return fmt.Errorf("hubsink: %s: the hub's offset differs from ours (409); asking again", item.Name)
	}
	return s.statusErr("send "+item.Name, resp)
}

// statusErr describes an unexpected answer in words, permanent for
// authorisation failures and client errors, retryable otherwise.
func (s *Sink) statusErr(what string, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	text := strings.TrimSpace(string(msg))
	if text != "" {
		text = ": " + text
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("hubsink: %s: %w: the hub refused the agent token (%d)%s", what, uploader.ErrPermanent, code, text)
	case code == http.StatusGone:
		return fmt.Errorf("hubsink: %s: %w: %s", what, uploader.ErrGone, strings.TrimPrefix(text, ": "))
	case code == http.StatusInsufficientStorage:
		return fmt.Errorf("hubsink: %s: the hub's storage is full (507)%s; will retry", what, text)
	case code == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("hubsink: %s: %w: the hub refuses a file this large (413)%s", what, uploader.ErrPermanent, text)
	case code >= 500 || code == http.StatusTooManyRequests || code == http.StatusLocked || code == http.StatusRequestTimeout:
		return fmt.Errorf("hubsink: %s: the hub answered %d %s%s", what, code, http.StatusText(code), text)
	}
	return fmt.Errorf("hubsink: %s: %w: the hub answered %d %s%s", what, uploader.ErrPermanent, code, http.StatusText(code), text)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}

// hookReader reports the absolute offset as bytes are read from it and
// rearms the stall watchdog; at the end of the body the watchdog stops
// (the hub then hashes the file, which may take a while).
type hookReader struct {
	r        io.Reader
	base     int64
	n, size  int64
	progress func(int64)
	watchdog *time.Timer
	stall    time.Duration
	mu       sync.Mutex
	closed   bool
}

var errBodyClosed = errors.New("hubsink: the request is over")

// close waits for a Read in progress and makes later ones fail.
func (h *hookReader) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
}

func (h *hookReader) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, errBodyClosed
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	if n > 0 {
		h.watchdog.Reset(h.stall)
		h.progress(h.base + h.n)
	}
	if err != nil || h.n >= h.size {
		h.watchdog.Stop()
	}
	return n, err
}
