package hub

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/upload"
)

// TestHostileClients is issue 10's proof: a real chathub on loopback,
// attacked with real websocket and HTTP clients, one subtest per point of
// the issue. Each asserts the refusal and that legitimate users are
// unaffected: an agent keeps receiving offers, others' uploads complete
// byte-identical. The points that need a hub of their own (connection
// caps under a small open-file limit, TLS) run beside the ones that share
// one hub.
func TestHostileClients(t *testing.T) {
	bin := buildChathub(t)
	t.Run("2_connections", func(t *testing.T) { t.Parallel(); hostileConnections(t, bin) })
	t.Run("8_tls", func(t *testing.T) { t.Parallel(); hostileTLS(t, bin) })
	t.Run("shared hub", func(t *testing.T) {
		t.Parallel()
		id, keyFile := identityFile(t)
		h := startChathub(t, bin, withLimits(strings.Replace(hostileYAML, "IDENTITY", keyFile, 1), "stall_timeout: 2s"))
		s := &hostile{t: t, h: h, id: id, base: h.base()}
		// A legitimate agent works a chat throughout: every point ends by
		// checking that ada still gets offers and her chat still relays.
		s.ada, _ = agentLogin(t, h.ws(), "t-ada", true)
		t.Run("1_upload_method_override", s.methodOverride)
		t.Run("3_published_demo_tokens", func(t *testing.T) { hostileDemoTokens(t, bin, s) })
		t.Run("4_decrypt_only_for_supervisors", s.decryptRoles)
		t.Run("5_decrypt_streams", s.decryptStreams)
		t.Run("6_dedupe_per_owner", s.dedupe)
		t.Run("7_existence_does_not_leak", s.existence)
		t.Run("9_security_headers_and_csp", s.headers)
		t.Run("10_tokens_not_in_logs_or_urls", s.tokensNotLogged)
	})
}

// hostile is the shared hub and its legitimate users.
type hostile struct {
	t    *testing.T
	h    *chathub
	id   *age.X25519Identity
	base string
	ada  *client // agent ada, ready
	n    int     // customers so far
}

// stillServes checks the legitimate side after an attack: a new customer's
// chat is offered to ada, she takes it, and lines go both ways.
func (s *hostile) stillServes(t *testing.T) {
	t.Helper()
	s.n++
	name := fmt.Sprintf("Legit%d", s.n)
	cust, j := customerJoin(t, s.h.ws(), session.JoinData{Name: name, Queue: "general"})
	connect(t, s.ada, cust, j.Chat)
	cust.send(session.TypeSend, "", session.SendData{Text: "still there?"})
	lineWith(s.ada, "still there?")
	s.ada.send(session.TypeSend, j.Chat, session.SendData{Text: "yes, " + name})
	lineWith(cust, "yes, "+name)
	s.ada.send(session.TypeEnd, j.Chat, nil)
	s.ada.expect(session.TypeState)
	s.ada.send(session.TypeDone, j.Chat, nil)
	s.ada.expect(session.TypeState)
}

// storedBytes fetches file id as the supervisor and returns its bytes.
func (s *hostile) storedBytes(t *testing.T, id, query string) []byte {
	t.Helper()
	resp, b, err := getWith(testCtx(t, wait), http.DefaultClient, s.base+"/v1/files/"+id+query, "t-sue")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("supervisor GET %s%s: %v %v %s", id, query, err, resp, b)
	}
	return b
}

