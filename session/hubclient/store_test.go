package hubclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/hubtest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// storeHub is a real hub on loopback on the shipped config with a store
// and an age identity, holding finished recordings of several agents and
// kinds put through its store, and files uploaded through its ingest as a
// desktop does.
type storeHub struct {
	url   string
	h     *hub.Server
	files string // the store's folder of stored files
	rcpt  string // the age recipient of the hub's identity
}

func startStoreHub(t *testing.T) *storeHub {
	t.Helper()
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "identity.age")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Shipped(t, dir, func(c *hub.Config) { c.Store.IdentityFile = idFile })
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	return &storeHub{url: srv.URL, h: h, files: filepath.Join(dir, "files"), rcpt: id.Recipient().String()}
}

// finished puts a finished, produced recording into the hub's store.
func (s *storeHub) finished(t *testing.T, id, chat, agent, kind, customer string, at time.Time, length time.Duration) {
	t.Helper()
	r := store.Recording{ID: id, Name: "n-" + id, Interaction: chat, Queue: "general", Customer: customer, Agent: agent,
		Kind: kind, State: "stopped", Delivery: "agent", Produced: true, FinishedAt: at,
		Parts: []session.Part{{Start: at.Add(-length), End: at}}}
	if err := s.h.Store().Apply(context.Background(), &store.Batch{Recordings: []store.Recording{r}}); err != nil {
		t.Fatal(err)
	}
}

