package s3files_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/ingest/s3files"
)

// env is the buckets of a staging test.
type env struct {
	s3files.Config
	Staging string // the uploads bucket
}

// staging opens a Store with an uploads bucket of its own; another call
// with the same env is another hub on the same buckets.
func staging(t *testing.T, e *env) (*s3files.Store, *s3files.Staging, env) {
	t.Helper()
	ctx := context.Background()
	if e == nil {
		_, cfg := open(t, nil)
		e = &env{Config: cfg, Staging: fmt.Sprintf("up-%08x", rand.Uint32())}
		if err := srv.MakeBucket(ctx, e.Staging, false); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s3files.Open(ctx, e.Config)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := st.Staging(ctx, e.Staging)
	if err != nil {
		t.Fatal(err)
	}
	return st, sg, *e
}

// client is a plain S3 client on the test server, to look behind the
// store's back.
func client(t *testing.T) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Region: srv.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keys lists a bucket's object keys.
func keys(t *testing.T, bucket string) []string {
	t.Helper()
	var out []string
	for o := range client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

// begin starts an upload of n pseudo-random bytes in sg.
func begin(t *testing.T, sg *s3files.Staging, n int, seed uint64) (string, ingest.Upload, []byte) {
	t.Helper()
	src, data := upload(t, n, seed)
	up, err := sg.NewUpload(context.Background(), tusd.FileInfo{Size: src.Size, MetaData: tusd.MetaData{"filename": "r.webm.age"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := up.GetInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.ID, src, data
}

// write sends b at off as one PATCH would, and checks all of it is staged.
func write(t *testing.T, sg *s3files.Staging, id string, off int64, b []byte) {
	t.Helper()
	up, err := sg.GetUpload(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n, err := up.WriteChunk(context.Background(), off, bytes.NewReader(b))
	if err != nil || n != int64(len(b)) {
		t.Fatalf("write %d bytes at %d: staged %d, %v", len(b), off, n, err)
	}
}

func offset(t *testing.T, sg *s3files.Staging, id string) int64 {
	t.Helper()
	s, err := sg.Staged(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.Info.Offset
}

// TestStagingResumesOnAnotherHub_R_V10: an upload staged in the uploads
// bucket by one hub is continued by another hub (another Store on the
// same buckets, as after a kill -9) from exactly the offset the first one
// acknowledged: PATCHes shorter than a part (kept as the tail), longer
// than one (cut into parts), the last byte; then the second hub hashes
// the staged object, stores it byte-identical in the live bucket and
// leaves nothing in the uploads bucket.
func TestStagingResumesOnAnotherHub_R_V10(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, a, cfg := staging(t, nil)
	id, src, data := begin(t, a, 17<<20+321, 7)
	cuts := []int64{0, 1 << 20, 3 << 20, 4<<20 + 5, 12 << 20} // 1 MiB, 2 MiB, a little over 1 MiB (a part), 8 MiB (a part)
	for i := 1; i < len(cuts); i++ {
		write(t, a, id, cuts[i-1], data[cuts[i-1]:cuts[i]])
		if got := offset(t, a, id); got != cuts[i] {
			t.Fatalf("after writing to %d the staged offset is %d", cuts[i], got)
		}
	}
	// A second hub takes over: it finds the same offset, and a PATCH at
	// any other offset is refused.
	stB, b, _ := staging(t, &cfg)
	if got := offset(t, b, id); got != cuts[len(cuts)-1] {
		t.Fatalf("the other hub finds the upload at %d, want %d", got, cuts[len(cuts)-1])
	}
	upB, err := b.GetUpload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upB.WriteChunk(ctx, 0, bytes.NewReader(data[:10])); !errors.Is(err, tusd.ErrMismatchOffset) {
		t.Fatalf("a PATCH at 0 of an upload at 12 MiB: %v, want ErrMismatchOffset", err)
	}
	last := cuts[len(cuts)-1]
	write(t, b, id, last, data[last:])
	upB, _ = b.GetUpload(ctx, id)
	if err := upB.FinishUpload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := upB.FinishUpload(ctx); err != nil { // again, as a restarted hub does: no error
		t.Fatalf("finishing twice: %v", err)
	}
	if s, err := b.Staged(ctx, id); err != nil || !s.Whole() {
		t.Fatalf("a finished upload reads as %+v, %v", s.Info, err)
	}
	src.Path, src.Object = "", id
	key, err := stB.Put(ctx, src, "d", "r.webm.age")
	if err != nil {
		t.Fatal(err)
	}
	if n := stB.ReadBacks(); n != 0 { // hashed as the parts went, across the hubs: the state rides on the tail
		t.Fatalf("%d read-backs to store the upload, want none", n)
	}
	got, err := onDisk(cfg.Bucket, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes (%v), want the upload's %d", len(got), err, len(data))
	}
	if err := b.AsTerminatableUpload(upB).Terminate(ctx); err != nil {
		t.Fatal(err)
	}
	if k := keys(t, cfg.Staging); len(k) != 0 {
		t.Fatalf("the uploads bucket still holds %v", k)
	}
	if ups, err := b.Uploads(ctx); err != nil || len(ups) != 0 {
		t.Fatalf("Uploads after the end: %v, %v", ups, err)
	}
}

// TestStagingIgnoresAStaleTail_R_V10: a hub killed after it sent a part
// holding the tail's bytes, but before it removed the tail, leaves that
// tail behind; its bytes are in the part, so it must not count twice.
func TestStagingIgnoresAStaleTail_R_V10(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, sg, cfg := staging(t, nil)
	id, src, data := begin(t, sg, 9<<20, 9)
	write(t, sg, id, 0, data[:3<<20]) // a tail of 3 MiB
	c := client(t)
	obj, err := c.GetObject(ctx, cfg.Staging, id+".tail", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(obj)
	st, _ := obj.Stat()
	obj.Close()
	if err != nil || len(tail) != 3<<20 {
		t.Fatalf("the tail holds %d bytes, %v", len(tail), err)
	}
	write(t, sg, id, 3<<20, data[3<<20:5<<20]) // tail + 2 MiB = part 1 of 5 MiB (the part size), tail removed
	if got := offset(t, sg, id); got != 5<<20 {
		t.Fatalf("offset %d, want 5 MiB", got)
	}
	if k := keys(t, cfg.Staging); len(k) != 2 || k[0] != id+".info" || k[1] != id+".tail" {
		t.Fatalf("the uploads bucket holds %v, want the info and a tail (parts are not objects)", k)
	}
	if b, err := onDisk(cfg.Staging, id+".tail"); err != nil || len(b) != 0 {
		t.Fatalf("the used tail still holds %d bytes (%v); want an empty one carrying the hash's state", len(b), err)
	}
	// Put the old tail back, as the killed hub left it.
	if _, err := c.PutObject(ctx, cfg.Staging, id+".tail", bytes.NewReader(tail), int64(len(tail)),
		minio.PutObjectOptions{UserMetadata: st.UserMetadata}); err != nil {
		t.Fatal(err)
	}
	if got := offset(t, sg, id); got != 5<<20 {
		t.Fatalf("with the stale tail back the offset reads %d, want 5 MiB", got)
	}
	write(t, sg, id, 5<<20, data[5<<20:])
	upd, _ := sg.GetUpload(ctx, id)
	if err := upd.FinishUpload(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObject(ctx, cfg.Staging, id, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(got)
	got.Close()
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("the staged object holds %d bytes (%v), not the upload's", len(b), err)
	}
	// The stale tail carried the hash's state before the part: lost, so
	// storing it reads the object back to hash it.
	hub2, _, _ := staging(t, &cfg)
	src.Path, src.Object = "", id
	key, err := hub2.Put(ctx, src, "", "r.webm.age")
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := onDisk(cfg.Bucket, key); err != nil || !bytes.Equal(stored, data) || hub2.ReadBacks() != 1 {
		t.Fatalf("stored %d bytes (%v) after %d read-backs, want the upload's after 1", len(stored), err, hub2.ReadBacks())
	}
}

// TestStagingRefusesOtherBytes_R_V10: staged bytes that do not hash to
// the upload's SHA-256 are refused (ErrChecksum) and nothing is stored;
// an empty upload is stored; a broken PATCH keeps what it brought.
func TestStagingRefusesOtherBytes_R_V10(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, sg, cfg := staging(t, nil)
	id, src, data := begin(t, sg, 2<<20, 11)
	up, err := sg.GetUpload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[12345] ^= 1
	// A PATCH whose body breaks off after 1 MiB: tusd's reader ends it
	// with io.EOF; the MiB is kept.
	n, err := up.WriteChunk(ctx, 0, io.LimitReader(bytes.NewReader(bad), 1<<20))
	if err != nil || n != 1<<20 || offset(t, sg, id) != 1<<20 {
		t.Fatalf("a broken PATCH staged %d, %v; offset %d", n, err, offset(t, sg, id))
	}
	write(t, sg, id, 1<<20, bad[1<<20:])
	up, _ = sg.GetUpload(ctx, id)
	if err := up.FinishUpload(ctx); err != nil {
		t.Fatal(err)
	}
	src.Path, src.Object = "", id
	if _, err := st.Put(ctx, src, "", "x.webm"); !errors.Is(err, ingest.ErrChecksum) {
		t.Fatalf("other bytes: %v, want ErrChecksum", err)
	}
	if k := keys(t, cfg.Bucket); len(k) != 0 {
		t.Fatalf("a refused upload left %v in the live bucket", k)
	}
	// An empty upload.
	eid, empty, _ := begin(t, sg, 0, 1)
	up, _ = sg.GetUpload(ctx, eid)
	if err := up.FinishUpload(ctx); err != nil {
		t.Fatal(err)
	}
	empty.Path, empty.Object = "", eid
	key, err := st.Put(ctx, empty, "", "empty.webm")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := onDisk(cfg.Bucket, key); err != nil || len(b) != 0 {
		t.Fatalf("the empty upload is stored as %d bytes, %v", len(b), err)
	}
	// Unknown and malformed ids are not found, never a path.
	for _, id := range []string{"0123456789abcdef0123456789abcdef", "../x", strings.Repeat("a", 33)} {
		if _, err := sg.GetUpload(ctx, id); !errors.Is(err, tusd.ErrNotFound) {
			t.Fatalf("GetUpload(%q): %v, want ErrNotFound", id, err)
		}
	}
}
