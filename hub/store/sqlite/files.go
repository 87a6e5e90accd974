// Package store is the hub's recording store index: one SQLite database
// (modernc.org/sqlite, pure Go, WAL mode) listing every stored recording
// file with its checksum and metadata (issue 6). The files themselves live
// in a folder beside it; the hub moves them there and records them here.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Sentinel errors of the index.
var (
	// ErrNotFound: no stored file has that id or checksum.
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a file with that id or path is already indexed.
	ErrExists = errors.New("store: already indexed")
	// ErrBadFile: a File misses a required field.
	ErrBadFile = errors.New("store: bad file")
)

// File is one stored recording file.
type File struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"` // the file name under which it is stored
	Path        string          `json:"path"` // relative to the store folder, slash-separated
	SHA256      string          `json:"sha256"`
	Size        int64           `json:"size"`
	Interaction string          `json:"interaction,omitempty"`
	Recording   string          `json:"recording,omitempty"`
	Agent       string          `json:"agent,omitempty"`
	Customer    string          `json:"customer,omitempty"`
	Queue       string          `json:"queue,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Disposition string          `json:"disposition,omitempty"`
	Partitions  []string        `json:"partitions,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"` // a JSON object, or empty
	Manifest    json.RawMessage `json:"manifest,omitempty"` // the uploader's JSON manifest, or empty
	Encrypted   bool            `json:"encrypted"`
	Created     time.Time       `json:"created"`
}

// Filter selects files in Search; empty fields match everything.
type Filter struct {
	Interaction string
	Agent       string
	Limit       int // 0: DefaultLimit
}

// DefaultLimit bounds a Search without a Limit.
const DefaultLimit = 1000

// Index is an open recording store index. It is safe for concurrent use.
type Index struct {
	db *sql.DB
}

// migrations are applied in order, each once; their number is the index in
// this list plus one. Never edit one that has shipped: append.
var migrations = []string{
	`CREATE TABLE files (
		id          TEXT PRIMARY KEY,
		name        TEXT NOT NULL,
		path        TEXT NOT NULL UNIQUE,
		sha256      TEXT NOT NULL,
		size        INTEGER NOT NULL,
		interaction TEXT NOT NULL DEFAULT '',
		recording   TEXT NOT NULL DEFAULT '',
		agent       TEXT NOT NULL DEFAULT '',
		customer    TEXT NOT NULL DEFAULT '',
		queue       TEXT NOT NULL DEFAULT '',
		kind        TEXT NOT NULL DEFAULT '',
		disposition TEXT NOT NULL DEFAULT '',
		partitions  TEXT NOT NULL DEFAULT '[]',
		metadata    TEXT NOT NULL DEFAULT '{}',
		manifest    TEXT NOT NULL DEFAULT '{}',
		encrypted   INTEGER NOT NULL DEFAULT 0,
		created     TEXT NOT NULL
	);
	CREATE INDEX files_sha256 ON files(sha256);
	CREATE INDEX files_interaction ON files(interaction);
	CREATE INDEX files_agent ON files(agent);`,
}

// Open opens (creating when missing) the index database at path, in WAL
// mode, and brings its schema up to date.
func Open(path string) (*Index, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	ix := &Index{db: db}
	if err := ix.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return ix, nil
}

// migrate applies the migrations not yet recorded in schema_migrations.
func (ix *Index) migrate(ctx context.Context) error {
	if _, err := ix.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	var have int
	if err := ix.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program knows (%d): upgrade the hub", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := ix.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied) VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// Version is the schema version of the open index.
func (ix *Index) Version(ctx context.Context) (int, error) {
	var v int
	err := ix.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Close closes the database. It is idempotent.
func (ix *Index) Close() error { return ix.db.Close() }

// NewID returns a fresh random file id (16 hex digits).
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Put indexes f. An empty ID gets NewID, a zero Created the current time;
// f is updated with both. Name, Path and SHA256 are required; an id or
// path already indexed is ErrExists.
func (ix *Index) Put(ctx context.Context, f *File) error {
	if f.Name == "" || f.Path == "" || len(f.SHA256) != 64 || f.Size < 0 {
		return fmt.Errorf("%w: name, path, a 64-digit sha256 and a size are required (got name %q path %q sha256 %q size %d)",
			ErrBadFile, f.Name, f.Path, f.SHA256, f.Size)
	}
	for _, raw := range []json.RawMessage{f.Metadata, f.Manifest} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("%w: metadata and manifest must be JSON (got %.40q)", ErrBadFile, raw)
		}
	}
	if f.ID == "" {
		f.ID = NewID()
	}
	if f.Created.IsZero() {
		f.Created = time.Now().UTC()
	}
	parts, err := json.Marshal(orEmpty(f.Partitions))
	if err != nil {
		return fmt.Errorf("store: put %s: %w", f.ID, err)
	}
	_, err = ix.db.ExecContext(ctx, `INSERT INTO files (id, name, path, sha256, size, interaction, recording, agent,
		customer, queue, kind, disposition, partitions, metadata, manifest, encrypted, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.Name, f.Path, strings.ToLower(f.SHA256), f.Size, f.Interaction, f.Recording, f.Agent,
		f.Customer, f.Queue, f.Kind, f.Disposition, string(parts), jsonOr(f.Metadata), jsonOr(f.Manifest),
		f.Encrypted, f.Created.UTC().Format(time.RFC3339Nano))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: %s (%s)", ErrExists, f.ID, f.Path)
		}
		return fmt.Errorf("store: put %s: %w", f.ID, err)
	}
	return nil
}