func apiCode(b []byte) string {
	var e api.Error
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// methodOverride (point 1): X-HTTP-Method-Override on another agent's
// upload, for every tus method, gets exactly what an unknown upload gets
// (PATCH and DELETE: 404; the others are refused as overrides); so do the
// methods themselves; the owner's upload is untouched and completes
// byte-identical, through the override too (a client behind a proxy that
// allows only GET and POST). TestOverrideWaitsItsTurn shows the override
// keeps the per-upload serialisation.
func (s *hostile) methodOverride(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ada, grace := newTusClient(s.base, "t-ada"), newTusClient(s.base, "t-grace")
	data := randomBytes(t, 300<<10)
	f, err := newTestFile(filepath.Join(t.TempDir(), "ada"), data, map[string]string{upload.MetaFilename: "ada.webm", upload.MetaInteraction: "c-ada"})
	if err != nil {
		t.Fatal(err)
	}
	loc, resp, _, err := ada.create(ctx, f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v", err, resp)
	}
	half := int64(len(data) / 2)
	if resp, b, err := ada.patch(ctx, loc, 0, half, bytes.NewReader(data[:half])); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("ada's first half: %v %v %s", err, resp, b)
	}
	unknown := s.base + upload.UploadsPath + "0123456789abcdef0123456789abcdef"
	junk := bytes.Repeat([]byte{'x'}, 1000)
	try := func(c *tusClient, method, url string, hdr map[string]string) (int, string) {
		t.Helper()
		h := map[string]string{"Upload-Offset": strconv.FormatInt(half, 10), "Content-Type": "application/offset+octet-stream",
			"Content-Length": strconv.Itoa(len(junk))}
		for k, v := range hdr {
			h[k] = v
		}
		resp, b, err := c.do(ctx, method, url, bytes.NewReader(junk), h)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		return resp.StatusCode, string(b)
	}
	// Every tus method through the override: PATCH and DELETE are applied
	// before the ownership check (404 as for an unknown upload), anything
	// else is refused.
	for _, m := range []string{http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodGet, http.MethodOptions, http.MethodPost, "patch", "PUT"} {
		over := map[string]string{ingestOverride: m}
		st, b := try(grace, http.MethodPost, loc, over)
		ust, ub := try(grace, http.MethodPost, unknown, over)
		want, code := http.StatusNotFound, api.ErrNoSuchUpload
		if m != http.MethodPatch && m != http.MethodDelete {
			want, code = http.StatusBadRequest, api.ErrBadRequest
		}
		if st != want || apiCode([]byte(b)) != code || st != ust || b != ub {
			t.Errorf("POST with override %s on ada's upload: %d %q; on an unknown one: %d %q; want the same %d %s", m, st, b, ust, ub, want, code)
		}
	}
	// And every method itself.
	for _, m := range []string{http.MethodHead, http.MethodPatch, http.MethodDelete, http.MethodGet, http.MethodOptions, http.MethodPost} {
		st, b := try(grace, m, loc, nil)
		ust, ub := try(grace, m, unknown, nil)
		if st != ust || b != ub || (m != http.MethodOptions && st != http.StatusNotFound) {
			t.Errorf("%s on ada's upload: %d %q; on an unknown one: %d %q; want the same (404 but for OPTIONS)", m, st, b, ust, ub)
		}
	}
	if st, b := try(grace, http.MethodPost, loc, map[string]string{ingestOverride: http.MethodPatch + ", " + http.MethodDelete}); st != http.StatusBadRequest {
		t.Errorf("two overrides: %d %s, want 400", st, b)
	}
	// Still ada's, with her half and no byte of grace's: she finishes it
	// through the override, as a client that cannot send PATCH would.
	if off, st, err := ada.head(ctx, loc); err != nil || st != http.StatusOK || off != half {
		t.Fatalf("ada's upload after the attack: %d at %d (%v), want 200 at %d", st, off, err, half)
	}
	resp, b, err := ada.do(ctx, http.MethodPost, loc, bytes.NewReader(data[half:]), map[string]string{ingestOverride: http.MethodPatch,
		"Upload-Offset": strconv.FormatInt(half, 10), "Content-Type": "application/offset+octet-stream", "Content-Length": strconv.Itoa(len(data) - int(half))})
	if err != nil || resp.StatusCode != http.StatusNoContent || resp.Header.Get(upload.HeaderStored) == "" {
		t.Fatalf("ada's second half through the override: %v %v %s", err, resp, b)
	}
	if got := s.storedBytes(t, resp.Header.Get(upload.HeaderStored), ""); !bytes.Equal(got, data) {
		t.Fatal("ada's upload is not stored byte-identical")
	}
	s.stillServes(t)
}

const ingestOverride = "X-HTTP-Method-Override"

// decryptRoles (point 4): an agent who uploads someone else's sealed
// recording under her own token cannot have the hub decrypt it; she gets
// back only the sealed bytes she sent. Supervisors still play it.
func (s *hostile) decryptRoles(t *testing.T) {
	ctx := testCtx(t, wait)
	plain := []byte("grace's recording: the customer's card number is …")
	sealed := ageFile(t, s.id, plain) // as grace's desktop made it
	id := uploadFile(t, ctx, s.base, "t-ada", "grace.webm.age", sealed)
	resp, b, err := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id+"?decrypt=1", "t-ada")
	if err != nil || resp.StatusCode != http.StatusForbidden || apiCode(b) != api.ErrForbidden || bytes.Contains(b, plain) {
		t.Fatalf("the uploader asks for the plaintext: %v %v %q, want 403 forbidden", err, resp, b)
	}
	resp, b, err = getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id+"?decrypt=1&access_token=t-ada", "")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the same with ?access_token=: %v %v %q", err, resp, b)
	}
	if resp, b, err = getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id, "t-ada"); err != nil || !bytes.Equal(b, sealed) {
		t.Fatalf("the uploader's own sealed file: %v %v", err, resp)
	}
	if got := s.storedBytes(t, id, "?decrypt=1"); !bytes.Equal(got, plain) {
		t.Fatalf("the supervisor's playback: %q", got)
	}
	s.stillServes(t)
}

