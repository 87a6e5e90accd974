package uploader

import (
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
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
