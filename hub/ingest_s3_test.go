package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files/s3test"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/session/upload"
)

// startS3 runs a real S3 server for one test (versitygw storing into a
// temp folder) with a live and an archive bucket; stopped after the test.
// Without it the test fails under CI and skips elsewhere.
func startS3(t testing.TB) (srv *s3test.Server, live, archive string) {
	t.Helper()
	srv, err := s3test.Start(t.TempDir())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("a real S3 server is needed under CI: %v", err)
		}
		t.Skipf("no S3 server: %v", err)
	}
	t.Cleanup(srv.Stop)
	live, archive = "recordings", "recordings-archive"
	for _, b := range []string{live, archive} {
		if err := srv.MakeBucket(context.Background(), b, false); err != nil {
			t.Fatal(err)
		}
	}
	return srv, live, archive
}

// startS3Staging is startS3 with an uploads bucket too
// (store.objects.uploads_bucket).
func startS3Staging(t testing.TB) (srv *s3test.Server, live, archive, uploads string) {
	t.Helper()
	srv, live, archive = startS3(t)
	uploads = "recordings-uploads"
	if err := srv.MakeBucket(context.Background(), uploads, false); err != nil {
		t.Fatal(err)
	}
	return srv, live, archive, uploads
}

// s3Objects is store.objects for srv, the secret in a file.
func s3Objects(t testing.TB, srv *s3test.Server, live, archive string) ObjectsConfig {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "s3.secret")
	if err := os.WriteFile(secret, []byte(srv.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return ObjectsConfig{Endpoint: "http://" + srv.Endpoint, Region: srv.Region, Bucket: live, ArchiveBucket: archive,
		AccessKeyID: srv.AccessKey, SecretAccessKeyFile: secret, PartSize: 5 << 20}
}

func fileSHA(t *testing.T, path string) (string, error) {
	t.Helper()
	b, err := os.ReadFile(path) // #nosec G304 -- the test's S3 folder
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// TestS3Store_R_V10_R_V5_R_V6_X1 (issue 16 point 2): a real hub with
// store.objects on a real S3 server (versitygw on loopback, storing into a
// folder). A 40 MiB sealed recording uploaded with tus is acknowledged
// only once it is in the bucket, byte-identical (the object's file in the
// server's folder has the upload's SHA-256; nothing under store.dir/files);
// verify confirms it; a Range from the middle is decrypted from S3 with
// only the chunks it covers decrypted and a few hundred KiB fetched;
// archive moves the object to the archive bucket (still playable) and
// restore back; erasure (R-H6) leaves it in neither bucket.
func TestS3Store_R_V10_R_V5_R_V6_X1(t *testing.T) {
	t.Parallel()
	srv, live, archive := startS3(t)
	id, keyPath := identityFile(t)
	s, base, dir := startStoreHub(t, func(c *Config) {
		c.Store.IdentityFile = keyPath
		c.Store.Objects = s3Objects(t, srv, live, archive)
	})
	objects, ok := s.in.Storage().(*s3files.Store)
	if !ok {
		t.Fatalf("the hub stores files in %T, not S3", s.in.Storage())
	}
	const size = 40 << 20
	f := sealedFile(t, id, size, "2026-12-03_090000_general_ada_c-seek_record_r1.webm.age")
	ctx := testCtx(t, 2*time.Minute)
	start := time.Now()
	fid, err := newTusClient(base, "t-ada").send(ctx, f, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes uploaded and stored in S3 in %v", f.size, time.Since(start))
	sf, err := s.Store().File(ctx, fid)
	if err != nil {
		t.Fatal(err)
	}
	inBucket := filepath.Join(srv.Dir, live, filepath.FromSlash(sf.Path))
	if sum, err := fileSHA(t, inBucket); err != nil || sum != f.sha {
		t.Fatalf("the object in the bucket's folder: sha256 %s (%v), the upload's %s", sum, err, f.sha)
	}
	if ents, err := os.ReadDir(filepath.Join(dir, "files")); len(ents) != 0 || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("store.dir/files with S3 configured: %v (%v)", ents, err)
	}
	if v, st, err := newTusClient(base, "t-ada").verify(ctx, f.sha); err != nil || st != http.StatusOK || v.ID != fid {
		t.Fatalf("verify: %d %+v %v", st, v, err)
	}

	playMiddle := func(t *testing.T) {
		t.Helper()
		const first, last = 20000000, 21048575 // 1 MiB from the middle
		dec, fetched := s.in.DecryptedBytes(), objects.Fetched()
		st, b, h := getFile(t, base, fid, "?decrypt=1", "t-sue", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", first, last)})
		dec, fetched = s.in.DecryptedBytes()-dec, objects.Fetched()-fetched
		want := make([]byte, last-first+1)
		plainAt(want, first)
		if st != http.StatusPartialContent || h.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", first, last, size) || !bytes.Equal(b, want) {
			t.Fatalf("status %d, Content-Range %q, %d bytes (the plaintext's: %v)", st, h.Get("Content-Range"), len(b), bytes.Equal(b, want))
		}
		if bound := ageHeadRead + ageSealed + chunksOf(first, last)*ageSealed; dec > bound {
			t.Fatalf("decrypted %d bytes for a 1 MiB range; want at most %d", dec, bound)
		}
		if fetched > 4<<20 {
			t.Fatalf("fetched %d bytes from S3 for a 1 MiB range of %d", fetched, size)
		}
		t.Logf("1 MiB from the middle: %d bytes decrypted, %d fetched from S3, of %d", dec, fetched, f.size)
	}
	t.Run("range from the middle", playMiddle)

	t.Run("archive and restore", func(t *testing.T) {
		if err := s.in.Archive(ctx, sf); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(inBucket); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("still in the live bucket after archiving: %v", err)
		}
		if sum, err := fileSHA(t, filepath.Join(srv.Dir, archive, filepath.FromSlash(sf.Path))); err != nil || sum != f.sha {
			t.Fatalf("the archived object: %s %v", sum, err)
		}
		playMiddle(t) // an archived recording still plays
		if err := s.in.Restore(ctx, sf); err != nil {
			t.Fatal(err)
		}
		if sum, err := fileSHA(t, inBucket); err != nil || sum != f.sha {
			t.Fatalf("the restored object: %s %v", sum, err)
		}
	})

	t.Run("erasure", func(t *testing.T) {
		gone, err := s.in.Erase(ctx, "c-seek")
		if err != nil || len(gone) != 1 {
			t.Fatalf("erase: %v, %d files", err, len(gone))
		}
		for _, b := range []string{live, archive} {
			if _, err := os.Stat(filepath.Join(srv.Dir, b, filepath.FromSlash(sf.Path))); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the object is left in %s after erasure: %v", b, err)
			}
		}
		if st, _, _ := getFile(t, base, fid, "", "t-sue", nil); st != http.StatusNotFound {
			t.Fatalf("an erased file: %d", st)
		}
	})
}

