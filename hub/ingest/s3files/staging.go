package s3files

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/agentdesk/agentdesk/hub/ingest"
)

// Staging keeps the unfinished uploads in a bucket of their own
// (store.objects.uploads_bucket), so that any hub of a cluster continues
// an upload another hub began: the core that takes over after a
// kill -9 answers the desktop's HEAD with the offset the dead one
// acknowledged (issue 16). It is an ingest.Staging.
//
// An upload id names three objects: id.info (its tus FileInfo and its
// S3 multipart upload's id), the multipart upload to key id (the parts:
// each at least 5 MiB, sent with its SHA-256 checksum, which the server
// checks), and id.tail (the bytes after the last part, under 5 MiB and
// possibly none, replaced whole as more arrive). The tail carries the
// number of parts it follows and the SHA-256 state of their bytes: a tail
// that a hub killed between sending a part and replacing the tail left
// behind is ignored, its bytes being in that part (and the state is lost:
// the object is then read back at the end to be hashed). The offset is
// the parts' sizes and the tail's, as S3 lists them: what a killed hub
// acknowledged is there. At the last byte the tail becomes the last part,
// the multipart upload is completed to the object id and the whole
// upload's SHA-256 is written into id.info; Store.Put compares it and
// copies the object, server side, into the live bucket.
//
// One hub writes an upload at a time (the hub, or a cluster's single
// core); a PATCH holds at most PartSize bytes in memory.
type Staging struct {
	s      *Store
	bucket string
	max    int64 // a part is sent when this much is held (PartSize)
}

var _ ingest.Staging = (*Staging)(nil)

const (
	infoSuffix = ".info"
	tailSuffix = ".tail"
	metaAfter  = "After"  // the tail's user metadata: the parts it follows
	metaHash   = "Hashed" // and the SHA-256 state of those parts' bytes
)

// Staging opens the staging bucket, which must exist and differ from the
// live and archive buckets (and hold no default Object Lock retention:
// staged objects are deleted once stored).
func (s *Store) Staging(ctx context.Context, bucket string) (*Staging, error) {
	if bucket == "" || bucket == s.cfg.Bucket || bucket == s.cfg.ArchiveBucket {
		return nil, fmt.Errorf("%w: the uploads bucket %q must be named and differ from the live and archive buckets", ErrConfig, bucket)
	}
	ok, err := s.c.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("%w: bucket %q at %s: %v", ErrConfig, bucket, s.cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: bucket %q does not exist at %s (create it)", ErrConfig, bucket, s.cfg.Endpoint)
	}
	s.staging = bucket
	return &Staging{s: s, bucket: bucket, max: s.cfg.PartSize}, nil
}

// stagedInfo is the id.info object.
type stagedInfo struct {
	Info      tusd.FileInfo `json:"info"`
	Multipart string        `json:"multipart"`
	// SHA256 is the whole upload's, hashed as its parts were sent, once the
	// multipart upload is complete; "" when a hub killed mid-PATCH lost
	// the hash's state (the object is then read back to hash it).
	SHA256 string `json:"sha256,omitempty"`
}

// stagedUpload is one upload; its parts and tail are read by load.
type stagedUpload struct {
	st      *Staging
	si      stagedInfo
	started time.Time

	loaded bool
	done   bool // the multipart upload was completed to the object id
	parts  []minio.ObjectPart
	tail   int64 // bytes in a tail that follows the parts; 0 for none
	moved  time.Time
	// hash has hashed the parts' bytes, in order (not the tail's); nil
	// when its state was lost (a hub killed between a part and the tail
	// that carries the state).
	hash hash.Hash
}

