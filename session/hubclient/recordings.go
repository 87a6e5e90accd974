package hubclient

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Store is the agent's way into the hub's recording store over HTTP (issue
// 12 point 6, R-C7): the list of the agent's own ad hoc recordings (GET
// /v1/recordings, which the hub scopes to what the token may see), their
// files decrypted (GET /v1/files/{id}?decrypt=1) and the player's address.
// It is safe for concurrent use; it holds no connection between calls.
type Store struct {
	base  string // http(s)://host:port, no trailing slash
	token string
	http  *http.Client
}

// Errors of Store calls; each is wrapped with the hub's words.
var (
	// ErrUnauthorized: the hub refused the token for this call (401).
	ErrUnauthorized = errors.New("the hub refused the token")
	// ErrNotFound: no such file, or one the token may not see (404; the
	// hub answers both the same way).
	ErrNotFound = errors.New("not found")
	// ErrIncomplete: a download ended before the bytes the hub announced,
	// or they differ from the checksum it stored.
	ErrIncomplete = errors.New("the download is incomplete or damaged")
)

// MyRecordingsPage is how many recordings a MyRecordings call asks for
// when it is not told.
const MyRecordingsPage = 50

// NewStore is the store client of the hub at hubURL (http://, https://,
// ws:// or wss://, or host:port for http, as Dial takes it; any path is
// dropped) for the agent's token. cfg is the TLS of TLSConfig (nil: the
// system's authorities).
func NewStore(hubURL, token string, cfg *tls.Config) (*Store, error) {
	raw := strings.TrimSpace(hubURL)
	if raw != "" && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("hubclient: hub address %q: want http://host:port or https://host", hubURL)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("hubclient: hub address %q: want http://host:port or https://host", hubURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg != nil {
		tr.TLSClientConfig = cfg
	}
	return &Store{base: u.Scheme + "://" + u.Host, token: token, http: &http.Client{Transport: tr}}, nil
}

// StoredRecording is one finished recording as GET /v1/recordings lists
// it: the fields the desktop uses of the hub's store.Recording.
type StoredRecording struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Interaction string         `json:"interaction"`
	Queue       string         `json:"queue"`
	Customer    string         `json:"customer"`
	Agent       string         `json:"agent"`
	Kind        string         `json:"kind"`
	Delivery    string         `json:"delivery"`
	Parts       []session.Part `json:"parts"`
	FinishedAt  time.Time      `json:"finished_at"`
	Files       []StoredFile   `json:"files"`
	Produced    bool           `json:"produced"`
	Why         string         `json:"why"` // why it was not kept (R-H6), when not produced
	// Mail is how far its e-mail to the agent got (issue 13, R-C7): nil
	// when the hub says nothing of it (it e-mails no recordings, or the
	// file is not stored yet). The hub sends it beside the list (the
	// page's "mail"); MyRecordings puts it here.
	Mail *MailState `json:"-"`
}

// MailState is how far the e-mail of one of the agent's ad hoc recordings
// got (GET /v1/recordings' "mail", by recording id).
type MailState struct {
	State string    `json:"state"` // MailSending, MailSent or MailNotSent
	Sent  time.Time `json:"sent"`  // when the mail server took it
	Tries int       `json:"tries"` // attempts so far
	Why   string    `json:"why"`   // the last failure, in words
	Link  bool      `json:"link"`  // sent as a link to the web app: too big to attach
}

// The states of MailState.
const (
	MailSending = "sending"  // queued, or being tried again
	MailSent    = "sent"     // the mail server took it
	MailNotSent = "not_sent" // given up, or never to be sent: Why says why
)

// Duration is how long the recording's file plays: its parts end to end,
// pauses included (they are padded in the file, the timeline stays true).
func (r StoredRecording) Duration() time.Duration {
	var d time.Duration
	for _, p := range r.Parts {
		if !p.End.IsZero() && p.End.After(p.Start) {
			d += p.End.Sub(p.Start)
		}
	}
	return d
}

// StoredFile is a stored file of a recording: its id for GET
// /v1/files/{id}, its name in the store, and the SHA-256 and size of the
// stored bytes (sealed with age when the name ends in .age).
type StoredFile struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Encrypted reports whether the stored bytes are sealed with age.
func (f StoredFile) Encrypted() bool { return strings.HasSuffix(f.Name, ".age") }

// RecordingsPage is one page of the agent's recordings, newest first.
type RecordingsPage struct {
	Recordings []StoredRecording `json:"recordings"`
	// Dropped are those of the page that were not kept (R-H6: the
	// customer declined or asked for deletion…), with why; no files.
	Dropped []StoredRecording `json:"dropped"`
	Next    string            `json:"next"` // the cursor of the next (older) page; "" at the end
	// Mail is the e-mail state of the page's recordings by id, as the hub
	// sends it; MyRecordings also sets each recording's Mail from it.
	Mail map[string]MailState `json:"mail"`
}

// MyRecordings returns a page of at most limit (0: MyRecordingsPage) of
// the token's own ad hoc recordings (kind record), newest first: the
// first for cursor "", then the page after a page's Next. The hub decides
// whose recordings a token sees (an agent's: only their own, R-C7).
func (s *Store) MyRecordings(ctx context.Context, cursor string, limit int) (RecordingsPage, error) {
	if limit <= 0 {
		limit = MyRecordingsPage
	}
	q := url.Values{"kind": {"record"}, "sort": {"finished"}, "order": {"desc"}, "limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var page RecordingsPage
	resp, err := s.get(ctx, "/v1/recordings?"+q.Encode())
	if err != nil {
		return page, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return page, s.statusErr("the list of recordings", resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&page); err != nil {
		return page, fmt.Errorf("the hub's list of recordings is not what this desktop reads: %w", err)
	}
	for i, r := range page.Recordings {
		if m, ok := page.Mail[r.ID]; ok {
			page.Recordings[i].Mail = &m
		}
	}
	return page, nil
}

// PlayerURL is the address of the hub's web player for a recording.
func (s *Store) PlayerURL(recording string) string {
	return s.base + "/app/recordings/" + url.PathEscape(recording)
}

// get sends an authorised GET for path (with its query).
func (s *Store) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("hubclient: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if w := TLSWords(s.base, err); w != "" {
			return nil, errors.New(w)
		}
		return nil, fmt.Errorf("cannot reach the hub at %s: %w", s.base, unwrapURL(err))
	}
	return resp, nil
}

// unwrapURL drops url.Error's "Get "http://…":" prefix, which repeats
// what the words around it say.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusErr says in words what a non-2xx answer about what means, with
// the hub's own message (its JSON error) when it gave one.
func (s *Store) statusErr(what string, resp *http.Response) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &body) == nil && body.Error.Message != "" {
		msg = body.Error.Message
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w for %s (401: %s)", ErrUnauthorized, what, msg)
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w (404: %s)", what, ErrNotFound, msg)
	}
	if msg == "" {
		msg = resp.Status
	}
	return fmt.Errorf("the hub answered %d for %s: %s", resp.StatusCode, what, msg)
}
