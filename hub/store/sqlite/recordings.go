package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

func insertRecording(ctx context.Context, tx *sql.Tx, r store.Recording) error {
	parts, err := json.Marshal(orEmptyParts(r.Parts))
	if err != nil {
		return err
	}
	log, err := json.Marshal(orEmptyLog(r.Log))
	if err != nil {
		return err
	}
	partitions, err := json.Marshal(orEmpty(r.Partitions))
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO recordings (id, interaction, name, queue, customer, agent, kind, state,
		delivery, side, dest, partitions, screen, parts, log, produced, why, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Interaction, r.Name, r.Queue, r.Customer, r.Agent, r.Kind, r.State, r.Delivery, r.Side, r.Dest,
		string(partitions), r.Screen, string(parts), string(log), r.Produced, r.Why, ts(r.FinishedAt))
	if err != nil {
		return fmt.Errorf("recording %s/%s: %w", r.Interaction, r.ID, err)
	}
	if !r.Produced {
		return nil // nothing was recorded: nothing to find in it
	}
	n, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("recording %s/%s: %w", r.Interaction, r.ID, err)
	}
	// Its transcript for search: the lines it took, written before it.
	if _, err := tx.ExecContext(ctx, `INSERT INTO recordings_text (rowid, text)
		SELECT ?, group_concat(l.text, char(10)) FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
		WHERE t.chat = ? AND t.recording = ?`, n, r.Interaction, r.ID); err != nil {
		return fmt.Errorf("recording %s/%s: text index: %w", r.Interaction, r.ID, err)
	}
	return nil
}

// ftsQuery turns the words a user typed into an FTS5 query in which every
// word must occur: each is quoted, so nothing typed is FTS syntax.
func ftsQuery(text string) string {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return strings.Join(words, " ")
}

func orEmptyParts(p []session.Part) []session.Part {
	if p == nil {
		return []session.Part{}
	}
	return p
}

func orEmptyLog(l []session.RecChange) []session.RecChange {
	if l == nil {
		return []session.RecChange{}
	}
	return l
}

