package s3files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files/s3test"
)

// srv is the versitygw every test of the package uses (TestMain).
var srv *s3test.Server

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "s3files-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv, err = s3test.Start(dir)
	if err != nil {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, "FAIL: a real S3 server is needed under CI:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "skipping the S3 tests: no server:", err)
		_ = os.RemoveAll(dir)
		os.Exit(0)
	}
	code := m.Run()
	srv.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buckets makes a live and an archive bucket named after the test.
func buckets(t *testing.T, lock bool) (live, archive string) {
	t.Helper()
	n := rand.Uint32()
	live, archive = fmt.Sprintf("live-%08x", n), fmt.Sprintf("arch-%08x", n)
	for _, b := range []string{live, archive} {
		if err := srv.MakeBucket(context.Background(), b, lock); err != nil {
			t.Fatal(err)
		}
	}
	return live, archive
}

func open(t *testing.T, mutate func(*s3files.Config)) (*s3files.Store, s3files.Config) {
	t.Helper()
	live, archive := buckets(t, false)
	cfg := s3files.Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: live, ArchiveBucket: archive,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, PartSize: 5 << 20}
	if mutate != nil {
		mutate(&cfg)
	}
	st, err := s3files.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st, cfg
}

// upload writes n pseudo-random bytes to a file like tusd's and returns it.
func upload(t *testing.T, n int, seed uint64) (ingest.Upload, []byte) {
	t.Helper()
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	p := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return ingest.Upload{Path: p, Size: int64(n), SHA256: hex.EncodeToString(sum[:])}, b
}

// onDisk is the object's file in versitygw's folder.
func onDisk(bucket, key string) ([]byte, error) {
	return os.ReadFile(filepath.Join(srv.Dir, bucket, filepath.FromSlash(key)))
}

// TestPutStoresTheBytes_R_V10: one PUT (a file under the part size) and a
// multipart upload (three parts and a short one) both land in the bucket's
// folder byte for byte, under free names that never replace a stored file.
func TestPutStoresTheBytes_R_V10(t *testing.T) {
	t.Parallel()
	st, cfg := open(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		size int
		key  string
	}{
		{"one PUT", 300 << 10, "dest/a_r1.webm.age"},
		{"the same name again", 1 << 20, "dest/a_r1-2.webm.age"},
		{"multipart", 3*(5<<20) + 12345, "dest/a_r1-3.webm.age"},
	} {
		up, data := upload(t, tc.size, uint64(tc.size))
		key, err := st.Put(ctx, up, "dest", "a_r1.webm.age")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if key != tc.key {
			t.Fatalf("%s: stored as %q, want %q", tc.name, key, tc.key)
		}
		got, err := onDisk(cfg.Bucket, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: the bucket's file holds %d bytes (%v), not the upload's %d", tc.name, len(got), err, len(data))
		}
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != up.SHA256 {
			t.Fatalf("%s: stored object's SHA-256 differs", tc.name)
		}
	}
	if n := st.ReadBacks(); n != 0 {
		t.Logf("the server answered no SHA-256 checksum: %d objects were read back to verify", n)
	}
}

// TestPutRefusesOtherBytes_R_V10: an upload whose bytes are not those of
// its SHA-256 is refused with ErrChecksum before its last byte is sent,
// and nothing is left in the bucket.
func TestPutRefusesOtherBytes_R_V10(t *testing.T) {
	t.Parallel()
	st, cfg := open(t, nil)
	for _, size := range []int{100 << 10, 2*(5<<20) + 7} {
		up, _ := upload(t, size, 7)
		other, _ := upload(t, size, 8)
		up.Path = other.Path // the same length, other bytes
		_, err := st.Put(context.Background(), up, "", "x.webm")
		if !errors.Is(err, ingest.ErrChecksum) {
			t.Fatalf("%d bytes: other bytes than the checksum's: %v, want ErrChecksum", size, err)
		}
		if _, derr := onDisk(cfg.Bucket, "x.webm"); !errors.Is(derr, os.ErrNotExist) {
			t.Fatalf("%d bytes: an object is left after a refused put (%v)", size, derr)
		}
		t.Logf("%d bytes: %v", size, err)
	}
}

