package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
		return fmt.Errorf("postgres: put file %s: %w", f.ID, err)
	}
	voice := hasVoice(f.Manifest)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO files (id, name, path, sha256, size, interaction, recording, agent,
			customer, queue, kind, disposition, partitions, metadata, manifest, encrypted, created, voice)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			f.ID, f.Name, f.Path, strings.ToLower(f.SHA256), f.Size, f.Interaction, f.Recording, f.Agent,
			f.Customer, f.Queue, f.Kind, f.Disposition, string(parts), jsonOr(f.Metadata, "{}"), jsonOr(f.Manifest, "{}"),
			f.Encrypted, ts(f.Created), voice)
		if unique(err) {
			return fmt.Errorf("%w: %s (%s)", store.ErrExists, f.ID, f.Path)
		}
		if err != nil || !voice || f.Recording == "" {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE recordings SET voice = true WHERE id = $1 AND (interaction = $2 OR $2 = '')`,
			f.Recording, f.Interaction)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("postgres: put file %s: %w", f.ID, err)
	}
	return err
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var rec, chat string
		err := tx.QueryRow(ctx, `DELETE FROM files WHERE id = $1 RETURNING recording, interaction`, id).Scan(&rec, &chat)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: file %s", store.ErrNotFound, id)
		}
		if err != nil || rec == "" {
			return err
		}
		// Its recording's voice: the files left tell.
		_, err = tx.Exec(ctx, `UPDATE recordings SET voice = EXISTS (SELECT 1 FROM files f
			WHERE f.recording = recordings.id AND (f.interaction = recordings.interaction OR f.interaction = '') AND f.voice)
			WHERE id = $1 AND (interaction = $2 OR $2 = '')`, rec, chat)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("postgres: delete file %s: %w", id, err)
	}
	return err
}

const fileColumns = `id, name, path, sha256, size, interaction, recording, agent, customer, queue, kind,
	disposition, partitions, metadata, manifest, encrypted, created, archived`

// File returns the file with id (store.Files).
func (s *DB) File(ctx context.Context, id string) (store.File, error) {
	fs, err := s.queryFiles(ctx, `SELECT `+fileColumns+` FROM files WHERE id = $1`, id)
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
	fs, err := s.queryFiles(ctx, `SELECT `+fileColumns+` FROM files WHERE sha256 = $1 AND ($2 = '' OR agent = $2)
		ORDER BY created, id LIMIT 1`, strings.ToLower(sha), agent)
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
	c := &clause{}
	for _, e := range []struct{ col, v string }{{"interaction", f.Interaction}, {"agent", f.Agent}, {"recording", f.Recording}} {
		if e.v != "" {
			c.add(e.col+" = ?", e.v)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	return s.queryFiles(ctx, `SELECT `+fileColumns+` FROM files`+c.sql()+` ORDER BY created, id LIMIT `+c.next(limit), c.args...) // #nosec G202 -- the columns are constants; every value is a parameter
}

func (s *DB) queryFiles(ctx context.Context, q string, args ...any) ([]store.File, error) {
	var out []store.File
	var f store.File
	var parts, meta, manifest, created, archived string
	_, err := forEach(ctx, s.pool, q, args, []any{&f.ID, &f.Name, &f.Path, &f.SHA256, &f.Size, &f.Interaction, &f.Recording,
		&f.Agent, &f.Customer, &f.Queue, &f.Kind, &f.Disposition, &parts, &meta, &manifest, &f.Encrypted, &created, &archived}, func() error {
		r := f
		r.Partitions, r.Metadata, r.Manifest = nil, nil, nil
		if err := json.Unmarshal([]byte(parts), &r.Partitions); err != nil {
			return fmt.Errorf("file %s: partitions: %w", r.ID, err)
		}
		if len(r.Partitions) == 0 {
			r.Partitions = nil
		}
		if meta != "{}" {
			r.Metadata = json.RawMessage(meta)
		}
		if manifest != "{}" {
			r.Manifest = json.RawMessage(manifest)
		}
		var err error
		if r.Created, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return fmt.Errorf("file %s: created: %w", r.ID, err)
		}
		if r.Archived, err = parseTS(archived); err != nil {
			return fmt.Errorf("file %s: archived: %w", r.ID, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: files: %w", err)
	}
	return out, nil
}