// decryptStreams (point 5): ?decrypt=1 decrypts only the chunks a range
// needs and writes nothing to disk; ten clients that stall on a large
// recording hold neither disk nor much memory, and are cut off after the
// stall timeout; a supervisor playing it meanwhile gets every byte.
func (s *hostile) decryptStreams(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	const size = 24 << 20
	plain := randomBytes(t, size)
	id := uploadFile(t, ctx, s.base, "t-ada", "big.webm.age", ageFile(t, s.id, plain))
	storeBefore := dirBytes(t, s.h.store)
	filesBefore := s.h.openFiles()

	start := time.Now()
	mid := int64(size/2 + 12345)
	resp, b, err := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id+"?decrypt=1", "t-sue", "Range", fmt.Sprintf("bytes=%d-%d", mid, mid+99))
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(b, plain[mid:mid+100]) {
		t.Fatalf("a range in the middle: %v %v, %d bytes", err, resp, len(b))
	}
	rangeTook := time.Since(start)
	if rangeTook > 2*time.Second {
		t.Errorf("a 100-byte range of a 24 MiB recording took %v: the whole file was decrypted", rangeTook)
	}

	rssBefore := s.h.rss()
	var stalled []net.Conn
	for range 10 {
		c, err := net.Dial("tcp", s.h.addr)
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, c)
		fmt.Fprintf(c, "GET /v1/files/%s?decrypt=1 HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer t-sue\r\n\r\n", id)
		line, err := bufio.NewReader(c).ReadString('\n') // the answer has begun; then nothing is read
		if err != nil || !strings.Contains(line, "200") {
			t.Fatalf("stalled request %d: %q %v", len(stalled), line, err)
		}
	}
	t.Cleanup(func() {
		for _, c := range stalled {
			c.Close()
		}
	})
	// Meanwhile a supervisor plays the whole recording.
	if got := s.storedBytes(t, id, "?decrypt=1"); !bytes.Equal(got, plain) {
		t.Fatal("the supervisor's playback beside the stalled clients is not the recording")
	}
	if grew := dirBytes(t, s.h.store) - storeBefore; grew > 1<<20 {
		t.Errorf("the store folder grew by %d bytes while serving: plaintext on disk?", grew)
	}
	grew := s.h.rss() - rssBefore
	t.Logf("a 100-byte range of a 24 MiB recording in the middle: %v; 10 stalled clients and a whole playback grew the hub by %.1f MiB",
		rangeTook, float64(grew)/(1<<20))
	if grew > 48<<20 {
		t.Errorf("10 stalled clients of a 24 MiB recording grew the hub by %d MiB", grew>>20)
	}
	// The stall timeout (2s here) cuts them off: their files are closed.
	await(t, "the stalled downloads cut off", 20*time.Second, func() bool { return s.h.openFiles() <= filesBefore+1 })
	s.stillServes(t)
}

// dirBytes is the size of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// dedupe (point 6): grace uploads exactly ada's bytes and gets a file of
// her own, which she can fetch; ada's is untouched and still hers.
func (s *hostile) dedupe(t *testing.T) {
	ctx := testCtx(t, wait)
	data := randomBytes(t, 64<<10)
	adas := uploadFile(t, ctx, s.base, "t-ada", "same.webm", data)
	graces := uploadFile(t, ctx, s.base, "t-grace", "same.webm", data)
	if adas == graces {
		t.Fatalf("grace was handed ada's file %s", adas)
	}
	for tok, id := range map[string]string{"t-ada": adas, "t-grace": graces} {
		if resp, b, err := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id, tok); err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(b, data) {
			t.Errorf("%s fetching their own file: %v %v", tok, err, resp)
		}
	}
	if resp, _, _ := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+adas, "t-grace"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("grace fetching ada's file: %d", resp.StatusCode)
	}
	s.stillServes(t)
}

