// Package hubsink delivers recordings to the agentdesk hub over the tus
// 1.0.0 resumable upload protocol (core, creation, termination) at
// /v1/uploads/. It is a small tus client of our own: create, HEAD for the
// offset, PATCH in chunks, the hub's checksum answer (460) and its
// confirmation (the Agentdesk-Stored header, or GET /v1/uploads/verify/).
package hubsink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session/upload"
	"github.com/agentdesk/agentdesk/uploader"
)

// The protocol's names, from the one contract (package upload).
const (
	TusVersion             = upload.TusVersion
	StatusChecksumMismatch = upload.StatusChecksumMismatch // the hub refused the bytes: checksum mismatch
	HeaderStored           = upload.HeaderStored
	UploadsPath            = upload.UploadsPath
	VerifyPath             = upload.VerifyPath
	DefaultChunkSize       = 8 << 20
)

// Sink uploads to a hub. Its zero value is not usable: build it with New.
type Sink struct {
	base      *url.URL
	token     string
	client    *http.Client
	chunkSize int64
	stall     time.Duration
}

var (
	_ uploader.Sink     = (*Sink)(nil)
	_ uploader.Resumer  = (*Sink)(nil)
	_ uploader.Verifier = (*Sink)(nil)
)

// Options tunes a Sink.
type Options struct {
	Client *http.Client // default: a client without overall timeout (and TLS)
	// TLS is how the hub's certificate is trusted (a private CA's pool in
	// RootCAs, from hubclient.TLSConfig); nil trusts the system's
	// authorities. Used only when Client is nil.
	TLS       *tls.Config
	ChunkSize int64 // bytes per PATCH; default DefaultChunkSize
	// StallTimeout ends a PATCH whose body has not moved for this long (a
	// hung connection); default DefaultStallTimeout.
	StallTimeout time.Duration
}

// DefaultStallTimeout is how long a PATCH body may stand still.
const DefaultStallTimeout = time.Minute

// New returns a Sink for the hub at hubURL (e.g. "http://127.0.0.1:8080")
// authenticating with the agent token.
func New(hubURL, token string, opts Options) (*Sink, error) {
	u, err := url.Parse(strings.TrimRight(hubURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hubsink: hub URL %q: want http(s)://host[:port]", hubURL)
	}
	if token == "" {
		return nil, errors.New("hubsink: the agent token is empty")
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
		if opts.TLS != nil {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = opts.TLS
			opts.Client.Transport = tr
		}
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	return &Sink{base: u, token: token, client: opts.Client, chunkSize: opts.ChunkSize, stall: opts.StallTimeout}, nil
}

// errStale: the upload URL is gone (404/410); a new upload is needed.
var errStale = errors.New("the upload is gone from the hub")

// Put uploads item: it continues the upload named by item.Resume when the
// hub still has it, or creates one (saving its URL through SaveResume
// before sending a byte), then PATCHes the rest in chunks. It returns nil
// once the hub confirmed the checksum.
func (s *Sink) Put(ctx context.Context, item uploader.Item, r io.ReaderAt, progress func(int64)) error {
	if progress == nil {
		progress = func(int64) {}
	}
	for range 2 { // a stale URL gets one new upload in the same call
		loc, off, err := s.locate(ctx, item)
		if err != nil {
			return err
		}
		progress(off)
		err = s.send(ctx, item, loc, off, r, progress)
		if errors.Is(err, errStale) {
			if err := save(item, ""); err != nil {
				return err
			}
			item.Resume = ""
			continue
		}
		return err
	}
	return fmt.Errorf("hubsink: %s: the hub lost the upload twice in a row", item.Name)
}

// locate returns the upload URL and the acknowledged offset: the saved
// upload's when the hub still has it, else a new upload's.
func (s *Sink) locate(ctx context.Context, item uploader.Item) (string, int64, error) {
	if item.Resume != "" {
		off, err := s.head(ctx, item.Resume)
		if err == nil {
			return item.Resume, off, nil
		}
		if !errors.Is(err, errStale) {
			return "", 0, err
		}
	}
	loc, _, err := s.create(ctx, item)
	if err != nil {
		return "", 0, err
	}
	if err := save(item, loc); err != nil {
		return "", 0, err
	}
	return loc, 0, nil
}

func save(item uploader.Item, token string) error {
	if item.SaveResume == nil {
		return nil
	}
	if err := item.SaveResume(token); err != nil {
		return fmt.Errorf("hubsink: remember the upload URL: %w", err)
	}
	return nil
}

// Offset returns the byte count the hub acknowledged for item's saved
// upload, 0 when there is none.
func (s *Sink) Offset(ctx context.Context, item uploader.Item) (int64, error) {
	if item.Resume == "" {
		return 0, nil
	}
	off, err := s.head(ctx, item.Resume)
	if errors.Is(err, errStale) {
		return 0, nil
	}
	return off, err
}

// Verify asks the hub whether it stores a file with item's checksum.
func (s *Sink) Verify(ctx context.Context, item uploader.Item) (string, error) {
	req, err := s.request(ctx, http.MethodGet, s.base.JoinPath(VerifyPath, url.PathEscape(item.SHA256)).String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", netErr("verify", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("hubsink: %s: %w", item.Name, uploader.ErrNotStored)
	}
	if resp.StatusCode != http.StatusOK {
		return "", s.statusErr("verify", resp)
	}
	var st upload.Verified
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&st); err != nil {
		return "", fmt.Errorf("hubsink: verify: bad answer: %w", err)
	}
	if !strings.EqualFold(st.SHA256, item.SHA256) || st.Size != item.Size {
		return "", fmt.Errorf("hubsink: verify: the hub answered for sha256 %s, %d bytes: %w", st.SHA256, st.Size, uploader.ErrNotStored)
	}
	return st.ID, nil
}

// Metadata returns the tus Upload-Metadata header value for item (the
// contract's keys, base64 values, sorted).
func Metadata(item uploader.Item) (string, error) {
	man, err := uploader.MarshalManifest(item.Manifest)
	if err != nil {
		return "", err
	}
	kv := map[string]string{
		upload.MetaFilename:    item.Name,
		upload.MetaSHA256:      item.SHA256,
		upload.MetaSize:        strconv.FormatInt(item.Size, 10),
		upload.MetaRecording:   item.Manifest.Recording,
		upload.MetaInteraction: item.Manifest.Interaction,
		upload.MetaAgent:       item.Manifest.Agent,
		upload.MetaManifest:    string(man),
	}
	if item.Manifest.Dest != "" {
		kv[upload.MetaDest] = item.Manifest.Dest
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(kv[k])))
	}
	return strings.Join(parts, ","), nil
}

// netErr wraps a failed request's error in words; one the hub's
// certificate caused says what to do about it.
func netErr(what string, err error) error {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("hubsink: %s: the hub's certificate is not signed by an authority this desktop trusts; give the hub's CA certificate (agentdesk --ca FILE; the capture-agent service: upload.ca_file): %w", what, err)
	case errors.As(err, &name):
		return fmt.Errorf("hubsink: %s: the hub's certificate is for another name; use the address it names: %w", what, err)
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("hubsink: %s: the hub does not speak TLS here; use http://: %w", what, err)
	}
	return fmt.Errorf("hubsink: %s: %w", what, err)
}