// newID is 32 hex digits, as tusd's filestore makes them.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// plainHex reports whether id could be one of newID's.
func plainHex(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// NewUpload starts the multipart upload and writes id.info.
func (st *Staging) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	info.ID = newID()
	o := minio.PutObjectOptions{ContentType: "application/octet-stream", UserMetadata: map[string]string{"x-amz-checksum-algorithm": "SHA256"}}
	mp, err := st.s.core.NewMultipartUpload(ctx, st.bucket, info.ID, o)
	if err != nil {
		return nil, fmt.Errorf("s3files: start staging upload %s: %w", info.ID, err)
	}
	info.Storage = map[string]string{"Type": "s3", "Bucket": st.bucket, ingest.UploadKey: info.ID}
	up := &stagedUpload{st: st, si: stagedInfo{Info: info, Multipart: mp}, started: time.Now(), loaded: true, hash: sha256.New()}
	if err := up.writeInfo(ctx); err != nil {
		_ = st.s.core.AbortMultipartUpload(context.WithoutCancel(ctx), st.bucket, info.ID, mp)
		return nil, fmt.Errorf("s3files: write staging upload %s: %w", info.ID, err)
	}
	return up, nil
}

// writeInfo writes id.info.
func (up *stagedUpload) writeInfo(ctx context.Context) error {
	b, err := json.Marshal(up.si)
	if err != nil {
		return err
	}
	_, err = up.st.s.c.PutObject(ctx, up.st.bucket, up.si.Info.ID+infoSuffix, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{ContentType: "application/json"})
	return err
}

// readInfo reads id.info from bucket: the info and when it was written.
// An unknown id is tusd.ErrNotFound.
func (s *Store) readInfo(ctx context.Context, bucket, id string) (stagedInfo, time.Time, error) {
	var si stagedInfo
	if !plainHex(id) {
		return si, time.Time{}, tusd.ErrNotFound
	}
	obj, err := s.c.GetObject(ctx, bucket, id+infoSuffix, minio.GetObjectOptions{})
	if err != nil {
		return si, time.Time{}, down("read staging upload "+id, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, 1<<20))
	if err != nil {
		if notFound(err) {
			return si, time.Time{}, tusd.ErrNotFound
		}
		return si, time.Time{}, down("read staging upload "+id, err)
	}
	if err := json.Unmarshal(b, &si); err != nil || si.Info.ID != id {
		return si, time.Time{}, fmt.Errorf("s3files: staging upload %s: its info is damaged", id)
	}
	var at time.Time
	if fi, err := obj.Stat(); err == nil {
		at = fi.LastModified
	}
	return si, at, nil
}

// GetUpload reads id.info; an unknown id is tusd.ErrNotFound.
func (st *Staging) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	si, at, err := st.s.readInfo(ctx, st.bucket, id)
	if err != nil {
		return nil, err
	}
	return &stagedUpload{st: st, si: si, started: at}, nil
}

// AsTerminatableUpload: every stagedUpload can be terminated.
func (st *Staging) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload {
	return u.(*stagedUpload)
}

