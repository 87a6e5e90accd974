package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session/upload"
)

// BenchmarkS3Ingest (issue 16's benchmark): ingest throughput into S3
// through the hub against curl uploading the same bytes to the same S3
// server (versitygw on loopback, posix backend in a temp folder). "hub":
// a tus upload of the file to a real hub on loopback whose store.objects
// is the server, timed until the hub acknowledges it (the hub writes the
// upload to its staging folder, hashes it, puts it with a multipart
// upload of store.objects.part_size parts, each signed with its SHA-256,
// and compares the object's checksum). "curl": one signed PUT of the file
// straight to the bucket (curl --aws-sigv4, x-amz-content-sha256 the
// file's hash, so the server checks it as it does the hub's). Each
// iteration uploads other bytes (the hub stores one agent's identical file
// once). "hub/staged" stages the upload in store.objects.uploads_bucket
// instead (parts of 16 MiB sent as the PATCH brings them; at the last
// byte the staged object is read back, hashed and copied server side into
// the live bucket), which lets any hub of a cluster continue it. "hub/folder"
// is the same upload into a hub keeping its files in store.dir/files, for
// reference. -s3.size sets the file's size.
var s3BenchSize = flag.Int64("s3.size", 256<<20, "BenchmarkS3Ingest: the uploaded file's size in bytes")

func BenchmarkS3Ingest(b *testing.B) {
	srv, live, archive := startS3(b)
	size := *s3BenchSize
	data := randomBytes(b, int(size))
	dir := b.TempDir()
	// next writes the bytes of iteration i to a file: data with i in front.
	next := func(i int) (string, string) {
		copy(data, fmt.Sprintf("%016d", i))
		p := filepath.Join(dir, "up.webm")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		sum := sha256.Sum256(data)
		return p, hex.EncodeToString(sum[:])
	}
	const uploads = "bench-uploads"
	if err := srv.MakeBucket(context.Background(), uploads, false); err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		part   int64
		staged bool
	}{{0, false}, {16 << 20, false}, {64 << 20, false}, {16 << 20, true}} { // part 0: the store folder, for reference
		part := v.part
		name := fmt.Sprintf("hub/part=%dMiB", part>>20)
		switch {
		case part == 0:
			name = "hub/folder"
		case v.staged:
			name = fmt.Sprintf("hub/staged/part=%dMiB", part>>20)
		}
		b.Run(name, func(b *testing.B) {
			cfg, err := ParseConfig([]byte(testYAML))
			if err != nil {
				b.Fatal(err)
			}
			cfg.Store.Dir = b.TempDir()
			if part > 0 {
				cfg.Store.Objects = s3Objects(b, srv, live, archive)
				cfg.Store.Objects.PartSize = part
				if v.staged {
					cfg.Store.Objects.UploadsBucket = uploads
				}
			}
			s := newHub(b, cfg)
			ts := httptest.NewServer(s.Handler())
			b.Cleanup(ts.Close)
			c := newTusClient(ts.URL, "t-ada")
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p, sha := next(i)
				f := &testFile{path: p, size: size, sha: sha, meta: map[string]string{upload.MetaFilename: fmt.Sprintf("bench-%d.webm", i),
					upload.MetaSHA256: sha, upload.MetaSize: fmt.Sprint(size)}}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				b.StartTimer()
				if _, err := c.send(ctx, f, 0, nil); err != nil {
					b.Fatal(err)
				}
				cancel()
			}
		})
	}
	b.Run("curl", func(b *testing.B) {
		if _, err := exec.LookPath("curl"); err != nil {
			b.Skip("no curl")
		}
		b.SetBytes(size)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			p, sha := next(i)
			url := fmt.Sprintf("http://%s/%s/curl-%d.webm", srv.Endpoint, live, i)
			cmd := exec.Command("curl", "-sS", "--fail", "-T", p, "--aws-sigv4", "aws:amz:"+srv.Region+":s3", // #nosec G204 -- the benchmark's own server
				"--user", srv.AccessKey+":"+srv.SecretKey, "-H", "x-amz-content-sha256: "+sha, url)
			b.StartTimer()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("curl: %v\n%s", err, out)
			}
		}
	})
}