// NameTaken reports whether a finished recording has the file name
// (store.Store).
func (s *DB) NameTaken(ctx context.Context, name string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM recordings WHERE name = ? LIMIT 1`, name).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: name taken: %w", err)
	}
	return true, nil
}

const recCols = `n, id, interaction, name, queue, customer, agent, kind, state, delivery, side, dest, partitions,
	screen, parts, log, produced, why, finished_at`

// Recordings lists finished recordings in the order they finished, with
// their lines and files (store.Store). The page's Next is the cursor of the
// following page ("" at the end).
func (s *DB) Recordings(ctx context.Context, f store.RecordingFilter) (store.RecordingPage, error) {
	var page store.RecordingPage
	after := int64(0)
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n < 0 {
			return page, fmt.Errorf("%w: cursor %q", store.ErrBadCursor, f.Cursor)
		}
		after = n
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	if len(f.Text) > store.MaxTextQuery {
		return page, fmt.Errorf("%w: the text to find is longer than %d bytes", store.ErrBadFilter, store.MaxTextQuery)
	}
	where, args, order := []string{"n > ?"}, []any{after}, "n"
	if f.Desc {
		where, order = []string{"n < ?"}, "n DESC"
		if f.Cursor == "" {
			args = []any{int64(math.MaxInt64)}
		}
	}
	for _, c := range []struct{ col, v string }{{"interaction", f.Interaction}, {"agent", f.Agent}, {"queue", f.Queue},
		{"kind", f.Kind}, {"customer", f.Customer}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	for _, c := range []struct {
		col string
		in  []string
	}{{"agent", f.AgentIn}, {"kind", f.KindIn}} {
		switch {
		case c.in == nil:
		case len(c.in) == 0:
			where = append(where, "0")
		default:
			where = append(where, c.col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(c.in)), ",")+")")
			for _, v := range c.in {
				args = append(args, v)
			}
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "julianday(finished_at) >= julianday(?)"), append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "julianday(finished_at) < julianday(?)"), append(args, ts(f.To))
	}
	if q := ftsQuery(f.Text); q != "" {
		where, args = append(where, "n IN (SELECT rowid FROM recordings_text WHERE recordings_text MATCH ?)"), append(args, q)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+recCols+` FROM recordings
		WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` LIMIT ?`, append(args, limit+1)...) // #nosec G202 -- the columns are constants; every value is a parameter
	if err != nil {
		return page, fmt.Errorf("sqlite: recordings: %w", err)
	}
	var ns []int64
	for rows.Next() {
		var r store.Recording
		var n int64
		var partitions, parts, log, finished string
		if err := rows.Scan(&n, &r.ID, &r.Interaction, &r.Name, &r.Queue, &r.Customer, &r.Agent, &r.Kind, &r.State,
			&r.Delivery, &r.Side, &r.Dest, &partitions, &r.Screen, &parts, &log, &r.Produced, &r.Why, &finished); err != nil {
			_ = rows.Close()
			return page, fmt.Errorf("sqlite: recordings: scan: %w", err)
		}
		if err := unmarshalAll(r.Interaction, []byte(partitions), &r.Partitions, []byte(parts), &r.Parts, []byte(log), &r.Log); err != nil {
			_ = rows.Close()
			return page, err
		}
		if len(r.Partitions) == 0 {
			r.Partitions = nil
		}
		if r.FinishedAt, err = parseTS(finished); err != nil {
			_ = rows.Close()
			return page, fmt.Errorf("sqlite: recording %s: %w", r.ID, err)
		}
		page.Recordings = append(page.Recordings, r)
		ns = append(ns, n)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: recordings: %w", err)
	}
	if len(page.Recordings) > limit {
		page.Recordings = page.Recordings[:limit]
		page.Next = strconv.FormatInt(ns[limit-1], 10)
	}
	for i := range page.Recordings {
		if err := s.fillRecording(ctx, &page.Recordings[i]); err != nil {
			return page, err
		}
	}
	return page, nil
}

// fillRecording reads a recording's lines and stored files.
func (s *DB) fillRecording(ctx context.Context, r *store.Recording) error {
	r.Lines = []session.MessageData{}
	if r.Produced {
		lines, err := s.queryLines(ctx, `SELECT l.chat, l.id, l.sender, l.name, l.text, l.url, l.at, l.private
			FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
			WHERE t.chat = ? AND t.recording = ? ORDER BY l.id`, r.Interaction, r.ID)
		if err != nil {
			return err
		}
		for _, l := range lines {
			r.Lines = append(r.Lines, l.MessageData)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, sha256, size FROM files
		WHERE recording = ? AND (interaction = ? OR interaction = '') ORDER BY created, id`, r.ID, r.Interaction)
	if err != nil {
		return fmt.Errorf("sqlite: recording %s: files: %w", r.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f store.FileRef
		if err := rows.Scan(&f.ID, &f.Name, &f.SHA256, &f.Size); err != nil {
			return fmt.Errorf("sqlite: recording %s: files: %w", r.ID, err)
		}
		r.Files = append(r.Files, f)
	}
	return rows.Err()
}

// Tombstones lists what was deleted of an interaction's recordings
// (store.Store).
func (s *DB) Tombstones(ctx context.Context, interaction string) ([]store.Tombstone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, interaction, recording, file, sha256, size, by, why
		FROM tombstones WHERE interaction = ? ORDER BY n`, interaction)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tombstones: %w", err)
	}
	defer rows.Close()
	var out []store.Tombstone
	for rows.Next() {
		var d store.Tombstone
		var at string
		if err := rows.Scan(&at, &d.Interaction, &d.Recording, &d.File, &d.SHA256, &d.Size, &d.By, &d.Why); err != nil {
			return nil, fmt.Errorf("sqlite: tombstones: %w", err)
		}
		if d.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("sqlite: tombstones: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
