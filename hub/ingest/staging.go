package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// Staging keeps the unfinished uploads (tus) until their last byte: the
// hub's uploads/ folder (the default, tusd's filestore), or a bucket
// (hub/ingest/s3files) that every hub of a cluster reads, so an upload
// cut off by one hub's death resumes on another from its acknowledged
// offset (issue 16).
type Staging interface {
	tusd.DataStore
	tusd.TerminaterDataStore
	// Uploads lists the staged uploads, finished ones not yet stored too.
	Uploads(ctx context.Context) ([]Staged, error)
	// Staged describes upload id; one that is not staged is
	// tusd.ErrNotFound.
	Staged(ctx context.Context, id string) (Staged, error)
}

// ErrStagingDown is wrapped by a Staging's errors that say it cannot be
// read just now (a bucket that does not answer), as opposed to an upload
// that is not there or is damaged: the hub answers 503, not 404, so the
// desktop retries instead of starting again at byte 0.
var ErrStagingDown = errors.New("ingest: the unfinished uploads cannot be read just now")

// Staged is one staged upload.
type Staged struct {
	Info    tusd.FileInfo // Offset is what is stored of it
	Started time.Time     // when it was created
	Moved   time.Time     // when a byte of it was last stored
}

// Whole reports whether all of the upload's bytes are staged.
func (s Staged) Whole() bool { return !s.Info.SizeIsDeferred && s.Info.Offset == s.Info.Size }

// UploadKey is the key of tusd's FileInfo.Storage under which a bucket
// staging names the object that holds a finished upload's bytes; tusd's
// filestore names their file under "Path".
const UploadKey = "Key"

// folderStaging is tusd's filestore in uploads/, with a full disk
// answered 507 in words.
type folderStaging struct {
	fullStore
	fs  filestore.FileStore
	dir string
}

func newFolderStaging(dir string) *folderStaging {
	fs := filestore.New(dir)
	return &folderStaging{fullStore: fullStore{fs}, fs: fs, dir: dir}
}

// Uploads lists the .info files of uploads/.
func (f *folderStaging) Uploads(ctx context.Context) ([]Staged, error) {
	ents, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, err
	}
	var out []Staged
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok {
			continue
		}
		if s, err := f.Staged(ctx, id); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// Staged reads an upload's info; Started is its .info file's time, Moved
// its data file's.
func (f *folderStaging) Staged(ctx context.Context, id string) (Staged, error) {
	up, err := f.fs.GetUpload(ctx, id)
	if err != nil {
		return Staged{}, err
	}
	info, err := up.GetInfo(ctx)
	if err != nil {
		return Staged{}, err
	}
	s := Staged{Info: info}
	if fi, err := os.Stat(filepath.Join(f.dir, id+".info")); err == nil {
		s.Started = fi.ModTime()
	}
	fi, err := os.Stat(filepath.Join(f.dir, id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Staged{}, tusd.ErrNotFound
		}
		return Staged{}, err
	}
	s.Moved = fi.ModTime()
	return s, nil
}

// staged describes upload id, or reports false.
func (in *Ingest) staged(ctx context.Context, id string) (Staged, bool) {
	s, err := in.staging.Staged(ctx, id)
	return s, err == nil
}