// TestS3StoreRefusals: a hub whose S3 bucket is missing or whose secret is
// wrong does not start, and says why without the secret; an S3 file that
// is gone from the bucket is not confirmed by verify and is a 404.
func TestS3StoreRefusals(t *testing.T) {
	srv, live, archive := startS3(t)
	for _, tc := range []struct {
		name   string
		mutate func(*ObjectsConfig)
		want   string
	}{
		{"no bucket", func(o *ObjectsConfig) { o.Bucket = "not-made" }, `bucket "not-made" does not exist`},
		{"wrong secret", func(o *ObjectsConfig) {
			_ = os.WriteFile(o.SecretAccessKeyFile, []byte("wrong-secret-0123456789"), 0o600)
		}, `bucket "recordings"`},
		{"no secret", func(o *ObjectsConfig) { o.SecretAccessKeyFile = "" }, EnvS3SecretAccessKey},
		{"uploads bucket not made", func(o *ObjectsConfig) { o.UploadsBucket = "not-made" }, `bucket "not-made" does not exist`},
		{"uploads bucket is the live one", func(o *ObjectsConfig) { o.UploadsBucket = o.Bucket }, "must be named and differ from the live and archive buckets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvS3SecretAccessKey, "")
			cfg := testConfig(t, func(c *Config) {
				c.Store.Dir = t.TempDir()
				c.Store.Objects = s3Objects(t, srv, live, archive)
				tc.mutate(&c.Store.Objects)
			})
			_, err := Open(cfg, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), srv.SecretKey) || strings.Contains(err.Error(), "wrong-secret") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}

	t.Run("checksum mismatch", func(t *testing.T) {
		_, base, _ := startStoreHub(t, func(c *Config) { c.Store.Objects = s3Objects(t, srv, live, archive) })
		ctx := testCtx(t, time.Minute)
		for _, size := range []int{64 << 10, 11 << 20} { // one PUT; a multipart upload
			data := randomBytes(t, size)
			f, err := newTestFile(filepath.Join(t.TempDir(), "up"), data, recMeta())
			if err != nil {
				t.Fatal(err)
			}
			c := newTusClient(base, "t-ada")
			loc, resp, b, err := c.create(ctx, f.size, f.meta)
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %v %v %s", err, resp, b)
			}
			bad := append([]byte(nil), data...)
			bad[size-1000] ^= 0xff // corrupted in transit, in the last part
			resp, b, err = c.patch(ctx, loc, 0, f.size, bytes.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != upload.StatusChecksumMismatch || string(b) != "checksum mismatch" {
				t.Fatalf("%d bytes corrupted: %d %q, want 460 checksum mismatch", size, resp.StatusCode, b)
			}
			if n := objectsIn(t, srv, live); n != 0 {
				for o := range srv.Client.ListObjects(context.Background(), live, minio.ListObjectsOptions{Recursive: true}) {
					t.Logf("object %q %d", o.Key, o.Size)
				}
				for u := range srv.Client.ListIncompleteUploads(context.Background(), live, "", true) {
					t.Logf("upload %+v", u)
				}
				t.Fatalf("%d bytes corrupted: %d objects in the bucket", size, n)
			}
		}
	})

	t.Run("readyz", func(t *testing.T) {
		srv2, live2, archive2 := startS3(t)
		s, _, _ := startStoreHub(t, func(c *Config) { c.Store.Objects = s3Objects(t, srv2, live2, archive2) })
		if r := s.Readiness(context.Background()); !r.Ready || r.Checks["files"] != "ok" {
			t.Fatalf("with S3 up: %+v", r)
		}
		srv2.Stop()
		if r := s.Readiness(context.Background()); r.Ready || r.Checks["files"] == "ok" {
			t.Fatalf("with S3 down: %+v", r)
		} else {
			t.Logf("S3 down: %s", r.Checks["files"])
		}
	})

	t.Run("gone from the bucket", func(t *testing.T) {
		s, base, _ := startStoreHub(t, func(c *Config) { c.Store.Objects = s3Objects(t, srv, live, archive) })
		ctx := testCtx(t, time.Minute)
		data := randomBytes(t, 100<<10)
		fid := uploadFile(t, ctx, base, "t-ada", "gone.webm", data)
		sf, err := s.Store().File(ctx, fid)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.in.Storage().Remove(ctx, sf.Path); err != nil {
			t.Fatal(err)
		}
		if st, _, _ := getFile(t, base, fid, "", "t-sue", nil); st != http.StatusNotFound {
			t.Fatalf("a file gone from the bucket: %d", st)
		}
		sum := sha256.Sum256(data)
		if _, st, _ := newTusClient(base, "t-ada").verify(ctx, hex.EncodeToString(sum[:])); st != http.StatusNotFound {
			t.Fatalf("verify of a file gone from the bucket: %d", st)
		}
	})
}