// TestOpenReadsRangesOnly_R_V5: a reader over the object answers reads at
// any offset with the object's bytes and fetches little beyond them: a
// 64 KiB read in the middle of 40 MiB costs one GET of at most the first
// window; reads that follow one another share GETs.
func TestOpenReadsRangesOnly_R_V5(t *testing.T) {
	t.Parallel()
	st, _ := open(t, nil)
	ctx := context.Background()
	up, data := upload(t, 40<<20, 3)
	key, err := st.Put(ctx, up, "", "big.webm")
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", f.Size(), len(data))
	}
	before, gets := st.Fetched(), st.Gets()
	p := make([]byte, 64<<10)
	off := int64(20<<20 + 4321)
	if n, err := f.ReadAt(p, off); n != len(p) || err != nil || !bytes.Equal(p, data[off:off+int64(len(p))]) {
		t.Fatalf("ReadAt middle: %d %v, or other bytes", n, err)
	}
	if spent := st.Fetched() - before; spent > 256<<10 || st.Gets()-gets != 1 {
		t.Fatalf("a 64 KiB read fetched %d bytes in %d GETs", spent, st.Gets()-gets)
	}
	// Sequential reads of the whole tail: few GETs.
	before, gets = st.Fetched(), st.Gets()
	buf := make([]byte, 128<<10)
	var got []byte
	for o := off + int64(len(p)); ; {
		n, err := f.ReadAt(buf, o)
		got = append(got, buf[:n]...)
		o += int64(n)
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, data[off+int64(len(p)):]) {
		t.Fatal("the tail read sequentially differs")
	}
	t.Logf("%d bytes read in order: %d fetched in %d GETs", len(got), st.Fetched()-before, st.Gets()-gets)
	if g := st.Gets() - gets; g > 10 {
		t.Fatalf("%d GETs for a sequential read of 20 MiB", g)
	}
	if n, err := f.ReadAt(p, f.Size()-10); n != 10 || err == nil {
		t.Fatalf("read across the end: %d %v, want 10 and io.EOF", n, err)
	}
	if _, err := st.Open(ctx, "nothing-here"); !errors.Is(err, ingest.ErrNotStored) {
		t.Fatalf("open of a missing key: %v", err)
	}
}

// TestRemoveAndArchive_R_V6_X1: Archive moves an object to the archive
// bucket (it can still be opened), Restore brings it back, and Remove
// leaves it in neither bucket's folder (erasure).
func TestRemoveAndArchive_R_V6_X1(t *testing.T) {
	t.Parallel()
	st, cfg := open(t, nil)
	ctx := context.Background()
	up, data := upload(t, 11<<20, 5)
	key, err := st.Put(ctx, up, "d", "r.webm.age")
	if err != nil {
		t.Fatal(err)
	}
	where := func() (live, arch bool) {
		_, l := onDisk(cfg.Bucket, key)
		_, a := onDisk(cfg.ArchiveBucket, key)
		return l == nil, a == nil
	}
	if err := st.Archive(ctx, key); err != nil {
		t.Fatal(err)
	}
	if l, a := where(); l || !a {
		t.Fatalf("after Archive: live %v, archived %v", l, a)
	}
	if got, _ := onDisk(cfg.ArchiveBucket, key); !bytes.Equal(got, data) {
		t.Fatal("the archived object differs")
	}
	if ok, err := st.Archived(ctx, key); !ok || err != nil {
		t.Fatalf("Archived: %v %v", ok, err)
	}
	f, err := st.Open(ctx, key)
	if err != nil || f.Size() != int64(len(data)) {
		t.Fatalf("open archived: %v", err)
	}
	f.Close()
	if err := st.Archive(ctx, key); err != nil {
		t.Fatalf("archive twice: %v", err)
	}
	if err := st.Restore(ctx, key); err != nil {
		t.Fatal(err)
	}
	if l, a := where(); !l || a {
		t.Fatalf("after Restore: live %v, archived %v", l, a)
	}
	if err := st.Remove(ctx, key); err != nil {
		t.Fatal(err)
	}
	if l, a := where(); l || a {
		t.Fatalf("after Remove: live %v, archived %v", l, a)
	}
	if err := st.Remove(ctx, key); err != nil {
		t.Fatalf("remove twice: %v", err)
	}
	if err := st.Archive(ctx, key); !errors.Is(err, ingest.ErrNotStored) {
		t.Fatalf("archive of a removed key: %v", err)
	}
}

