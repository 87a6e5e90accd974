package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session/upload"
)

// The age STREAM format: 64 KiB of plaintext a chunk, each sealed with a
// 16-byte Poly1305 tag.
const (
	ageChunk    = 64 << 10
	ageSealed   = ageChunk + 16
	ageHeadRead = 4096 // age reads its header through one bufio.Reader fill
)

// plainAt fills p with the test plaintext from offset off: every 8 bytes
// a splitmix64 of their index, so any range can be made again without
// keeping the file.
func plainAt(p []byte, off int64) {
	var b [8]byte
	for i := 0; i < len(p); {
		o := off + int64(i)
		x := uint64(o/8) + 0x9E3779B97F4A7C15
		x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
		x = (x ^ x>>27) * 0x94D049BB133111EB
		x ^= x >> 31
		binary.LittleEndian.PutUint64(b[:], x)
		i += copy(p[i:], b[o%8:])
	}
}

// sealedFile writes size bytes of plainAt encrypted to id's recipient,
// streaming, and returns it ready for the test tus client.
func sealedFile(t testing.TB, id *age.X25519Identity, size int64, name string) *testFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	counted := &countWriter{w: io.MultiWriter(out, h)}
	enc, err := age.Encrypt(counted, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off)
		plainAt(buf[:n], off)
		if _, err := enc.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	f := &testFile{path: path, size: counted.n, sha: hex.EncodeToString(h.Sum(nil)), meta: map[string]string{
		upload.MetaFilename: name, upload.MetaInteraction: "c-seek"}}
	f.meta[upload.MetaSHA256] = f.sha
	f.meta[upload.MetaSize] = strconv.FormatInt(f.size, 10)
	return f
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// chunksOf is how many STREAM chunks the plaintext bytes first..last
// (inclusive) lie in.
func chunksOf(first, last int64) int64 { return last/ageChunk - first/ageChunk + 1 }

// TestRangeDecryptsOnlyItsChunks_R_V5 (issue 12 point 4): a 100 MiB
// recording encrypted with age and uploaded with tus is served by the
// real hub with ?decrypt=1 and Range: a range in the middle, a suffix, an
// open end and two ranges at once come back byte for byte the plaintext,
// and the hub decrypts at most the chunks the ranges cover plus what age
// reads to open the file (its header, one buffer of at most 4 KiB, and
// the last chunk, opened to check the size): never the rest. A range past
// the end is 416 with the size.
func TestRangeDecryptsOnlyItsChunks_R_V5(t *testing.T) {
	const size = 100 << 20
	id, keyPath := identityFile(t)
	s, base, _ := startStoreHub(t, func(c *Config) { c.Store.IdentityFile = keyPath })
	f := sealedFile(t, id, size, "2026-12-03_090000_general_ada_c-seek_record_r1.webm.age")
	ctx := testCtx(t, time.Minute)
	fid, err := newTusClient(base, "t-ada").send(ctx, f, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Each request opens the file: age reads its header and opens the
	// last chunk to check the size (a whole chunk here: 100 MiB is 1600
	// chunks, the last one flagged).
	const open = ageHeadRead + ageSealed

	for _, tc := range []struct {
		name, rng   string
		first, last int64 // the plaintext bytes wanted
	}{
		{"1 MiB from 50 MB", "bytes=50000000-51048575", 50000000, 51048575},
		{"1 MiB at 50 MiB, chunk-aligned", "bytes=52428800-53477375", 52428800, 53477375},
		{"suffix", "bytes=-100000", size - 100000, size - 1},
		{"open end", "bytes=104000000-", 104000000, size - 1},
		{"one byte", "bytes=77777777-77777777", 77777777, 77777777},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.in.DecryptedBytes()
			st, b, h := getFile(t, base, fid, "?decrypt=1", "t-sue", map[string]string{"Range": tc.rng})
			spent := s.in.DecryptedBytes() - before
			want := make([]byte, tc.last-tc.first+1)
			plainAt(want, tc.first)
			if st != http.StatusPartialContent || h.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", tc.first, tc.last, size) {
				t.Fatalf("status %d, Content-Range %q", st, h.Get("Content-Range"))
			}
			if string(b) != string(want) {
				t.Fatalf("%d bytes differ from the plaintext's %d-%d", len(b), tc.first, tc.last)
			}
			bound := open + chunksOf(tc.first, tc.last)*ageSealed
			if spent > bound || spent < chunksOf(tc.first, tc.last)*ageSealed-ageSealed {
				t.Fatalf("decrypted %d bytes for %d bytes asked; want at most %d (%d chunks + header + last chunk)",
					spent, len(want), bound, chunksOf(tc.first, tc.last))
			}
			t.Logf("%s: %d bytes served, %d decrypted (bound %d) of a %d-byte file", tc.rng, len(b), spent, bound, f.size)
		})
	}

	t.Run("two ranges", func(t *testing.T) {
		before := s.in.DecryptedBytes()
		st, b, h := getFile(t, base, fid, "?decrypt=1", "t-sue", map[string]string{"Range": "bytes=100-199,60000000-60000099"})
		spent := s.in.DecryptedBytes() - before
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if st != http.StatusPartialContent || err != nil || mt != "multipart/byteranges" {
			t.Fatalf("status %d, Content-Type %q (%v)", st, h.Get("Content-Type"), err)
		}
		mr := multipart.NewReader(strings.NewReader(string(b)), params["boundary"])
		for _, first := range []int64{100, 60000000} {
			p, err := mr.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(p)
			want := make([]byte, 100)
			plainAt(want, first)
			if p.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", first, first+99, size) || string(got) != string(want) ||
				p.Header.Get("Content-Type") != "video/webm" {
				t.Fatalf("part %q %q: %d bytes, not the plaintext's", p.Header.Get("Content-Range"), p.Header.Get("Content-Type"), len(got))
			}
		}
		if _, err := mr.NextPart(); err != io.EOF {
			t.Fatalf("a third part: %v", err)
		}
		if bound := int64(open + 2*ageSealed); spent > bound {
			t.Fatalf("decrypted %d for two 100-byte ranges, want at most %d", spent, bound)
		}
	})

	t.Run("past the end", func(t *testing.T) {
		before := s.in.DecryptedBytes()
		st, _, h := getFile(t, base, fid, "?decrypt=1", "t-sue", map[string]string{"Range": fmt.Sprintf("bytes=%d-", size)})
		spent := s.in.DecryptedBytes() - before
		if st != http.StatusRequestedRangeNotSatisfiable || h.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
			t.Fatalf("status %d, Content-Range %q; want 416 bytes */%d", st, h.Get("Content-Range"), size)
		}
		if spent > int64(open) {
			t.Fatalf("decrypted %d for a range past the end, want at most %d", spent, open)
		}
	})

	t.Run("sealed bytes are not counted", func(t *testing.T) {
		before := s.in.DecryptedBytes()
		st, b, _ := getFile(t, base, fid, "", "t-sue", map[string]string{"Range": "bytes=0-3"})
		if st != http.StatusPartialContent || string(b) != "age-" || s.in.DecryptedBytes() != before {
			t.Fatalf("sealed range: %d %q, counter moved by %d", st, b, s.in.DecryptedBytes()-before)
		}
	})
}