// Uploads lists the staged uploads (the id.info objects), reading
// listWorkers of them at once (each is three requests).
func (st *Staging) Uploads(ctx context.Context) ([]ingest.Staged, error) {
	var ids []string
	for o := range st.s.c.ListObjects(ctx, st.bucket, minio.ListObjectsOptions{}) {
		if o.Err != nil {
			return nil, down("list the staging bucket", o.Err)
		}
		if id, ok := strings.CutSuffix(o.Key, infoSuffix); ok {
			ids = append(ids, id)
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = make([]ingest.Staged, 0, len(ids))
		next = make(chan string)
	)
	for range min(listWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				if s, err := st.Staged(ctx, id); err == nil { // gone meanwhile, or damaged: not listed
					mu.Lock()
					out = append(out, s)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return out, nil
}

// listWorkers is how many staged uploads Uploads reads at once.
const listWorkers = 8

// Staged describes one upload.
func (st *Staging) Staged(ctx context.Context, id string) (ingest.Staged, error) {
	u, err := st.GetUpload(ctx, id)
	if err != nil {
		return ingest.Staged{}, err
	}
	up := u.(*stagedUpload)
	info, err := up.GetInfo(ctx)
	if err != nil {
		return ingest.Staged{}, err
	}
	return ingest.Staged{Info: info, Started: up.started, Moved: up.moved}, nil
}

// load lists the parts and finds the tail that follows them, or the
// completed object.
func (up *stagedUpload) load(ctx context.Context) error {
	if up.loaded {
		return nil
	}
	st, id := up.st, up.si.Info.ID
	up.parts, up.tail, up.done, up.moved, up.hash = nil, 0, false, up.started, nil
	marker := 0
	for {
		r, err := st.s.core.ListObjectParts(ctx, st.bucket, id, up.si.Multipart, marker, 1000)
		if err != nil {
			if minio.ToErrorResponse(err).Code != minio.NoSuchUpload {
				return down("list the parts of staging upload "+id, err)
			}
			// Completed (or aborted): the object holds the whole upload.
			o, serr := st.s.c.StatObject(ctx, st.bucket, id, minio.StatObjectOptions{})
			if serr != nil {
				return fmt.Errorf("s3files: staging upload %s has neither parts nor its object: %w", id, serr)
			}
			up.done, up.moved, up.loaded = true, o.LastModified, true
			up.parts = []minio.ObjectPart{{PartNumber: 1, Size: o.Size}}
			return nil
		}
		up.parts = append(up.parts, r.ObjectParts...)
		if !r.IsTruncated {
			break
		}
		marker = r.NextPartNumberMarker
	}
	for _, p := range up.parts {
		if p.LastModified.After(up.moved) {
			up.moved = p.LastModified
		}
	}
	t, err := st.s.c.StatObject(ctx, st.bucket, id+tailSuffix, minio.StatObjectOptions{})
	switch {
	case err == nil:
		if after(t) == len(up.parts) {
			up.tail = t.Size
			if t.LastModified.After(up.moved) {
				up.moved = t.LastModified
			}
			up.hash = hashState(t)
		}
	case !notFound(err):
		return down("find the tail of staging upload "+id, err)
	}
	if len(up.parts) == 0 && up.tail == 0 {
		up.hash = sha256.New() // nothing hashed yet
	}
	up.loaded = true
	return nil
}

// meta is a tail's user metadata value under key, in whatever case the
// server gives it back.
func meta(t minio.ObjectInfo, key string) string {
	for k, v := range t.UserMetadata {
		if strings.EqualFold(k, key) || strings.EqualFold(k, "X-Amz-Meta-"+key) {
			return v
		}
	}
	return ""
}

// hashState restores the SHA-256 state a tail carries (nil when none).
func hashState(t minio.ObjectInfo) hash.Hash {
	b, err := base64.StdEncoding.DecodeString(meta(t, metaHash))
	if err != nil || len(b) == 0 {
		return nil
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
		return nil
	}
	return h
}

// down wraps an error of the server's as ingest.ErrStagingDown when it is
// no answer about the object (a connection refused, a timeout, a 5xx):
// the hub then answers 503, and the desktop retries.
func down(what string, err error) error {
	if r := minio.ToErrorResponse(err); r.StatusCode != 0 && r.StatusCode < 500 {
		return fmt.Errorf("s3files: %s: %w", what, err)
	}
	return fmt.Errorf("s3files: %s: %w: %w", what, ingest.ErrStagingDown, err)
}

// after is the number of parts a tail follows (-1 when unreadable).
func after(t minio.ObjectInfo) int {
	n, err := strconv.Atoi(meta(t, metaAfter))
	if err != nil {
		return -1
	}
	return n
}

// offset is how many bytes are staged.
func (up *stagedUpload) offset() int64 {
	n := up.tail
	for _, p := range up.parts {
		n += p.Size
	}
	return n
}

// GetInfo is the FileInfo with the offset S3 holds.
func (up *stagedUpload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	if err := up.load(ctx); err != nil {
		return tusd.FileInfo{}, err
	}
	info := up.si.Info
	info.Offset = up.offset()
	return info, nil
}

// GetReader is not offered (the hub serves no unfinished upload).
func (up *stagedUpload) GetReader(context.Context) (io.ReadCloser, error) {
	return nil, tusd.ErrNotImplemented
}

// persist bounds the S3 requests that keep bytes a PATCH brought: they
// go on when the client hangs up (the bytes were received).
func persist(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
}

// WriteChunk appends src at offset: the tail's bytes and src's, cut into
// parts of up to PartSize; what is left under 5 MiB becomes the new tail.
// It returns how many of src's bytes are staged.
func (up *stagedUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	if err := up.load(ctx); err != nil {
		return 0, err
	}
	if up.done {
		return 0, tusd.NewError("ERR_UPLOAD_DONE", "the upload is complete", http.StatusBadRequest)
	}
	if got := up.offset(); got != offset {
		return 0, tusd.ErrMismatchOffset
	}
	pctx, cancel := persist(ctx)
	defer cancel()
	st := up.st
	tail, err := up.readTail(pctx)
	if err != nil {
		return 0, err
	}
	buf := bytes.NewBuffer(tail)
	var n, pending int64 // src's bytes staged, and those in buf still to be
	consumed := false    // the old tail went into a part
	for {
		got, rerr := io.CopyN(buf, src, st.max-int64(buf.Len()))
		pending += got
		if rerr == nil || buf.Len() >= minPartSize { // full, or at the end and big enough
			if err := up.putPart(pctx, buf.Bytes()); err != nil {
				return n, err
			}
			n, pending, consumed = n+pending, 0, true
			buf.Reset()
		}
		if rerr == nil {
			continue
		}
		// src ended (tusd's body reader turns a broken body into io.EOF).
		if pending > 0 { // what is left, under 5 MiB: the new tail
			if err := up.putTail(pctx, buf.Bytes()); err != nil {
				return n, err
			}
			n, pending = n+pending, 0
		} else if consumed {
			// The old tail is in a part now (and ignored: it follows fewer
			// parts than there are); an empty one carries the hash's state.
			if err := up.putTail(pctx, nil); err != nil {
				return n, err
			}
		}
		if rerr != io.EOF {
			return n, rerr
		}
		return n, nil
	}
}

// readTail reads the tail load found (nil when there is none), with room
// to grow to a part.
func (up *stagedUpload) readTail(ctx context.Context) ([]byte, error) {
	if up.tail == 0 {
		return nil, nil
	}
	st, id := up.st, up.si.Info.ID
	obj, err := st.s.c.GetObject(ctx, st.bucket, id+tailSuffix, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3files: read the tail of staging upload %s: %w", id, err)
	}
	defer func() { _ = obj.Close() }()
	b := make([]byte, up.tail, st.max)
	if _, err := io.ReadFull(obj, b); err != nil {
		return nil, fmt.Errorf("s3files: read the tail of staging upload %s: %w", id, err)
	}
	return b, nil
}

// putPart sends b as the next part, with its SHA-256 checksum.
func (up *stagedUpload) putPart(ctx context.Context, b []byte) error {
	st, id := up.st, up.si.Info.ID
	sum := sha256.Sum256(b)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	num := len(up.parts) + 1
	p, err := st.s.core.PutObjectPart(ctx, st.bucket, id, up.si.Multipart, num, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectPartOptions{DisableContentSha256: true, CustomHeader: http.Header{"X-Amz-Checksum-Sha256": {b64}}})
	if err != nil {
		return fmt.Errorf("s3files: stage part %d of upload %s: %w", num, id, err)
	}
	up.parts = append(up.parts, minio.ObjectPart{PartNumber: num, ETag: p.ETag, Size: int64(len(b)), ChecksumSHA256: b64, LastModified: time.Now()})
	up.tail = 0
	if up.hash != nil {
		up.hash.Write(b)
	}
	return nil
}

// putTail replaces the tail with b, marked as following the parts so far
// and carrying the hash's state over them.
func (up *stagedUpload) putTail(ctx context.Context, b []byte) error {
	st, id := up.st, up.si.Info.ID
	md := map[string]string{metaAfter: strconv.Itoa(len(up.parts))}
	if up.hash != nil {
		if state, err := up.hash.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
			md[metaHash] = base64.StdEncoding.EncodeToString(state)
		}
	}
	_, err := st.s.c.PutObject(ctx, st.bucket, id+tailSuffix, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", UserMetadata: md})
	if err != nil {
		return fmt.Errorf("s3files: stage the tail of upload %s: %w", id, err)
	}
	up.tail = int64(len(b))
	return nil
}

// FinishUpload sends the tail as the last part and completes the
// multipart upload to the object id. Done already is no error.
func (up *stagedUpload) FinishUpload(ctx context.Context) error {
	if err := up.load(ctx); err != nil {
		return err
	}
	if up.done {
		return nil
	}
	pctx, cancel := persist(ctx)
	defer cancel()
	st, id := up.st, up.si.Info.ID
	if up.tail > 0 {
		b, err := up.readTail(pctx)
		if err != nil {
			return err
		}
		if err := up.putPart(pctx, b); err != nil {
			return err
		}
	}
	if len(up.parts) == 0 { // an empty upload: no multipart upload completes with no part
		if _, err := st.s.c.PutObject(pctx, st.bucket, id, bytes.NewReader(nil), 0, minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("s3files: stage empty upload %s: %w", id, err)
		}
		_ = st.s.core.AbortMultipartUpload(pctx, st.bucket, id, up.si.Multipart)
	} else {
		parts := make([]minio.CompletePart, len(up.parts))
		for i, p := range up.parts {
			parts[i] = minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256}
		}
		if _, err := st.s.core.CompleteMultipartUpload(pctx, st.bucket, id, up.si.Multipart, parts, minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("s3files: complete staging upload %s: %w", id, err)
		}
	}
	up.done = true
	if up.hash != nil { // the sum for Store.Put, which then reads nothing back
		up.si.SHA256 = hex.EncodeToString(up.hash.Sum(nil))
		if err := up.writeInfo(pctx); err != nil {
			up.si.SHA256 = ""
		}
	}
	_ = st.s.c.RemoveObject(pctx, st.bucket, id+tailSuffix, minio.RemoveObjectOptions{})
	return nil
}

// Terminate removes everything of the upload: its parts, tail, object and
// info (the info last: an upload half removed is still listed and goes
// at the next try).
func (up *stagedUpload) Terminate(ctx context.Context) error {
	st, id := up.st, up.si.Info.ID
	err := st.s.core.AbortMultipartUpload(ctx, st.bucket, id, up.si.Multipart)
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchUpload && !notFound(err) {
		return fmt.Errorf("s3files: abort staging upload %s: %w", id, err)
	}
	for _, k := range []string{id + tailSuffix, id, id + infoSuffix} {
		if err := st.s.c.RemoveObject(ctx, st.bucket, k, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
			return fmt.Errorf("s3files: remove staged %s: %w", k, err)
		}
	}
	return nil
}

// putStaged stores a finished upload staged in the uploads bucket: it
// reads the staged object and hashes it (what S3 holds is what is
// checked), then copies it server side under a free key in the live
// bucket, pinned to the ETag it hashed, and checks the copy's size (and
// reads it back when ReadBack is set). A mismatch is ingest.ErrChecksum
// and nothing is stored.
func (s *Store) putStaged(ctx context.Context, src ingest.Upload, dir, name string) (string, error) {
	if s.staging == "" {
		return "", fmt.Errorf("s3files: upload %s is staged, but no uploads bucket is open", src.Object)
	}
	etag, err := s.checkStaged(ctx, src)
	if err != nil {
		return "", err
	}
	key, err := s.reserve(ctx, dir, name)
	if err != nil {
		return "", err
	}
	defer s.release(key)
	o := s.putOptions(s.cfg.Bucket)
	dst := minio.CopyDestOptions{Bucket: s.cfg.Bucket, Object: key, Mode: o.Mode, RetainUntilDate: o.RetainUntilDate}
	_, err = s.c.ComposeObject(ctx, dst, minio.CopySrcOptions{Bucket: s.staging, Object: src.Object, MatchETag: etag})
	if err == nil {
		var got minio.ObjectInfo
		got, err = s.c.StatObject(ctx, s.cfg.Bucket, key, minio.StatObjectOptions{})
		if err == nil && got.Size != src.Size {
			err = fmt.Errorf("%w: the copy of %s holds %d bytes, the upload %d", ingest.ErrVerify, key, got.Size, src.Size)
		}
		if err == nil && s.cfg.ReadBack {
			err = s.readBackCheck(ctx, s.cfg.Bucket, key, src)
		}
	}
	if err != nil {
		if rerr := s.Remove(context.WithoutCancel(ctx), key); rerr != nil {
			s.log.Error("an object that failed its copy is left in the bucket", "key", key, "err", rerr)
		}
		return "", fmt.Errorf("s3files: store staged upload %s as %s: %w", src.Object, key, err)
	}
	return key, nil
}

// checkStaged compares the staged object with the upload: its size, and
// its SHA-256 as hashed while its parts were sent (each part's bytes
// checked by the server against their own SHA-256), or, when a killed
// hub lost that, by reading the object back. It returns the ETag it
// checked, for the copy to pin.
func (s *Store) checkStaged(ctx context.Context, src ingest.Upload) (string, error) {
	si, _, err := s.readInfo(ctx, s.staging, src.Object)
	if err != nil {
		return "", err
	}
	st, err := s.c.StatObject(ctx, s.staging, src.Object, minio.StatObjectOptions{})
	if err != nil {
		return "", fmt.Errorf("s3files: stat staged upload %s: %w", src.Object, err)
	}
	if si.SHA256 != "" {
		if st.Size != src.Size || si.SHA256 != src.SHA256 {
			return "", fmt.Errorf("%w: the staged upload holds %d bytes hashing to %s, not %d bytes %s", ingest.ErrChecksum, st.Size, si.SHA256, src.Size, src.SHA256)
		}
		return st.ETag, nil
	}
	var o minio.GetObjectOptions
	_ = o.SetMatchETag(st.ETag)
	obj, err := s.c.GetObject(ctx, s.staging, src.Object, o)
	if err != nil {
		return "", fmt.Errorf("s3files: read staged upload %s: %w", src.Object, err)
	}
	defer obj.Close()
	h := sha256.New()
	n, err := io.Copy(h, obj)
	if err != nil {
		return "", fmt.Errorf("s3files: read staged upload %s: %w", src.Object, err)
	}
	s.readBack.Add(1)
	if got := hex.EncodeToString(h.Sum(nil)); n != src.Size || got != src.SHA256 {
		return "", fmt.Errorf("%w: the staged upload holds %d bytes hashing to %s, not %d bytes %s", ingest.ErrChecksum, n, got, src.Size, src.SHA256)
	}
	return st.ETag, nil
}

// reserve finds a key free in both buckets and not being put or copied
// to by another upload of this hub, and holds it until release. (Another
// hub's put meanwhile is refused by If-None-Match: a copy has none, but
// only a cluster's core stores uploads.)
func (s *Store) reserve(ctx context.Context, dir, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var key string
	var err error
	ingest.FreeKeys(dir, name, func(k string) bool {
		if s.reserved[k] {
			return true
		}
		var t bool
		t, err = s.taken(ctx, k)
		if err != nil || t {
			return err == nil
		}
		key = k
		return false
	})
	if err != nil {
		return "", fmt.Errorf("s3files: find a free name for %s: %w", name, err)
	}
	if key == "" {
		return "", fmt.Errorf("s3files: no free name for %s in %q", name, dir)
	}
	if s.reserved == nil {
		s.reserved = map[string]bool{}
	}
	s.reserved[key] = true
	return key, nil
}

func (s *Store) release(key string) {
	s.mu.Lock()
	delete(s.reserved, key)
	s.mu.Unlock()
}
