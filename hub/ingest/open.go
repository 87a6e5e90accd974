package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/hub/store"
)

// ErrNoIdentity: a sealed file was to be decrypted, but the hub holds no
// age identity (store.identity_file).
var ErrNoIdentity = errors.New("ingest: the hub holds no age identity to decrypt with")

// CanDecrypt reports whether the hub holds an age identity to decrypt
// sealed files with.
func (in *Ingest) CanDecrypt() bool { return len(in.ids) > 0 }

// OpenStored opens the stored file f to be read from its start: the bytes
// as stored, or, with decrypt and f age-encrypted, its plaintext,
// decrypted as it is read with the hub's identity (nothing is written to
// disk; DecryptedBytes counts what is opened). It returns the file's name
// as it reads (without .age when decrypted) and how many bytes the reader
// yields. The caller has decided that the bytes may be read.
func (in *Ingest) OpenStored(f store.File, decrypt bool) (r io.ReadCloser, name string, size int64, err error) {
	src, err := in.storage.Open(context.Background(), f.Path)
	if err != nil {
		return nil, "", 0, fmt.Errorf("ingest: file %s: %w", f.ID, err)
	}
	if !decrypt || !f.Encrypted {
		return struct {
			io.Reader
			io.Closer
		}{io.NewSectionReader(src, 0, src.Size()), src}, f.Name, src.Size(), nil
	}
	if len(in.ids) == 0 {
		_ = src.Close()
		return nil, "", 0, ErrNoIdentity
	}
	plain, n, err := age.DecryptReaderAt(countingReaderAt{src, &in.decrypted}, src.Size(), in.ids...)
	if err != nil {
		_ = src.Close()
		return nil, "", 0, fmt.Errorf("ingest: cannot decrypt file %s: %w", f.ID, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(plain, 0, n), src}, strings.TrimSuffix(f.Name, ".age"), n, nil
}