// Delete removes the file with id from the index (not from disk).
func (ix *Index) Delete(ctx context.Context, id string) error {
	res, err := ix.db.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: id %s", ErrNotFound, id)
	}
	return nil
}

const columns = `id, name, path, sha256, size, interaction, recording, agent, customer, queue, kind,
	disposition, partitions, metadata, manifest, encrypted, created`

// Get returns the file with id, or ErrNotFound.
func (ix *Index) Get(ctx context.Context, id string) (File, error) {
	fs, err := ix.query(ctx, `SELECT `+columns+` FROM files WHERE id = ?`, id)
	if err != nil {
		return File{}, err
	}
	if len(fs) == 0 {
		return File{}, fmt.Errorf("%w: id %s", ErrNotFound, id)
	}
	return fs[0], nil
}

// BySHA returns the oldest file whose SHA-256 (hex, any case) is sha, or
// ErrNotFound.
func (ix *Index) BySHA(ctx context.Context, sha string) (File, error) {
	fs, err := ix.query(ctx, `SELECT `+columns+` FROM files WHERE sha256 = ? ORDER BY created, id LIMIT 1`, strings.ToLower(sha))
	if err != nil {
		return File{}, err
	}
	if len(fs) == 0 {
		return File{}, fmt.Errorf("%w: sha256 %s", ErrNotFound, sha)
	}
	return fs[0], nil
}

// Search lists the files matching f, oldest first.
func (ix *Index) Search(ctx context.Context, f Filter) ([]File, error) {
	var where []string
	var args []any
	if f.Interaction != "" {
		where, args = append(where, "interaction = ?"), append(args, f.Interaction)
	}
	if f.Agent != "" {
		where, args = append(where, "agent = ?"), append(args, f.Agent)
	}
	q := `SELECT ` + columns + ` FROM files`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	q += " ORDER BY created, id LIMIT ?"
	return ix.query(ctx, q, append(args, limit)...)
}

func (ix *Index) query(ctx context.Context, q string, args ...any) ([]File, error) {
	rows, err := ix.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query: %w", err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var parts, meta, manifest, created string
		if err := rows.Scan(&f.ID, &f.Name, &f.Path, &f.SHA256, &f.Size, &f.Interaction, &f.Recording, &f.Agent,
			&f.Customer, &f.Queue, &f.Kind, &f.Disposition, &parts, &meta, &manifest, &f.Encrypted, &created); err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		if err := json.Unmarshal([]byte(parts), &f.Partitions); err != nil {
			return nil, fmt.Errorf("store: file %s: partitions: %w", f.ID, err)
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
			return nil, fmt.Errorf("store: file %s: created: %w", f.ID, err)
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

// jsonOr returns raw as text, "{}" when empty.
func jsonOr(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}
