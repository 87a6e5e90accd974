package hub

import (
	"github.com/agentdesk/agentdesk/session/upload"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tusClient is a minimal tus 1.0.0 client (core, creation, termination)
// for the ingest tests, until uploader/hubsink lands.
type tusClient struct {
	base  string // http://127.0.0.1:PORT
	token string
	hc    *http.Client
}

func newTusClient(base, token string) *tusClient {
	return &tusClient{base: base, token: token, hc: &http.Client{Timeout: 30 * time.Second}}
}

// tusMeta encodes Upload-Metadata (sorted, for stable requests).
func tusMeta(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(m[k])))
	}
	return strings.Join(parts, ",")
}

func (c *tusClient) do(ctx context.Context, method, url string, body io.Reader, hdr map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if cl, ok := hdr["Content-Length"]; ok {
		req.ContentLength, _ = strconv.ParseInt(cl, 10, 64)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// create starts an upload and returns its URL.
func (c *tusClient) create(ctx context.Context, size int64, meta map[string]string) (string, *http.Response, []byte, error) {
	resp, b, err := c.do(ctx, http.MethodPost, c.base+"/v1/uploads/", nil, map[string]string{
		"Upload-Length": strconv.FormatInt(size, 10), "Upload-Metadata": tusMeta(meta)})
	if err != nil {
		return "", nil, nil, err
	}
	return resp.Header.Get("Location"), resp, b, nil
}

// head asks an upload's offset; status 404 when it is gone.
func (c *tusClient) head(ctx context.Context, loc string) (int64, int, error) {
	resp, _, err := c.do(ctx, http.MethodHead, loc, nil, nil)
	if err != nil {
		return 0, 0, err
	}
	off, _ := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	return off, resp.StatusCode, nil
}

// patch sends body (length bytes) at offset.
func (c *tusClient) patch(ctx context.Context, loc string, offset, length int64, body io.Reader) (*http.Response, []byte, error) {
	return c.do(ctx, http.MethodPatch, loc, body, map[string]string{"Content-Type": "application/offset+octet-stream",
		"Upload-Offset": strconv.FormatInt(offset, 10), "Content-Length": strconv.FormatInt(length, 10)})
}

// verify asks whether a file with sha is stored.
func (c *tusClient) verify(ctx context.Context, sha string) (upload.Verified, int, error) {
	resp, b, err := c.do(ctx, http.MethodGet, c.base+"/v1/uploads/verify/"+sha, nil, nil)
	if err != nil {
		return upload.Verified{}, 0, err
	}
	var v upload.Verified
	if resp.StatusCode == http.StatusOK {
		err = json.Unmarshal(b, &v)
	}
	return v, resp.StatusCode, err
}

// testFile is a file to upload and what the client saw doing it.
type testFile struct {
	path string
	meta map[string]string
	size int64
	sha  string

	events chan string // failures as they happen, when set (buffered; never blocks)

	mu       sync.Mutex
	loc      string
	resumes  []int64  // offsets a PATCH started from after the first
	failures []string // errors and refusals met, in order
}

// newTestFile writes data to path and prepares the contract's metadata.
func newTestFile(path string, data []byte, meta map[string]string) (*testFile, error) {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f := &testFile{path: path, size: int64(len(data)), sha: hex.EncodeToString(sum[:]), meta: map[string]string{}}
	for k, v := range meta {
		f.meta[k] = v
	}
	f.meta[upload.MetaSHA256] = f.sha
	f.meta[upload.MetaSize] = strconv.Itoa(len(data))
	return f, nil
}

func (f *testFile) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	f.mu.Lock()
	f.failures = append(f.failures, msg)
	f.mu.Unlock()
	if f.events != nil {
		select {
		case f.events <- msg:
		default:
		}
	}
}

// errRefused is a refusal the client must not retry (4xx other than 460).
var errRefused = errors.New("refused")

// send uploads f until the hub confirms it (Agentdesk-Stored or verify),
// retrying every pause until ctx ends: connection errors and 5xx are
// retried, resuming from the hub's offset; 460 starts again at byte 0.
// wrap, when set, wraps each PATCH body.
func (c *tusClient) send(ctx context.Context, f *testFile, pause time.Duration, wrap func(io.Reader) io.Reader) (string, error) {
	first := true
	for {
		id, retry, err := c.sendOnce(ctx, f, &first, wrap)
		if err == nil {
			return id, nil
		}
		if !retry {
			return "", err
		}
		f.fail("%v", err)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(pause):
		}
	}
}

// sendOnce is one attempt of send.
func (c *tusClient) sendOnce(ctx context.Context, f *testFile, first *bool, wrap func(io.Reader) io.Reader) (id string, retry bool, err error) {
	var off int64
	if f.loc != "" {
		o, st, err := c.head(ctx, f.loc)
		switch {
		case err != nil:
			return "", true, fmt.Errorf("head: %w", err)
		case st == http.StatusNotFound || st == http.StatusGone:
			if v, vst, err := c.verify(ctx, f.sha); err == nil && vst == http.StatusOK {
				return v.ID, false, nil
			}
			f.loc = ""
		case st != http.StatusOK:
			return "", true, fmt.Errorf("head: status %d", st)
		default:
			off = o
		}
	}
	if f.loc == "" {
		loc, resp, b, err := c.create(ctx, f.size, f.meta)
		if err != nil {
			return "", true, fmt.Errorf("create: %w", err)
		}
		if resp.StatusCode != http.StatusCreated {
			return "", resp.StatusCode >= 500, fmt.Errorf("create: %w: %d %s", errRefused, resp.StatusCode, b)
		}
		f.loc, off = loc, 0
	}
	if !*first {
		f.mu.Lock()
		f.resumes = append(f.resumes, off)
		f.mu.Unlock()
	}
	*first = false
	file, err := os.Open(f.path)
	if err != nil {
		return "", false, err
	}
	defer file.Close()
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		return "", false, err
	}
	var body io.Reader = file
	if wrap != nil {
		body = wrap(body)
	}
	resp, b, err := c.patch(ctx, f.loc, off, f.size-off, body)
	switch {
	case err != nil:
		return "", true, fmt.Errorf("patch: %w", err)
	case resp.StatusCode == http.StatusNoContent && resp.Header.Get(upload.HeaderStored) != "":
		return resp.Header.Get(upload.HeaderStored), false, nil
	case resp.StatusCode == upload.StatusChecksumMismatch:
		f.loc = ""
		return "", true, fmt.Errorf("patch: %d %s", resp.StatusCode, bytes.TrimSpace(b))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusConflict:
		return "", true, fmt.Errorf("patch: %d %s", resp.StatusCode, bytes.TrimSpace(b))
	default:
		return "", false, fmt.Errorf("patch: %w: %d %s", errRefused, resp.StatusCode, b)
	}
}