var _ ingest.Storage = (*s3files.Store)(nil)

// objectsIn counts the objects in bucket (and its unfinished multipart
// uploads).
func objectsIn(t *testing.T, srv *s3test.Server, bucket string) int {
	t.Helper()
	n := 0
	for o := range srv.Client.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		n++
	}
	for u := range srv.Client.ListIncompleteUploads(context.Background(), bucket, "", true) {
		if u.Err == nil {
			n++
		}
	}
	return n
}

// TestRetentionInS3_R_V6 (issues 13 and 16): retention's run on a hub
// whose files are in S3 archives a recording by moving its object to the
// archive bucket (still served), and purges one by deleting its object
// from the bucket once the store has purged its rows.
func TestRetentionInS3_R_V6(t *testing.T) {
	t.Parallel()
	srv, live, archive := startS3(t)
	var toks map[string]string
	s, base, dir := startStoreHub(t, func(c *Config) {
		toks = retentionUsers(t, c)
		c.Store.Objects = s3Objects(t, srv, live, archive)
		c.Retention.Rules = retention.Rules{
			{Name: "two-years", Age: retention.Age(2 * retention.Year), Action: retention.Purge},
			{Name: "quarter", Age: retention.Age(90 * retention.Day), Action: retention.Archive},
		}
	})
	archived := &backdated{id: "r-archive", kind: "auto", queue: "general", age: 100 * retention.Day}
	purged := &backdated{id: "r-purge", kind: "auto", queue: "general", age: 3 * retention.Year}
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o700); err != nil {
		t.Fatal(err)
	}
	seedRecordings(t, s, dir, []*backdated{archived, purged})
	ctx := context.Background()
	for _, r := range []*backdated{archived, purged} { // into the bucket, as the ingest would have put them
		p := filepath.Join(dir, "files", r.file.Path)
		if _, err := srv.Client.FPutObject(ctx, live, r.file.Path, p, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	inBucket := func(bucket string, r *backdated) bool {
		_, err := os.Stat(filepath.Join(srv.Dir, bucket, r.file.Path))
		return err == nil
	}
	code, body := apiDo(t, "POST", base+"/v1/retention/run", toks["cora"], "")
	if code != http.StatusOK {
		t.Fatalf("run: %d %s", code, body)
	}
	if rep := decodeJSON[retention.Report](t, body); rep.Archived != 1 || rep.Purged != 1 || rep.Failed != 0 {
		t.Fatalf("run: %s", body)
	}
	if inBucket(live, archived) || !inBucket(archive, archived) {
		t.Fatalf("archived: in the live bucket %v, in the archive bucket %v", inBucket(live, archived), inBucket(archive, archived))
	}
	if st, b, _ := getFile(t, base, archived.file.ID, "", toks["cora"], nil); st != http.StatusOK || string(b) != string(archived.data) {
		t.Fatalf("archived file served: %d %q", st, b)
	}
	if inBucket(live, purged) || inBucket(archive, purged) {
		t.Fatal("purged: the object is left in a bucket")
	}
}

// sendPart creates an upload of size random bytes with meta and sends its
// first sent bytes; it returns the file and the upload's URL.
func sendPart(ctx context.Context, t *testing.T, c *tusClient, meta map[string]string, size, sent int64) (*testFile, string) {
	t.Helper()
	f, err := newTestFile(filepath.Join(t.TempDir(), "up"), randomBytes(t, int(size)), meta)
	if err != nil {
		t.Fatal(err)
	}
	loc, resp, b, err := c.create(ctx, f.size, f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v %s", err, resp, b)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if resp, b, err := c.patch(ctx, loc, 0, sent, bytes.NewReader(data[:sent])); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("patch: %v %v %s", err, resp, b)
	}
	return f, loc
}

// TestS3StagedUploads_R_H6_R_V10 (issue 16): a hub whose unfinished
// uploads are staged in store.objects.uploads_bucket. Two uploads half
// sent (6 MiB of 12: a part and a tail) are the agent's alone (another
// agent's HEAD is 404, as for an unknown upload), listed in the backlog
// with the bytes received, and resumed from their offsets. Erasing one's
// interaction (R-H6) leaves nothing of it in the bucket; expiry takes
// the other; a finished one is stored byte-identical and leaves nothing
// staged.
func TestS3StagedUploads_R_H6_R_V10(t *testing.T) {
	t.Parallel()
	srv, live, archive, uploads := startS3Staging(t)
	s, base, dir := startStoreHub(t, func(c *Config) {
		c.Store.Objects = s3Objects(t, srv, live, archive)
		c.Store.Objects.UploadsBucket = uploads
	})
	ctx := testCtx(t, time.Minute)
	c := newTusClient(base, "t-ada")
	const size, half = 12 << 20, 6 << 20
	type up struct {
		f   *testFile
		loc string
	}
	var ups []up
	for _, ia := range []string{"c-a", "c-b", "c-c"} {
		m := recMeta()
		m[upload.MetaInteraction], m[upload.MetaFilename] = ia, ia+".webm.age"
		f, loc := sendPart(ctx, t, c, m, size, half)
		ups = append(ups, up{f, loc})
	}
	for _, u := range ups {
		if off, st, _ := c.head(ctx, u.loc); st != http.StatusOK || off != half {
			t.Fatalf("HEAD: %d at %d, want 200 at %d", st, off, half)
		}
		if _, st, _ := newTusClient(base, "t-grace").head(ctx, u.loc); st != http.StatusNotFound {
			t.Fatalf("another agent's HEAD: %d, want 404", st)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "uploads")); len(ents) != 0 {
		t.Fatalf("staged in the bucket, yet %d files in store.dir/uploads", len(ents))
	}
	bl, err := s.Backlog(ctx)
	if err != nil || len(bl) != 1 || bl[0].Agent != "ada" || bl[0].Uploads != 3 || bl[0].Received != 3*half || bl[0].Pending != 3*(size-half) {
		t.Fatalf("backlog %+v, %v", bl, err)
	}
	each := objectsIn(t, srv, uploads) / 3 // info, tail and the multipart upload
	if each != 3 {
		t.Fatalf("%d objects and multipart uploads per staged upload, want 3", each)
	}

	// Erasure of c-a's recordings takes its unfinished upload too.
	if _, err := s.in.Erase(ctx, "c-a"); err != nil {
		t.Fatal(err)
	}
	if n := objectsIn(t, srv, uploads); n != 2*each {
		t.Fatalf("after erasing c-a the uploads bucket holds %d, want %d", n, 2*each)
	}
	if _, st, _ := c.head(ctx, ups[0].loc); st != http.StatusNotFound {
		t.Fatalf("the erased upload: HEAD %d, want 404", st)
	}
	// The dashboard's backlog from a bucket is listed again only after
	// 10 s (three requests an upload): the erased one is still counted.
	if bl, err := s.Backlog(ctx); err != nil || len(bl) != 1 || bl[0].Uploads != 3 {
		t.Fatalf("backlog within 10 s: %+v, %v; want the listing of before", bl, err)
	}
	// c-b finishes: stored byte-identical, nothing of it left staged.
	data, _ := os.ReadFile(ups[1].f.path)
	resp, b, err := c.patch(ctx, ups[1].loc, half, size-half, bytes.NewReader(data[half:]))
	if err != nil || resp.StatusCode != http.StatusNoContent || resp.Header.Get(upload.HeaderStored) == "" {
		t.Fatalf("the last PATCH: %v %v %s", err, resp, b)
	}
	var l ledger
	l.confirm(t, base, ups[1].f)
	if n := objectsIn(t, srv, uploads); n != each {
		t.Fatalf("after c-b was stored the uploads bucket holds %d, want %d", n, each)
	}
	// c-c is left: expiry takes it.
	if n := s.in.ExpireUploads(ctx, time.Now().Add(30*24*time.Hour), 7*24*time.Hour); n != 1 {
		t.Fatalf("expired %d, want 1", n)
	}
	if n := objectsIn(t, srv, uploads); n != 0 {
		t.Fatalf("after expiry the uploads bucket holds %d", n)
	}
	// With the server away, a HEAD is 503 (retry), not 404, which would
	// send the desktop back to byte 0.
	loc, resp, b, err := c.create(ctx, ups[1].f.size, ups[1].f.meta)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v %v %s", err, resp, b)
	}
	srv.Stop()
	if _, st, _ := c.head(ctx, loc); st != http.StatusServiceUnavailable {
		t.Fatalf("HEAD with the S3 server down: %d, want 503", st)
	}
}

