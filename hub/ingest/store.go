package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"syscall"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/upload"
)

// errChecksum is the body of the 460 that refuses a final PATCH.
var errChecksum = tusd.Error{ErrorCode: "ERR_CHECKSUM_MISMATCH", Message: "checksum mismatch",
	HTTPResponse: tusd.HTTPResponse{StatusCode: upload.StatusChecksumMismatch, Body: "checksum mismatch",
		Header: tusd.HTTPHeader{"Content-Type": "text/plain; charset=utf-8"}}}

// errFull answers a write the store's disk has no room for, in words and
// without the server's paths.
func errFull(err error) tusd.Error {
	why := "no space left on device"
	if errors.Is(err, syscall.EDQUOT) {
		why = syscall.EDQUOT.Error()
	}
	return tusd.NewError("ERR_INSUFFICIENT_STORAGE",
		"the hub's recording store is full ("+why+"); nothing was stored, keep the file and retry later", http.StatusInsufficientStorage)
}

// isFull tells a full disk (or quota) from other failures.
func isFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(err.Error(), "database or disk is full")
}

// preFinish runs when the last byte of an upload is written, before the
// final PATCH is answered: it hashes the file, refuses a mismatch (460,
// upload terminated) and otherwise stores and indexes the file and answers
// with its id in Agentdesk-Stored. Any failure terminates the upload, so
// nothing is left half-stored and the client starts again at byte 0.
func (in *Ingest) preFinish(ev tusd.HookEvent) (tusd.HTTPResponse, error) {
	ctx := context.WithoutCancel(ev.Context)
	info := ev.Upload
	f, err := in.finish(ctx, info)
	if tErr := in.terminate(ctx, info.ID); tErr != nil && err == nil {
		err = tErr
	}
	if err != nil {
		var te tusd.Error
		if !errors.As(err, &te) && isFull(err) {
			err = errFull(err)
		}
		return tusd.HTTPResponse{}, err
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{upload.HeaderStored: f.ID}}, nil
}

// finish checks the finished upload's checksum and stores it.
func (in *Ingest) finish(ctx context.Context, info tusd.FileInfo) (store.File, error) {
	m, err := parseMeta(info.MetaData, info.Size)
	if err != nil {
		return store.File{}, tusd.NewError("ERR_BAD_METADATA", err.Error(), http.StatusBadRequest)
	}
	if why := in.refusal(ctx, info.MetaData); why != "" { // deleted while it was uploading (R-H6)
		return store.File{}, errGone(why)
	}
	src := Upload{Path: info.Storage[filestoreKeyPath], Object: info.Storage[UploadKey], Size: m.size, SHA256: m.sha}
	sum := m.sha
	if _, self := in.storage.(SelfChecking); !self { // else Put hashes it as it stores it
		if src.Path == "" {
			return store.File{}, fmt.Errorf("hub: upload %s is staged in a bucket, which only S3 storage takes", info.ID)
		}
		got, err := hashFile(src.Path)
		if err != nil {
			return store.File{}, fmt.Errorf("hub: hash upload %s: %w", info.ID, err)
		}
		if got != m.sha {
			return store.File{}, errChecksum
		}
	}
	agent := info.MetaData[upload.MetaAgent] // preCreate sets it to the token's agent
	if agent == "" {
		return store.File{}, tusd.NewError("ERR_BAD_METADATA", "the upload names no agent", http.StatusBadRequest)
	}
	// The same bytes again from the same agent (a lost acknowledgement):
	// already stored. Another agent's identical file is not handed out:
	// de-duplication is per owner (issue 10).
	if old, err := in.index.FileBySHA(ctx, sum, agent); err == nil {
		return old, nil
	}
	f, err := in.place(ctx, src, m, info.MetaData)
	if errors.Is(err, ErrChecksum) {
		return store.File{}, errChecksum
	}
	if err != nil {
		return f, err
	}
	if why := in.refusal(ctx, info.MetaData); why != "" { // deleted while it was being placed
		_ = in.storage.Remove(ctx, f.Path)
		_ = in.index.DeleteFile(ctx, f.ID)
		return store.File{}, errGone(why)
	}
	return f, nil
}

