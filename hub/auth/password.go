package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters of new hashes: OWASP's second recommended set
// (19 MiB, 2 passes, 1 lane), about 50 ms here.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
	// Bounds of a hash read from a file: a hostile users file must not
	// make every login cost a gigabyte.
	maxArgonMemory = 256 * 1024
	maxArgonTime   = 10
)

// MinPassword is the shortest password HashPassword accepts.
const MinPassword = 10

// ErrBadHash is a stored password hash this package cannot read.
var ErrBadHash = errors.New("auth: not an argon2id hash ($argon2id$v=19$m=…,t=…,p=…$salt$key)")

// HashPassword returns password's argon2id hash in the PHC string form
// ($argon2id$v=19$m=19456,t=2,p=1$salt$key), with a random salt.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPassword {
		return "", fmt.Errorf("auth: a password needs at least %d characters", MinPassword)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// argonHash is a parsed PHC string.
type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads a PHC argon2id string, refusing parameters out of bounds.
func parseHash(s string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return h, ErrBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); err != nil {
		return h, ErrBadHash
	}
	if h.memory < 8 || h.memory > maxArgonMemory || h.time < 1 || h.time > maxArgonTime || threads < 1 || threads > 16 {
		return h, fmt.Errorf("%w: parameters out of bounds (m ≤ %d KiB, t ≤ %d, p ≤ 16)", ErrBadHash, maxArgonMemory, maxArgonTime)
	}
	h.threads = uint8(threads) // #nosec G115 -- bounded to 16 above
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, ErrBadHash
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, ErrBadHash
	}
	return h, nil
}

// checkPassword reports whether password matches the hash, in time that
// does not depend on where they differ.
func checkPassword(hash, password string) bool {
	h, err := parseHash(hash)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key))) // #nosec G115 -- at most 64
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// dummyHash is checked against when the user is unknown, so a login for a
// user who does not exist takes as long as one with a wrong password.
var dummyHash = func() string {
	h, err := HashPassword("not anyone's password at all")
	if err != nil {
		panic(err)
	}
	return h
}()
