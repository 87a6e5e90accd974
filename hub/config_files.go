package hub

import (
	"mime"
	"strings"
)

// FilesConfig is the top-level "files:" section: what customers and agents
// may send each other in a chat (R-I6, issue 14).
type FilesConfig struct {
	// MaxBytes bounds one file; 0 is DefaultFileMaxBytes.
	MaxBytes int64 `yaml:"max_bytes"`
	// AllowedTypes are the media types a file may have, found by sniffing
	// its content (never from its name); empty is DefaultFileTypes.
	AllowedTypes []string `yaml:"allowed_types"`
	// MaxPerChat bounds the files of one chat; 0 is 20.
	MaxPerChat int `yaml:"max_per_chat"`
}

// Defaults of the files section.
const (
	DefaultFileMaxBytes = 10 << 20
	defaultFilesPerChat = 20
)

// DefaultFileTypes are the media types allowed when the config names none.
var DefaultFileTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

// validateFiles fills in the defaults and checks the media types.
func (c *Config) validateFiles(bad func(string, ...any)) {
	f := &c.Files
	if f.MaxBytes == 0 {
		f.MaxBytes = DefaultFileMaxBytes
	}
	if f.MaxBytes < 0 || f.MaxBytes > 1<<30 {
		bad("files.max_bytes: %d is out of range; use 1 to 1073741824 (1 GiB)", f.MaxBytes)
	}
	if f.MaxPerChat == 0 {
		f.MaxPerChat = defaultFilesPerChat
	}
	if f.MaxPerChat < 0 {
		bad("files.max_per_chat: %d must be positive", f.MaxPerChat)
	}
	if len(f.AllowedTypes) == 0 {
		f.AllowedTypes = append([]string{}, DefaultFileTypes...)
	}
	for i, t := range f.AllowedTypes {
		mt, _, err := mime.ParseMediaType(t)
		if err != nil || !strings.Contains(mt, "/") {
			bad("files.allowed_types[%d]: %q is not a media type such as image/png", i, t)
			continue
		}
		f.AllowedTypes[i] = mt
	}
}
