package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// PutFile indexes f (store.Files).
func (s *DB) PutFile(ctx context.Context, f *store.File) error {
	if f.Name == "" || f.Path == "" || len(f.SHA256) != 64 || f.Size < 0 {
		return fmt.Errorf("%w: name, path, a 64-digit sha256 and a size are required (got name %q path %q sha256 %q size %d)",
			store.ErrBadFile, f.Name, f.Path, f.SHA256, f.Size)
	}
	for _, raw := range []json.RawMessage{f.Metadata, f.Manifest} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("%w: metadata and manifest must be JSON (got %.40q)", store.ErrBadFile, raw)
		}
	}
	if f.ID == "" {
		f.ID = store.NewID()
	}
	if f.Created.IsZero() {
		f.Created = time.Now().UTC()
	}
	parts, err := json.Marshal(orEmpty(f.Partitions))
	if err != nil {
		return fmt.Errorf("sqlite: put file %s: %w", f.ID, err)
	}
	voice := hasVoice(f.Manifest)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put file %s: %w", f.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, `INSERT INTO files (id, name, path, sha256, size, interaction, recording, agent,
		customer, queue, kind, disposition, partitions, metadata, manifest, encrypted, created, voice)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Name, f.Path, strings.ToLower(f.SHA256), f.Size, f.Interaction, f.Recording, f.Agent,
		f.Customer, f.Queue, f.Kind, f.Disposition, string(parts), jsonOr(f.Metadata, "{}"), jsonOr(f.Manifest, "{}"),
		f.Encrypted, f.Created.UTC().Format(time.RFC3339Nano), voice)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: %s (%s)", store.ErrExists, f.ID, f.Path)
		}
		return fmt.Errorf("sqlite: put file %s: %w", f.ID, err)
	}
	if voice && f.Recording != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE recordings SET voice = 1 WHERE id = ? AND (interaction = ? OR ? = '')`,
			f.Recording, f.Interaction, f.Interaction); err != nil {
			return fmt.Errorf("sqlite: put file %s: voice: %w", f.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put file %s: %w", f.ID, err)
	}
	s.wrote()
	return nil
}

// hasVoice reports whether a file's manifest lists an audio track: the
// microphone (R-V1).
func hasVoice(manifest json.RawMessage) bool {
	var m struct {
		Tracks []struct {
			Type string `json:"type"`
		} `json:"tracks"`
	}
	if len(manifest) == 0 || json.Unmarshal(manifest, &m) != nil {
		return false
	}
	for _, t := range m.Tracks {
		if t.Type == "audio" {
			return true
		}
	}
	return false
}

// DeleteFile removes the file with id from the index (store.Files).
func (s *DB) DeleteFile(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: delete file %s: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var rec, chat string
	err = tx.QueryRowContext(ctx, `DELETE FROM files WHERE id = ? RETURNING recording, interaction`, id).Scan(&rec, &chat)
	if err == sql.ErrNoRows {
		return fmt.Errorf("%w: file %s", store.ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete file %s: %w", id, err)
	}
	if rec != "" { // its recording's voice: the files left tell
		if _, err := tx.ExecContext(ctx, `UPDATE recordings SET voice = EXISTS (SELECT 1 FROM files f
			WHERE f.recording = recordings.id AND (f.interaction = recordings.interaction OR f.interaction = '') AND f.voice)
			WHERE id = ? AND (interaction = ? OR ? = '')`, rec, chat, chat); err != nil {
			return fmt.Errorf("sqlite: delete file %s: voice: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: delete file %s: %w", id, err)
	}
	s.wrote()
	return nil
}

const fileColumns = `id, name, path, sha256, size, interaction, recording, agent, customer, queue, kind,
	disposition, partitions, metadata, manifest, encrypted, created, archived`

// File returns the file with id (store.Files).
func (s *DB) File(ctx context.Context, id string) (store.File, error) {
	fs, err := s.queryFiles(ctx, `SELECT `+fileColumns+` FROM files WHERE id = ?`, id)
	if err != nil {
		return store.File{}, err
	}
	if len(fs) == 0 {
		return store.File{}, fmt.Errorf("%w: file %s", store.ErrNotFound, id)
	}
	return fs[0], nil
}

// FileBySHA returns the oldest file of agent (any agent when "") with that
// SHA-256 (store.Files).
func (s *DB) FileBySHA(ctx context.Context, sha, agent string) (store.File, error) {
	fs, err := s.queryFiles(ctx, `SELECT `+fileColumns+` FROM files WHERE sha256 = ? AND (? = '' OR agent = ?)
		ORDER BY created, id LIMIT 1`, strings.ToLower(sha), agent, agent)
	if err != nil {
		return store.File{}, err
	}
	if len(fs) == 0 {
		return store.File{}, fmt.Errorf("%w: sha256 %s", store.ErrNotFound, sha)
	}
	return fs[0], nil
}

// SearchFiles lists the files matching f, oldest first (store.Files).
func (s *DB) SearchFiles(ctx context.Context, f store.FileFilter) ([]store.File, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"interaction", f.Interaction}, {"agent", f.Agent}, {"recording", f.Recording}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	q := `SELECT ` + fileColumns + ` FROM files`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	q += " ORDER BY created, id LIMIT ?"
	return s.queryFiles(ctx, q, append(args, limit)...)
}

func (s *DB) queryFiles(ctx context.Context, q string, args ...any) ([]store.File, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: files: %w", err)
	}
	defer rows.Close()
	var out []store.File
	for rows.Next() {
		var f store.File
		var parts, meta, manifest, created, archived string
		if err := rows.Scan(&f.ID, &f.Name, &f.Path, &f.SHA256, &f.Size, &f.Interaction, &f.Recording, &f.Agent,
			&f.Customer, &f.Queue, &f.Kind, &f.Disposition, &parts, &meta, &manifest, &f.Encrypted, &created, &archived); err != nil {
			return nil, fmt.Errorf("sqlite: files: scan: %w", err)
		}
		if err := json.Unmarshal([]byte(parts), &f.Partitions); err != nil {
			return nil, fmt.Errorf("sqlite: file %s: partitions: %w", f.ID, err)
		}
		if len(f.Partitions) == 0 {
			f.Partitions = nil
		}
		if meta != "{}" {
			f.Metadata = json.RawMessage(meta)
		}
		if manifest != "{}" {
			f.Manifest = json.RawMessage(manifest)
		}
		if f.Created, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("sqlite: file %s: created: %w", f.ID, err)
		}
		if f.Archived, err = parseTS(archived); err != nil {
			return nil, fmt.Errorf("sqlite: file %s: archived: %w", f.ID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonOr returns raw as text, or empty when raw is.
func jsonOr(raw json.RawMessage, empty string) string {
	if len(raw) == 0 {
		return empty
	}
	return string(raw)
}