// existence (point 7): another agent's file, and verify of another
// agent's checksum, answer exactly what unknown ones answer (uploads: all
// methods in methodOverride).
func (s *hostile) existence(t *testing.T) {
	ctx := testCtx(t, wait)
	data := randomBytes(t, 10<<10)
	id := uploadFile(t, ctx, s.base, "t-ada", "secret.webm", data)
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	unknownID, unknownSHA := "01ARZ3NDEKTSV4RRFFQ69G5FAV", strings.Repeat("ab", 32)
	for _, tok := range []string{"t-grace", "t-ivr"} {
		r1, b1, err1 := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+id, tok)
		r2, b2, err2 := getWith(ctx, http.DefaultClient, s.base+"/v1/files/"+unknownID, tok)
		if err1 != nil || err2 != nil || r1.StatusCode != http.StatusNotFound || r1.StatusCode != r2.StatusCode ||
			strings.ReplaceAll(string(b1), id, "ID") != strings.ReplaceAll(string(b2), unknownID, "ID") {
			t.Errorf("%s: ada's file answers %v %s, an unknown one %v %s", tok, r1, b1, r2, b2)
		}
	}
	grace := newTusClient(s.base, "t-grace")
	v, st, err := grace.verify(ctx, sha)
	_, ust, _ := grace.verify(ctx, unknownSHA)
	if err != nil || st != http.StatusNotFound || st != ust || v.ID != "" {
		t.Errorf("grace verifying ada's checksum: %d %+v, an unknown one %d", st, v, ust)
	}
	if v, st, err := newTusClient(s.base, "t-ada").verify(ctx, sha); err != nil || st != http.StatusOK || v.ID != id {
		t.Errorf("ada verifying her own: %d %+v %v", st, v, err)
	}
	s.stillServes(t)
}

// headers (point 9): every answer carries the security headers; the
// customer page passes its CSP in headless Chromium (a whole chat, no
// violation), and the CSP is in force (an injected inline script is
// blocked and reported).
func (s *hostile) headers(t *testing.T) {
	ctx := testCtx(t, wait)
	for _, path := range []string{"/", "/app.js", "/healthz", "/v1/files/x", "/v1/uploads/verify/x"} {
		resp, _, err := getWith(ctx, http.DefaultClient, s.base+path, "")
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"Content-Security-Policy": ContentSecurityPolicy, "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s: %s %q, want %q", path, k, got, want)
			}
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
	pageUnderCSP(t, browserFor(t, ""), s.base, s.h.ws(), s.ada)
}

// tokensNotLogged (point 10): after everything the suite did with tokens
// (bearer headers, ?access_token= for files), no token is in the hub's
// log; the query is taken only where a browser needs it (files), never by
// the API or the uploads.
func (s *hostile) tokensNotLogged(t *testing.T) {
	ctx := testCtx(t, wait)
	for _, u := range []string{"/v1/recordings?access_token=t-sue", "/v1/uploads/verify/" + strings.Repeat("ab", 32) + "?access_token=t-ada"} {
		if resp, b, err := getWith(ctx, http.DefaultClient, s.base+u, ""); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s: %v %v %s, want 401: the token goes in the Authorization header", u, err, resp, b)
		}
	}
	resp, _, err := getWith(ctx, http.DefaultClient, s.base+"/v1/files/nope?access_token=t-sue", "")
	if err != nil || resp.StatusCode != http.StatusNotFound || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("a file by ?access_token=: %v %v", err, resp)
	}
	log := s.h.logText()
	for _, tok := range []string{"t-ada", "t-grace", "t-sue", "t-ivr", "access_token"} {
		if strings.Contains(log, tok) {
			t.Errorf("the hub's log holds %q", tok)
		}
	}
}

// hostileDemoTokens (point 3): chathub without --config does not start
// unless --demo; a config holding a published demo token is refused
// outside demo mode; a demo token means nothing to a hub with its own.
func hostileDemoTokens(t *testing.T, bin string, s *hostile) {
	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run("--listen", "127.0.0.1:0"); code != 2 || !strings.Contains(out, "no --config given") || !strings.Contains(out, "--demo") {
		t.Errorf("no config: exit %d %q", code, out)
	}
	shipped, err := filepath.Abs("../configs/chathub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if code, out := run("--config", shipped, "--listen", "127.0.0.1:0"); code != 2 || !strings.Contains(out, "published demo tokens in agents[0].token (ada)") {
		t.Errorf("the shipped config outside demo mode: exit %d %q", code, out)
	}
	// --demo runs on the built-in config, says so in its log, and takes
	// its tokens.
	demo := startChathub(t, bin, "", "--demo")
	if !strings.Contains(demo.logText(), "demo mode: the published demo tokens are accepted") {
		t.Errorf("a demo hub does not say so: %s", demo.logText())
	}
	agentLogin(t, demo.ws(), "demo-token-ada", false)
	c := dial(t, s.h.ws(), "/v1/agent")
	c.send(session.TypeHello, "", session.HelloData{Token: "demo-token-ada"})
	if e, _ := expectData[session.ErrorData](c, session.TypeError); e.Code != session.ErrCodeUnauthorized {
		t.Errorf("a demo token on a hub with its own: %+v", e)
	}
	s.stillServes(t)
}
