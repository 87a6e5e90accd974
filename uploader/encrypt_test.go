package uploader

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

func TestEncryptRoundTrip(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("a recorded chat line\n"), 10000)
	var buf bytes.Buffer
	w, err := Encrypt(&buf, id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("recorded chat")) {
		t.Fatal("the ciphertext holds the plaintext")
	}
	r, err := Decrypt(&buf, id.String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypted %d bytes (%v), want %d identical", len(got), err, len(plain))
	}
}

func TestEncryptBadKey(t *testing.T) {
	for _, key := range []string{"", "age1notakey", "AGE-SECRET-KEY-1XYZ", "ssh-ed25519 AAAA"} {
		t.Run(key, func(t *testing.T) {
			_, err := Encrypt(io.Discard, key)
			if !errors.Is(err, ErrBadRecipient) {
				t.Fatalf("Encrypt to %q: %v, want ErrBadRecipient", key, err)
			}
		})
	}
}

func TestEncryptFile(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := bytes.Repeat([]byte("screen and voice "), 50000)
	src := writeTemp(t, dir, "r.webm", plain)
	dst := filepath.Join(dir, "r.webm.age")
	if err := EncryptFile(src, filepath.Join(dir, "bad.age"), "age1nope"); !errors.Is(err, ErrBadRecipient) {
		t.Fatalf("EncryptFile to a bad key: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
		t.Fatalf("temp files left after a failure: %v", left)
	}
	if err := EncryptFile(src, dst, id.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Decrypt(f, id.String())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %d bytes, %v", len(got), err)
	}
}