// TestServeStoredForTheWebApp: ServeStored is how the web app streams a
// recording whose access it decided: no token is asked for; with decrypt
// the plaintext comes (Range answered), without it the sealed bytes; a
// file whose bytes are gone is the 404 in words; decrypt on a file that
// is not encrypted serves it as it is.
func TestServeStoredForTheWebApp(t *testing.T) {
	id, keyPath := identityFile(t)
	s, base, dir := startStoreHub(t, func(c *Config) { c.Store.IdentityFile = keyPath })
	ctx := testCtx(t, wait)
	plain := bytes.Repeat([]byte("0123456789"), 30000)
	sealed := ageFile(t, id, plain)
	fid := uploadFile(t, ctx, base, "t-ada", "r.webm.age", sealed)
	pid := uploadFile(t, ctx, base, "t-ada", "p.webm", plain)
	file := func(id string) store.File {
		f, err := s.Store().File(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	serve := func(f store.File, decrypt bool, rng string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/app/anything", nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		rec := httptest.NewRecorder()
		s.Files().ServeStored(rec, req, f, decrypt)
		return rec
	}
	for _, tc := range []struct {
		name    string
		f       store.File
		decrypt bool
		rng     string
		status  int
		body    []byte
		ctype   string
	}{
		{"decrypted", file(fid), true, "", 200, plain, "video/webm"},
		{"decrypted range", file(fid), true, "bytes=200000-200009", 206, plain[200000:200010], "video/webm"},
		{"sealed", file(fid), false, "", 200, sealed, "application/octet-stream"},
		{"plain file, decrypt asked", file(pid), true, "bytes=-10", 206, plain[len(plain)-10:], "video/webm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(tc.f, tc.decrypt, tc.rng)
			if rec.Code != tc.status || !bytes.Equal(rec.Body.Bytes(), tc.body) || rec.Header().Get("Content-Type") != tc.ctype {
				t.Fatalf("%d, %d bytes, %q; want %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"), tc.status, len(tc.body), tc.ctype)
			}
		})
	}
	gone := file(pid)
	if err := os.Remove(filepath.Join(dir, "files", filepath.FromSlash(gone.Path))); err != nil {
		t.Fatal(err)
	}
	var e api.Error
	if rec := serve(gone, false, ""); rec.Code != http.StatusNotFound || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != api.ErrNoSuchFile {
		t.Fatalf("a file gone from disk: %d %s", rec.Code, rec.Body.String())
	}
}

// BenchmarkRangeDecrypted is the hub's own part of a seek: a Range of
// 1 MiB (what a browser reads around a seek in a 600 kbit/s recording is
// 1-4 MB) at a random offset of a 100 MiB sealed recording, through the
// real handler on loopback, decrypted (?decrypt=1) and, as the peer, the
// sealed bytes as they are (net/http's ServeContent on the file, which
// sends with sendfile). The time per op is the hub's time for the range.
func BenchmarkRangeDecrypted(b *testing.B) {
	const size, span = 100 << 20, 1 << 20
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	keyPath := filepath.Join(dir, "store.key")
	if err := os.WriteFile(keyPath, []byte(id.String()+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := ParseConfig([]byte(testYAML))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Store.Dir, cfg.Store.IdentityFile = filepath.Join(dir, "store"), keyPath
	s := newHub(b, cfg)
	ts := httptest.NewServer(s.Handler())
	b.Cleanup(ts.Close)
	f := sealedFile(b, id, size, "2026-12-03_090000_general_ada_c-seek_record_r1.webm.age")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fid, err := newTusClient(ts.URL, "t-ada").send(ctx, f, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, query string }{{"decrypted", "?decrypt=1"}, {"sealed", ""}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(span)
			before := s.in.DecryptedBytes()
			for i := 0; b.Loop(); i++ {
				off := int64(i) * 7919 * 4099 % (size - span) // spread over the file
				req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v1/files/"+fid+tc.query, nil)
				req.Header.Set("Authorization", "Bearer t-sue")
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+span-1))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusPartialContent || n != span {
					b.Fatalf("%d, %d bytes", resp.StatusCode, n)
				}
			}
			b.ReportMetric(float64(s.in.DecryptedBytes()-before)/float64(b.N), "decrypted-B/op")
		})
	}
}