// TestObjectLock: in a bucket with Object Lock, objects are written with a
// GOVERNANCE retention until LockFor from now; a plain delete of the
// version is refused, and Remove (bypassing governance, as erasure under
// R-H6 must) deletes every version.
func TestObjectLock(t *testing.T) {
	t.Parallel()
	live, archive := buckets(t, true)
	ctx := context.Background()
	st, err := s3files.Open(ctx, s3files.Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: live, ArchiveBucket: archive,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, LockFor: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Locked(live) || !st.Locked(archive) {
		t.Fatal("the buckets' Object Lock was not found")
	}
	for _, size := range []int{200 << 10, 17 << 20} {
		up, _ := upload(t, size, uint64(size))
		key, err := st.Put(ctx, up, "", fmt.Sprintf("locked-%d.webm", size))
		if err != nil {
			t.Fatal(err)
		}
		info, err := srv.Client.StatObject(ctx, live, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mode, until := retention(info)
		if mode != "GOVERNANCE" || until.Before(time.Now().Add(47*time.Hour)) {
			t.Fatalf("%d bytes: retention %q until %v, want GOVERNANCE for 48h", size, mode, until)
		}
		if err := srv.Client.RemoveObject(ctx, live, key, minio.RemoveObjectOptions{VersionID: info.VersionID}); err == nil {
			t.Fatalf("%d bytes: a locked version was deleted without the bypass", size)
		}
		if err := st.Archive(ctx, key); err != nil {
			t.Fatalf("archive a locked object: %v", err)
		}
		if ai, err := srv.Client.StatObject(ctx, archive, key, minio.StatObjectOptions{}); err != nil {
			t.Fatal(err)
		} else if mode, _ := retention(ai); mode != "GOVERNANCE" {
			t.Fatalf("the archived copy has retention %q", mode)
		}
		if err := st.Remove(ctx, key); err != nil {
			t.Fatalf("erase a locked object: %v", err)
		}
		for _, b := range []string{live, archive} {
			for v := range srv.Client.ListObjects(ctx, b, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
				if v.Err == nil && v.Key == key {
					t.Fatalf("%d bytes: version %s is left in %s after erasure", size, v.VersionID, b)
				}
			}
		}
	}
}

// TestOpenErrors: a missing bucket and wrong credentials are refused at
// Open, in words, without the secret.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  s3files.Config
	}{
		{"no such bucket", s3files.Config{Endpoint: srv.Endpoint, Bucket: "no-such-bucket", AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}},
		{"wrong secret", s3files.Config{Endpoint: srv.Endpoint, Bucket: "some-bucket", AccessKeyID: srv.AccessKey, SecretAccessKey: "not-the-secret-at-all"}},
		{"small parts", s3files.Config{Endpoint: srv.Endpoint, Bucket: "x", PartSize: 1 << 20}},
	} {
		_, err := s3files.Open(ctx, tc.cfg)
		if err == nil {
			t.Fatalf("%s: opened", tc.name)
		}
		if bytes.Contains([]byte(err.Error()), []byte(srv.SecretKey)) || tc.cfg.SecretAccessKey != "" && bytes.Contains([]byte(err.Error()), []byte(tc.cfg.SecretAccessKey)) {
			t.Fatalf("%s: the error shows the secret: %v", tc.name, err)
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

// retention is an object's Object Lock mode and date, from its HEAD.
func retention(info minio.ObjectInfo) (string, time.Time) {
	until, _ := time.Parse(time.RFC3339, info.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	return info.Metadata.Get("X-Amz-Object-Lock-Mode"), until
}

// BenchmarkPut: Store.Put of a 256 MiB staged upload alone (read once,
// hashed, sent in parts, the object's checksum compared), by part size.
func BenchmarkPut(b *testing.B) {
	for _, part := range []int64{16 << 20, 64 << 20, 512 << 20} {
		b.Run(fmt.Sprintf("part=%dMiB", part>>20), func(b *testing.B) {
			live, _ := benchBuckets(b)
			st, err := s3files.Open(context.Background(), s3files.Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: live,
				AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, PartSize: part})
			if err != nil {
				b.Fatal(err)
			}
			const size = 256 << 20
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			p := filepath.Join(b.TempDir(), "up")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256(data)
			up := ingest.Upload{Path: p, Size: size, SHA256: hex.EncodeToString(sum[:])}
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := st.Put(context.Background(), up, "", fmt.Sprintf("b-%d", i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchBuckets(b *testing.B) (string, string) {
	n := rand.Uint32()
	live, archive := fmt.Sprintf("blive-%08x", n), fmt.Sprintf("barch-%08x", n)
	for _, name := range []string{live, archive} {
		if err := srv.MakeBucket(context.Background(), name, false); err != nil {
			b.Fatal(err)
		}
	}
	return live, archive
}

// TestServerRefusesReplacing: Put sends If-None-Match: * (one PUT and a
// multipart upload's completion), so an object another hub put under the
// same name since it was found free is never replaced; this server
// refuses such a PUT.
func TestServerRefusesReplacing(t *testing.T) {
	t.Parallel()
	live, _ := buckets(t, false)
	ctx := context.Background()
	o := minio.PutObjectOptions{}
	o.SetMatchETagExcept("*")
	if _, err := srv.Client.PutObject(ctx, live, "k", bytes.NewReader([]byte("first")), 5, o); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.PutObject(ctx, live, "k", bytes.NewReader([]byte("other")), 5, o); err == nil {
		t.Fatal("an object was replaced despite If-None-Match: *")
	}
	if got, _ := onDisk(live, "k"); string(got) != "first" {
		t.Fatalf("the object holds %q", got)
	}
}