// filestoreKeyPath is where tusd's filestore keeps the upload's bytes.
const filestoreKeyPath = "Path"

func hashFile(path string) (string, error) {
	f, err := os.Open(path) // #nosec G304 -- tusd's file for the upload, under uploads/
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// place puts the upload's bytes into the storage as [dest/]name under a
// safe, unused name and indexes them; on a failure nothing is left behind.
func (in *Ingest) place(ctx context.Context, src Upload, m uploadMeta, md tusd.MetaData) (store.File, error) {
	rel := ""
	if m.dest != "" {
		rel = safeName(m.dest)
	}
	key, err := in.storage.Put(ctx, src, rel, safeName(m.filename))
	if err != nil {
		return store.File{}, err
	}
	name := path.Base(key)
	f := store.File{Name: name, Path: key, SHA256: m.sha, Size: m.size,
		Interaction: md[upload.MetaInteraction], Recording: md[upload.MetaRecording], Agent: md[upload.MetaAgent],
		Encrypted: strings.HasSuffix(name, ".age")}
	if mf := m.manifest; mf != nil {
		f.Customer, f.Queue, f.Kind, f.Disposition = mf.Customer, mf.Queue, mf.Kind, mf.Disposition
		f.Partitions, f.Metadata = mf.Partitions, mf.Metadata
		f.Manifest = []byte(md[upload.MetaManifest])
		if mf.Encrypted != nil {
			f.Encrypted = *mf.Encrypted
		}
		if f.Interaction == "" {
			f.Interaction = mf.Interaction
		}
		if f.Recording == "" {
			f.Recording = mf.Recording
		}
	}
	if err := in.index.PutFile(ctx, &f); err != nil {
		if rerr := in.storage.Remove(ctx, key); rerr != nil {
			in.log.Error("a stored file the index refused is left in the storage", "file", key, "err", rerr)
		}
		return store.File{}, err
	}
	return f, nil
}

// safeName applies session.FileName's rules to a name from a client: one
// path component, nothing a file system rejects, never "." or "..".
func safeName(s string) string {
	n, _ := session.FileName("{id}", session.FileNameFields{ID: s}, nil)
	return n
}

// terminate removes an upload's bytes and info.
func (in *Ingest) terminate(ctx context.Context, id string) error {
	up, err := in.staging.GetUpload(ctx, id)
	if err != nil {
		return err
	}
	return in.staging.AsTerminatableUpload(up).Terminate(ctx)
}

// fullStore is tusd's filestore with a full disk answered 507 in words
// instead of a bare 500.
type fullStore struct {
	fs interface {
		tusd.DataStore
		tusd.TerminaterDataStore
	}
}

var (
	_ tusd.DataStore           = fullStore{}
	_ tusd.TerminaterDataStore = fullStore{}
)

// fullUpload maps a full disk in WriteChunk to 507.
type fullUpload struct{ tusd.Upload }

// NewUpload creates an upload; a full disk is 507.
func (s fullStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	u, err := s.fs.NewUpload(ctx, info)
	if err != nil {
		if isFull(err) {
			return nil, errFull(err)
		}
		return nil, err
	}
	return fullUpload{u}, nil
}

// GetUpload finds an upload.
func (s fullStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	u, err := s.fs.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	return fullUpload{u}, nil
}

// AsTerminatableUpload unwraps to the filestore's upload.
func (s fullStore) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload {
	if fu, ok := u.(fullUpload); ok {
		u = fu.Upload
	}
	return s.fs.AsTerminatableUpload(u)
}

// WriteChunk appends; a full disk is 507 (the bytes written so far stay,
// so the upload resumes from there once there is room).
func (u fullUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	n, err := u.Upload.WriteChunk(ctx, offset, src)
	if err != nil && isFull(err) {
		return n, errFull(err)
	}
	return n, err
}
