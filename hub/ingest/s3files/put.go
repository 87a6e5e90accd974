package s3files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/agentdesk/agentdesk/hub/ingest"
)

// DefaultPartsInFlight is how many parts of one multipart upload are sent
// at once when Config.PartsInFlight is 0; each holds a PartSize buffer.
const DefaultPartsInFlight = 2

// put reads the file once, part by part into a buffer: each part is
// hashed (its SHA-256 and the file's) and sent from the buffer with its
// SHA-256 as its checksum (x-amz-checksum-sha256, a signed header), so
// the server checks every byte it is given.

// unsigned: the body is sent as UNSIGNED-PAYLOAD: its integrity is the
// signed checksum header's, which the server checks. Signing the body's
// hash as well makes the server hash every byte twice (measured with
// versitygw: a 256 MiB PUT took 1.5 times as long), and minio-go's
// default over plain http, chunked signing, hashes it twice here too. Before the last part leaves, the file's
// SHA-256 is compared with the upload's: a difference sends nothing more
// and is ingest.ErrChecksum. A file of at most one part is one PUT. It
// returns the object's checksum as S3 answers it: the file's SHA-256, or
// for a multipart upload the SHA-256 of its parts' SHA-256s and "-parts".
func (s *Store) put(ctx context.Context, f *os.File, src ingest.Upload, key string) (string, error) {
	whole := sha256.New()
	if src.Size <= s.cfg.PartSize {
		buf := make([]byte, src.Size)
		if _, err := io.ReadFull(io.NewSectionReader(f, 0, src.Size), buf); err != nil {
			return "", fmt.Errorf("s3files: read the upload: %w", err)
		}
		whole.Write(buf)
		if err := checkWhole(whole, src); err != nil {
			return "", err
		}
		b64 := base64.StdEncoding.EncodeToString(whole.Sum(nil))
		o := s.putOptions(s.cfg.Bucket)
		o.UserMetadata = map[string]string{"x-amz-checksum-sha256": b64}
		o.DisableContentSha256 = true // see unsigned
		o.SetMatchETagExcept("*")     // If-None-Match: never replace an object (another hub's, put since the name was found free)
		if _, err := s.core.PutObject(ctx, s.cfg.Bucket, key, bytes.NewReader(buf), src.Size, "", "", o); err != nil {
			return "", fmt.Errorf("s3files: put %s: %w", key, err)
		}
		return b64, nil
	}
	return s.putParts(ctx, f, src, key, whole)
}

// readPart reads size bytes at off into buf and hashes them into whole;
// it returns the bytes and their SHA-256.
func readPart(f *os.File, off, size int64, buf []byte, whole hash.Hash) ([]byte, []byte, error) {
	buf = buf[:size]
	if _, err := io.ReadFull(io.NewSectionReader(f, off, size), buf); err != nil {
		return nil, nil, fmt.Errorf("s3files: read the upload: %w", err)
	}
	whole.Write(buf)
	sum := sha256.Sum256(buf)
	return buf, sum[:], nil
}

func checkWhole(whole hash.Hash, src ingest.Upload) error {
	if got := hex.EncodeToString(whole.Sum(nil)); got != src.SHA256 {
		return fmt.Errorf("%w: the upload's bytes hash to %s, not %s", ingest.ErrChecksum, got, src.SHA256)
	}
	return nil
}

// putParts is put's multipart upload: PartsInFlight parts are sent at
// once while the next is read and hashed; any failure aborts the upload.
func (s *Store) putParts(ctx context.Context, f *os.File, src ingest.Upload, key string, whole hash.Hash) (string, error) {
	o := s.putOptions(s.cfg.Bucket)
	o.UserMetadata = map[string]string{"x-amz-checksum-algorithm": "SHA256"}
	id, err := s.core.NewMultipartUpload(ctx, s.cfg.Bucket, key, o)
	if err != nil {
		return "", fmt.Errorf("s3files: start the multipart upload of %s: %w", key, err)
	}
	n := int((src.Size + s.cfg.PartSize - 1) / s.cfg.PartSize)
	parts := make([]minio.CompletePart, n)
	free := make(chan []byte, s.cfg.PartsInFlight)
	for range s.cfg.PartsInFlight {
		free <- nil // a buffer is made when first needed
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed error
	)
	// A failure sends no more parts, but lets those in flight end before
	// the upload is aborted: a part cut off mid-request may be written by
	// the server after the abort, which leaves the upload behind
	// (versitygw does).
	stop := make(chan struct{})
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
			close(stop)
		}
		mu.Unlock()
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	all := sha256.New() // the parts' SHA-256s, for the composite checksum
	for i := range n {
		var buf []byte
		select {
		case buf = <-free:
		case <-stop:
		}
		if stopped() || ctx.Err() != nil {
			break
		}
		if buf == nil {
			buf = make([]byte, s.cfg.PartSize)
		}
		off := int64(i) * s.cfg.PartSize
		part, sum, err := readPart(f, off, min(s.cfg.PartSize, src.Size-off), buf, whole)
		if err == nil && i == n-1 {
			err = checkWhole(whole, src)
		}
		if err != nil {
			fail(err)
			break
		}
		all.Write(sum)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { free <- buf }()
			b64 := base64.StdEncoding.EncodeToString(sum)
			p, err := s.core.PutObjectPart(ctx, s.cfg.Bucket, key, id, i+1, bytes.NewReader(part), int64(len(part)),
				minio.PutObjectPartOptions{DisableContentSha256: true, // see unsigned
					CustomHeader: http.Header{"X-Amz-Checksum-Sha256": {b64}}})
			if err != nil {
				fail(fmt.Errorf("part %d: %w", i+1, err))
				return
			}
			parts[i] = minio.CompletePart{PartNumber: i + 1, ETag: p.ETag, ChecksumSHA256: b64}
		}()
	}
	wg.Wait()
	err = failed
	if err == nil {
		co := minio.PutObjectOptions{}
		co.SetMatchETagExcept("*") // as for one PUT: never replace an object
		_, err = s.core.CompleteMultipartUpload(ctx, s.cfg.Bucket, key, id, parts, co)
	}
	if err != nil {
		if aerr := s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.cfg.Bucket, key, id); aerr != nil {
			s.log.Warn("cannot abort a failed multipart upload", "key", key, "err", aerr)
		}
		return "", fmt.Errorf("s3files: put %s: %w", key, err)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(all.Sum(nil)), n), nil
}

// ChecksUploads marks Store as an ingest.SelfChecking storage: Put hashes
// the upload as it sends it and refuses a mismatch before its last byte.
func (s *Store) ChecksUploads() {}

var _ ingest.SelfChecking = (*Store)(nil)
