package uploader

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/uploader/durable"
)

// Encrypt returns a writer that encrypts what is written to it with age to
// recipient (an X25519 public key, "age1…") and writes the ciphertext to
// dst. Close the writer to flush the last chunk; it does not close dst. A
// malformed key gives an error wrapping ErrBadRecipient.
func Encrypt(dst io.Writer, recipient string) (io.WriteCloser, error) {
	rcp, err := age.ParseX25519Recipient(strings.TrimSpace(recipient))
	if err != nil {
		return nil, fmt.Errorf("uploader: %w %q: %v (want an age X25519 public key, age1…)", ErrBadRecipient, short(recipient), err)
	}
	w, err := age.Encrypt(dst, rcp)
	if err != nil {
		return nil, fmt.Errorf("uploader: encrypt: %w", err)
	}
	return w, nil
}

// Decrypt returns a reader of the plaintext of the age file src, for the
// holder of identity (an X25519 secret key, "AGE-SECRET-KEY-1…").
func Decrypt(src io.Reader, identity string) (io.Reader, error) {
	id, err := age.ParseX25519Identity(strings.TrimSpace(identity))
	if err != nil {
		return nil, fmt.Errorf("uploader: bad age identity: %v", err)
	}
	r, err := age.Decrypt(src, id)
	if err != nil {
		return nil, fmt.Errorf("uploader: decrypt: %w", err)
	}
	return r, nil
}

// short keeps error messages readable when someone pastes a whole file.
func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// EncryptFile encrypts the file src with age to recipient into dst,
// atomically: a temp file beside dst, fsync, rename. src is left alone;
// the caller removes it once EncryptFile returned nil.
func EncryptFile(src, dst, recipient string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("uploader: encrypt: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return fmt.Errorf("uploader: encrypt: %w", err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	w, err := Encrypt(out, recipient)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return fmt.Errorf("uploader: encrypt %s: %w", src, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("uploader: encrypt %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("uploader: encrypt: fsync: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("uploader: encrypt: %w", err)
	}
	if err := os.Rename(out.Name(), dst); err != nil {
		return fmt.Errorf("uploader: encrypt: %w", err)
	}
	return durable.SyncDir(filepath.Dir(dst))
}
