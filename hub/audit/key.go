package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the signing key's file in the store folder.
const KeyFile = "audit.key"

// DefaultKeyName names the hub's key in its checkpoints' signatures.
const DefaultKeyName = "agentdesk-audit"

// LoadOrCreateKey reads the note signing key at path, or makes one (an
// Ed25519 key named name, in a new file of mode 0600) when there is none.
// It returns the signer and the public verifier key.
func LoadOrCreateKey(path, name string) (note.Signer, string, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- the store folder's own key file
	if errors.Is(err, fs.ErrNotExist) {
		skey, _, gerr := note.GenerateKey(rand.Reader, name)
		if gerr != nil {
			return nil, "", fmt.Errorf("audit: make key: %w", gerr)
		}
		f, oerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- as above
		if oerr != nil {
			return nil, "", fmt.Errorf("audit: key: %w", oerr)
		}
		if _, werr := f.WriteString(skey + "\n"); werr != nil {
			_ = f.Close()
			return nil, "", fmt.Errorf("audit: key: %w", werr)
		}
		if cerr := f.Sync(); cerr != nil {
			_ = f.Close()
			return nil, "", fmt.Errorf("audit: key: %w", cerr)
		}
		if cerr := f.Close(); cerr != nil {
			return nil, "", fmt.Errorf("audit: key: %w", cerr)
		}
		b, err = []byte(skey), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("audit: key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: key %s: %w", path, err)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: key %s: %w", path, err)
	}
	return signer, vkey, nil
}

// VerifierKey is the public verifier key of a note signing key
// ("PRIVATE+KEY+name+hash+key" → "name+hash+key").
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note signing key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signing key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey := parts[2] + "+" + parts[3] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", err
	}
	return vkey, nil
}