// upload sends content to the hub as agent's desktop does (tus, with its
// manifest), sealed to the hub's key when seal, and returns the name.
func (s *storeHub) upload(t *testing.T, agent, recording, chat, name string, content []byte, seal bool) {
	t.Helper()
	body := content
	if seal {
		var b bytes.Buffer
		w, err := uploader.Encrypt(&b, s.rcpt)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		body, name = b.Bytes(), name+".age"
	}
	sink, err := hubsink.New(s.url, "demo-token-"+agent, hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	item := uploader.Item{ID: name, Name: name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:]),
		Manifest: uploader.Manifest{Version: uploader.ManifestVersion, Recording: recording, Interaction: chat, Agent: agent,
			Kind: "record", File: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(body)), Encrypted: seal},
		SaveResume: func(string) error { return nil }, Stored: func(string) {}}
	if err := sink.Put(context.Background(), item, bytes.NewReader(body), nil); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newStoreClient(t *testing.T, url, token string) *Store {
	t.Helper()
	c, err := NewStore(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Issue 12 point 6, R-C7: an agent's token lists the agent's own ad hoc
// recordings and no one else's, and no other kind, newest first, paging
// back in time with the hub's cursor.
func TestMyRecordingsOnRealHub_R_C7(t *testing.T) {
	s := startStoreHub(t)
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("chat-%d-record-1", i+1)
		s.finished(t, id, fmt.Sprintf("chat-%d", i+1), "ada", "record", fmt.Sprintf("Customer %d", i+1), base.Add(time.Duration(i)*time.Hour), 90*time.Second)
		want = append([]string{id}, want...) // newest first
	}
	s.finished(t, "chat-20-record-1", "chat-20", "grace", "record", "Not Ada's", base.Add(30*time.Hour), time.Minute)
	s.finished(t, "chat-21-auto-1", "chat-21", "ada", "auto", "Automatic", base.Add(31*time.Hour), time.Minute)
	s.finished(t, "chat-22-snip-1", "chat-22", "ada", "snip", "Snippet", base.Add(32*time.Hour), time.Minute)

	c := newStoreClient(t, s.url, "demo-token-ada")
	var got []string
	cursor, pages := "", 0
	for {
		page, err := c.MyRecordings(t.Context(), cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Recordings {
			got = append(got, r.ID)
			if r.Agent != "ada" || r.Kind != "record" {
				t.Errorf("listed %s of %s, kind %s", r.ID, r.Agent, r.Kind)
			}
			if r.Duration() != 90*time.Second || r.FinishedAt.IsZero() || r.Customer == "" {
				t.Errorf("%s: length %v, finished %v, customer %q", r.ID, r.Duration(), r.FinishedAt, r.Customer)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if !reflect.DeepEqual(got, want) || pages != 3 {
		t.Fatalf("listed %v in %d pages; want %v (newest first) in 3", got, pages, want)
	}

	// grace sees her own, not Ada's
	page, err := newStoreClient(t, s.url, "demo-token-grace").MyRecordings(t.Context(), "", 0)
	if err != nil || len(page.Recordings) != 1 || page.Recordings[0].ID != "chat-20-record-1" {
		t.Fatalf("grace's list: %+v, %v", page.Recordings, err)
	}
	// a token the hub does not know is refused, in words
	_, err = newStoreClient(t, s.url, "not-a-token").MyRecordings(t.Context(), "", 0)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("unknown token: %v", err)
	}
	// the hub says what order it takes
	resp, err := c.get(t.Context(), "/v1/recordings?order=sideways")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.statusErr("the list", resp); resp.StatusCode != 400 || !strings.Contains(err.Error(), "want asc or desc") {
		t.Errorf("order=sideways: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if u := c.PlayerURL("chat-3-record-1"); u != s.url+"/app/recordings/chat-3-record-1" {
		t.Errorf("player %s", u)
	}
}

// Issue 12 point 6: Download saves the decrypted recording under the
// store's name without .age, byte for byte the plaintext the desktop
// sealed; a second download of it never overwrites the first (" (1)");
// progress ends at the total the hub announced.
func TestDownloadDecryptedOnRealHub_R_C7(t *testing.T) {
	s := startStoreHub(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.finished(t, "chat-1-record-1", "chat-1", "ada", "record", "Rita", at, time.Minute)
	plain := randomBytes(t, 300<<10+17) // several 64 KiB age chunks
	s.upload(t, "ada", "chat-1-record-1", "chat-1", "2026-12-01_rita_chat-1.webm", plain, true)
	c := newStoreClient(t, s.url, "demo-token-ada")
	page, err := c.MyRecordings(t.Context(), "", 0)
	if err != nil || len(page.Recordings) != 1 || len(page.Recordings[0].Files) != 1 {
		t.Fatalf("list: %+v, %v", page, err)
	}
	f := page.Recordings[0].Files[0]
	if !f.Encrypted() {
		t.Fatalf("stored as %s, want a sealed .age", f.Name)
	}
	dir := filepath.Join(t.TempDir(), "Recordings") // made by Download
	var last [2]int64
	saved, err := c.Download(t.Context(), f, dir, func(done, total int64) { last = [2]int64{done, total} })
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(saved.Path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	if !bytes.Equal(got, plain) || saved.SHA256 != hex.EncodeToString(sum[:]) || saved.Size != int64(len(plain)) {
		t.Fatalf("saved %d bytes (sha %s), want the %d plaintext bytes", len(got), saved.SHA256, len(plain))
	}
	if filepath.Base(saved.Path) != "2026-12-01_rita_chat-1.webm" {
		t.Errorf("saved as %s", saved.Path)
	}
	if last != [2]int64{int64(len(plain)), int64(len(plain))} {
		t.Errorf("last progress %v, want %d of %d", last, len(plain), len(plain))
	}
	if !strings.Contains(saved.Checked, "age") {
		t.Errorf("checked %q", saved.Checked)
	}
	again, err := c.Download(t.Context(), f, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(again.Path) != "2026-12-01_rita_chat-1 (1).webm" {
		t.Errorf("second download saved as %s", again.Path)
	}
	if b, _ := os.ReadFile(saved.Path); !bytes.Equal(b, plain) {
		t.Error("the second download changed the first file")
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"2026-12-01_rita_chat-1 (1).webm", "2026-12-01_rita_chat-1.webm"}) {
		t.Errorf("the folder holds %v", names)
	}
}

// A file stored unencrypted is checked against the SHA-256 the store
// keeps; bytes changed on the hub's disk fail the download and leave
// nothing in the folder, sealed or not.
func TestDownloadChecksOnRealHub(t *testing.T) {
	s := startStoreHub(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.finished(t, "chat-1-record-1", "chat-1", "ada", "record", "Rita", at, time.Minute)
	s.finished(t, "chat-2-record-1", "chat-2", "ada", "record", "Olga", at.Add(time.Hour), time.Minute)
	plainFile := randomBytes(t, 100<<10)
	s.upload(t, "ada", "chat-1-record-1", "chat-1", "open.webm", plainFile, false)
	s.upload(t, "ada", "chat-2-record-1", "chat-2", "sealed.webm", randomBytes(t, 200<<10), true)
	c := newStoreClient(t, s.url, "demo-token-ada")
	page, err := c.MyRecordings(t.Context(), "", 0)
	if err != nil || len(page.Recordings) != 2 {
		t.Fatalf("list: %+v, %v", page, err)
	}
	files := map[string]StoredFile{}
	for _, r := range page.Recordings {
		files[r.Files[0].Name] = r.Files[0]
	}
	dir := t.TempDir()
	saved, err := c.Download(t.Context(), files["open.webm"], dir, nil)
	if err != nil || !strings.Contains(saved.Checked, "SHA-256 matches") {
		t.Fatalf("open file: %+v, %v", saved, err)
	}
	os.Remove(saved.Path)

	for _, name := range []string{"open.webm", "sealed.webm.age"} {
		flipByte(t, filepath.Join(s.files, name))
		_, err := c.Download(t.Context(), files[name], dir, nil)
		if err == nil {
			t.Errorf("%s: a changed byte on the hub passed the download", name)
		}
		t.Logf("%s changed on the hub: %v", name, err)
		if names := dirNames(t, dir); len(names) != 0 {
			t.Errorf("%s: a failed download left %v", name, names)
		}
	}
	// another agent's file is the 404 of an unknown one
	_, err = newStoreClient(t, s.url, "demo-token-grace").Download(t.Context(), files["open.webm"], dir, nil)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("grace fetching Ada's file: %v, want ErrNotFound", err)
	}
	// a folder that cannot be made is said
	blocker := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(blocker, nil, 0o600)
	if _, err := c.Download(t.Context(), files["open.webm"], filepath.Join(blocker, "sub"), nil); err == nil || !strings.Contains(err.Error(), "cannot make the folder") {
		t.Errorf("folder under a file: %v", err)
	}
}

// A cancelled download leaves nothing in the folder.
func TestDownloadCancelled(t *testing.T) {
	s := startStoreHub(t)
	s.finished(t, "chat-1-record-1", "chat-1", "ada", "record", "Rita", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), time.Minute)
	s.upload(t, "ada", "chat-1-record-1", "chat-1", "big.webm", randomBytes(t, 4<<20), true)
	c := newStoreClient(t, s.url, "demo-token-ada")
	page, err := c.MyRecordings(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	dir := t.TempDir()
	_, err = c.Download(ctx, page.Recordings[0].Files[0], dir, func(done, _ int64) {
		if done > 256<<10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled download: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a cancelled download left %v", names)
	}
}

func TestSaveName(t *testing.T) {
	for _, c := range []struct{ file, id, want string }{
		{"2026-12-01_x.webm.age", "f", "2026-12-01_x.webm"},
		{"plain.webm", "f", "plain.webm"},
		{"../../etc/passwd", "f", "passwd"},
		{`dir\evil.webm`, "f", "evil.webm"},
		{".hidden.webm", "f", "hidden.webm"},
		{"", "01KB/H2", "recording-01KB_H2.webm"},
		{"..", "x", "recording-x.webm"},
	} {
		if got := saveName(StoredFile{ID: c.id, Name: c.file}); got != c.want {
			t.Errorf("saveName(%q) = %q, want %q", c.file, got, c.want)
		}
	}
}

func TestNewStoreAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"http://hub:8080":            "http://hub:8080",
		"https://hub.example/x/y":    "https://hub.example",
		"ws://127.0.0.1:9/v1/agent":  "http://127.0.0.1:9",
		"wss://hub.example/v1/agent": "https://hub.example",
		"127.0.0.1:8080":             "http://127.0.0.1:8080",
	} {
		s, err := NewStore(in, "t", nil)
		if err != nil || s.base != want {
			t.Errorf("NewStore(%q): %v, %v; want %s", in, s, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://hub", "://", "http://"} {
		if _, err := NewStore(bad, "t", nil); err == nil {
			t.Errorf("NewStore(%q) took it", bad)
		}
	}
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// What a download says it verified, and when it fails.
func TestDownloadCheck(t *testing.T) {
	sealed := StoredFile{Name: "a.webm.age", SHA256: "ff"}
	open := StoredFile{Name: "a.webm", SHA256: "AB12"}
	for _, c := range []struct {
		name        string
		f           StoredFile
		n, total    int64
		sum         string
		err         error
		words, fail string
	}{
		{"sealed, whole", sealed, 10, 10, "00", nil, "all 10 bytes the hub announced arrived; the hub opened the sealed file with age", ""},
		{"sealed, short", sealed, 5, 10, "00", nil, "", "5 of the 10 bytes"},
		{"cut off", sealed, 5, 10, "00", io.ErrUnexpectedEOF, "", "the hub stopped after 5 of 10 bytes"},
		{"open, its SHA-256", open, 10, 10, "ab12", nil, "its SHA-256 matches the one the store keeps", ""},
		{"open, another SHA-256", open, 10, 10, "ab13", nil, "", "differs from the stored file's AB12"},
		{"open, none to compare", StoredFile{Name: "a.webm"}, 10, -1, "ab", nil, "the store named no SHA-256 to compare", ""},
		{"broke off", open, 3, 10, "", errors.New("connection reset"), "", "broke off: connection reset"},
	} {
		words, err := check(c.f, c.n, c.total, c.sum, c.err)
		switch {
		case c.fail == "" && (err != nil || !strings.Contains(words, c.words)):
			t.Errorf("%s: %q, %v; want %q", c.name, words, err, c.words)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%s: %v; want an error with %q", c.name, err, c.fail)
		}
	}
}
