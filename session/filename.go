package session

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FileNameFields are the values a recording's file name template may use
// (R-H4).
type FileNameFields struct {
	At          time.Time
	Interaction string
	Agent       string
	Queue       string
	Customer    string
	Kind        string
	ID          string
}

// DefaultFileNameTemplate names recordings when the admin set no template.
const DefaultFileNameTemplate = "{date}_{time}_{queue}_{agent}_{interaction}_{kind}_{id}"

// maxFileName keeps names well inside every file system's 255-byte limit,
// leaving room for an extension and a collision suffix.
const maxFileName = 200

func (f FileNameFields) lookup(key string) (string, bool) {
	switch key {
	case "date":
		return f.At.UTC().Format("2006-01-02"), true
	case "time":
		return f.At.UTC().Format("150405"), true
	case "interaction":
		return f.Interaction, true
	case "agent":
		return f.Agent, true
	case "queue", "service":
		return f.Queue, true
	case "customer":
		return f.Customer, true
	case "kind":
		return f.Kind, true
	case "id":
		return f.ID, true
	}
	return "", false
}

// ValidateFileNameTemplate checks a template once, at config load: every
// {placeholder} is known and braces are balanced.
func ValidateFileNameTemplate(tmpl string) error {
	_, err := expand(tmpl, FileNameFields{})
	return err
}

func expand(tmpl string, f FileNameFields) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '}' {
			return "", fmt.Errorf("session: filename template %q: '}' at %d without '{'", tmpl, i)
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(tmpl[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("session: filename template %q: '{' at %d is never closed", tmpl, i)
		}
		key := tmpl[i+1 : i+end]
		v, ok := f.lookup(key)
		if !ok {
			return "", fmt.Errorf("session: filename template %q: unknown placeholder {%s} (known: date, time, interaction, agent, queue, service, customer, kind, id)", tmpl, key)
		}
		b.WriteString(v)
		i += end
	}
	return b.String(), nil
}

// FileName expands the admin's template (R-H4) into one safe file name
// component: no path separator, no control character, nothing Windows or
// POSIX file systems reject, never empty, never "." or "..", at most 200
// bytes. When taken reports the name in use, "-2", "-3", … is added so
// names never collide. taken may be nil.
func FileName(tmpl string, f FileNameFields, taken func(string) bool) (string, error) {
	raw, err := expand(tmpl, f)
	if err != nil {
		return "", err
	}
	name := sanitize(raw)
	if taken == nil || !taken(name) {
		return name, nil
	}
	for n := 2; ; n++ {
		cand := fmt.Sprintf("%s-%d", name, n)
		if !taken(cand) {
			return cand, nil
		}
	}
}

var reservedNames = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name := strings.Trim(b.String(), ". _")
	if base, _, _ := strings.Cut(name, "."); reservedNames[strings.ToUpper(base)] {
		name = "_" + name
	}
	if len(name) > maxFileName {
		cut := maxFileName
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		// A cut may leave a trailing dot or space, which Windows rejects.
		name = strings.TrimRight(name[:cut], ". _")
	}
	if name == "" {
		name = "recording"
	}
	return name
}
