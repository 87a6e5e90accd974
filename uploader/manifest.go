// Package uploader delivers finished recordings to the recording store: a
// persistent queue on disk that survives crashes and reboots, upload windows
// (R-V3), a bandwidth cap, retries with backoff and jitter, resume from the
// last acknowledged byte, and deletion of the local file only after the store
// confirmed its checksum. The stores are Sinks, one adapter package each
// (hubsink, sftpsink, dirsink).
package uploader

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// ManifestVersion is the version written into every Manifest.
const ManifestVersion = 1

// Manifest describes one recording file: who, what, and the checksum of the
// exact bytes stored. It travels with the file (as the tus "manifest"
// metadata, or as a .json file beside it on SFTP and folder sinks).
type Manifest struct {
	Version     int               `json:"version"`
	Recording   string            `json:"recording"`
	Interaction string            `json:"interaction"`
	Agent       string            `json:"agent"`
	Customer    string            `json:"customer,omitempty"`
	Queue       string            `json:"queue,omitempty"`
	Kind        string            `json:"kind,omitempty"`
	Disposition string            `json:"disposition,omitempty"`
	Partitions  []string          `json:"partitions"`
	Metadata    map[string]string `json:"metadata"`
	File        string            `json:"file"`
	SHA256      string            `json:"sha256"`
	Size        int64             `json:"size"`
	Encrypted   bool              `json:"encrypted"`
	DurationMS  int64             `json:"duration_ms"`
	Tracks      []Track           `json:"tracks"`
	Created     time.Time         `json:"created"`
	// Dest optionally overrides where the store keeps the file (R-G2): a
	// sub-folder name, no slashes.
	Dest string `json:"dest,omitempty"`
}

// Track is one track of a recording file.
type Track struct {
	Type  string `json:"type"` // video, audio or subtitle
	Codec string `json:"codec"`
}

// MarshalManifest returns m as JSON with empty lists and maps written as []
// and {} rather than null.
func MarshalManifest(m Manifest) ([]byte, error) {
	if m.Partitions == nil {
		m.Partitions = []string{}
	}
	if m.Metadata == nil {
		m.Metadata = map[string]string{}
	}
	if m.Tracks == nil {
		m.Tracks = []Track{}
	}
	return json.Marshal(m)
}

// FileSum returns the lowercase hex SHA-256 and the size of the file at path.
func FileSum(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("uploader: checksum: %w", err)
	}
	defer f.Close()
	return ReaderSum(f)
}

// ReaderSum returns the lowercase hex SHA-256 and the length of what r holds.
func ReaderSum(r io.Reader) (sum string, size int64, err error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("uploader: checksum: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ValidName reports whether s is usable as a stored file name or a Dest
// folder: not empty, not "." or "..", no path separators, no NUL.
func ValidName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if r == '/' || r == '\\' || r == 0 {
			return false
		}
	}
	return true
}

// Target is where a sink stores item, relative to its root: the optional
// Dest folder (R-G2) and the file name, both checked with ValidName, and
// the temporary name a partial upload is written under. Sinks join these
// with their own path rules (filepath for local folders, path for SFTP).
func (it Item) Target() (dest, name, partial string, err error) {
	if !ValidName(it.Name) {
		return "", "", "", fmt.Errorf("%w: bad file name %q", ErrPermanent, it.Name)
	}
	if d := it.Manifest.Dest; d != "" && !ValidName(d) {
		return "", "", "", fmt.Errorf("%w: bad dest folder %q", ErrPermanent, d)
	}
	return it.Manifest.Dest, it.Name, "." + it.Name + ".part", nil
}