// TestS3StagingTakesOverTheFolder_R_V10: a hub that stages in
// store.objects.uploads_bucket from now on, on a store folder whose
// uploads/ an earlier hub left uploads in: the whole one (killed before
// it was stored) is stored, the unfinished one dropped (its desktop finds
// it gone and sends it again from byte 0), and uploads/ is left empty.
func TestS3StagingTakesOverTheFolder_R_V10(t *testing.T) {
	t.Parallel()
	srv, live, archive, uploads := startS3Staging(t)
	dir := t.TempDir()
	ctx := testCtx(t, time.Minute)
	open := func(staged bool) (*Server, *httptest.Server) {
		s, err := Open(testConfig(t, func(c *Config) {
			c.Store.Dir = dir
			c.Store.Objects = s3Objects(t, srv, live, archive)
			if staged {
				c.Store.Objects.UploadsBucket = uploads
			}
		}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s, httptest.NewServer(s.Handler())
	}
	s, ts := open(false)
	c := newTusClient(ts.URL, "t-ada")
	_, loc := sendPart(ctx, t, c, recMeta(), 3<<20, 1<<20)
	ts.Close()
	s.Close()
	_ = s.CloseStore()
	// A whole upload a killed hub did not store: all its bytes in uploads/.
	m := recMeta()
	m[upload.MetaFilename] = "whole.webm.age"
	whole, err := newTestFile(filepath.Join(t.TempDir(), "whole"), randomBytes(t, 2<<20), m)
	if err != nil {
		t.Fatal(err)
	}
	fs := filestore.New(filepath.Join(dir, "uploads"))
	up, err := fs.NewUpload(ctx, tusd.FileInfo{Size: whole.size, MetaData: whole.meta})
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := os.ReadFile(whole.path)
	if n, err := up.WriteChunk(ctx, 0, bytes.NewReader(wb)); err != nil || n != whole.size {
		t.Fatalf("write the whole upload: %d, %v", n, err)
	}

	s, ts = open(true)
	t.Cleanup(func() { ts.Close(); s.Close(); _ = s.CloseStore() })
	if ents, _ := os.ReadDir(filepath.Join(dir, "uploads")); len(ents) != 0 {
		t.Fatalf("uploads/ still holds %d files", len(ents))
	}
	var l ledger
	l.confirm(t, ts.URL, whole) // stored, byte-identical, from the folder into the bucket
	if l.stored != 1 {
		t.Fatal("the whole upload left in uploads/ was not stored")
	}
	loc = ts.URL + loc[strings.Index(loc, upload.UploadsPath):] // the same upload on the new hub
	if _, st, _ := newTusClient(ts.URL, "t-ada").head(ctx, loc); st != http.StatusNotFound {
		t.Fatalf("the unfinished upload left in uploads/: HEAD %d, want 404 (sent again from byte 0)", st)
	}
}
