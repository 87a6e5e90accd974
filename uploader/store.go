package uploader

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/uploader/durable"
)

// The queue directory holds one sub-directory per item, named by its id:
//
//	<id>/<name>          the file to deliver (the template name)
//	<id>/manifest.json   the Manifest
//	<id>/state.json      itemState, replaced atomically (write, fsync, rename)
//
// An item is built in ".new-<id>" and renamed into place, so a crash never
// leaves a half-made item under its id.
const (
	manifestFile = "manifest.json"
	stateFile    = "state.json"
	newPrefix    = ".new-"
)

// Persisted statuses. The live states (waiting, uploading, retrying) are
// not persisted: after a restart such an item is queued again.
const (
	statusQueued  = "queued"
	statusDone    = "done"
	statusFailed  = "failed"
	statusDeleted = "deleted" // the store refused it for good (ErrGone); the local copy is gone
)

// itemState is the small JSON state kept beside each queued file.
type itemState struct {
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	Resume    string    `json:"resume,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	Stored    string    `json:"stored,omitempty"`
	Enqueued  time.Time `json:"enqueued"`
	Updated   time.Time `json:"updated"`
}

// newID returns a sortable unique id: the enqueue time and 4 random bytes.
func newID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s", now.UTC().Format("20060102T150405.000000000"), hex.EncodeToString(b[:]))
}

// writeFileAtomic replaces path with data: a temp file in the same
// directory, fsync, rename, fsync of the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return durable.SyncDir(dir)
}

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// moveFile renames src to dst, or, across file systems, copies it (with
// fsync) and removes src afterwards.
func moveFile(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return err
	}
	return os.Remove(src)
}

// recoverNew finishes or discards an item that a crash left half-made in
// dir/.new-<id>: with its file and state it is renamed into place,
// otherwise removed (the caller's file was never moved, so nothing is lost).
func recoverNew(dir, name string) error {
	tmp := filepath.Join(dir, name)
	id := strings.TrimPrefix(name, newPrefix)
	var st itemState
	complete := readJSON(filepath.Join(tmp, stateFile), &st) == nil && ValidName(st.Name)
	if complete {
		if _, err := os.Stat(filepath.Join(tmp, st.Name)); err != nil {
			complete = false
		}
	}
	if !complete {
		return os.RemoveAll(tmp)
	}
	if err := os.Rename(tmp, filepath.Join(dir, id)); err != nil {
		return err
	}
	return durable.SyncDir(dir)
}
