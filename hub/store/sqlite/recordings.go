package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

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
	tags, err := json.Marshal(r.Tags)
	if err != nil {
		return err
	}
	agents, err := json.Marshal(orEmpty(r.Agents))
	if err != nil {
		return err
	}
	finished := int64(0)
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UnixMilli()
	}
	// Its voice: a file of it may have come before its row.
	res, err := tx.ExecContext(ctx, `INSERT INTO recordings (id, interaction, name, queue, customer, agent, kind, state,
		delivery, side, dest, partitions, screen, parts, log, produced, why, finished_at,
		contact, disposition, duration_ms, finished_ms, tags, agents, voice)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			EXISTS (SELECT 1 FROM files f WHERE f.recording = ?1 AND (f.interaction = ?2 OR f.interaction = '') AND f.voice))`,
		r.ID, r.Interaction, r.Name, r.Queue, r.Customer, r.Agent, r.Kind, r.State, r.Delivery, r.Side, r.Dest,
		string(partitions), r.Screen, string(parts), string(log), r.Produced, r.Why, ts(r.FinishedAt),
		r.Contact, r.Disposition, store.PartsLength(r.Parts).Milliseconds(), finished, nullObj(tags), string(agents))
	if err != nil {
		return fmt.Errorf("recording %s/%s: %w", r.Interaction, r.ID, err)
	}
	n, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("recording %s/%s: %w", r.Interaction, r.ID, err)
	}
	for _, p := range r.Partitions {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO recording_partitions (n, partition) VALUES (?, ?)`, n, p); err != nil {
			return fmt.Errorf("recording %s/%s: partition: %w", r.Interaction, r.ID, err)
		}
	}
	for k, v := range r.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recording_tags (n, name, value) VALUES (?, ?, ?)`, n, k, v); err != nil {
			return fmt.Errorf("recording %s/%s: tag: %w", r.Interaction, r.ID, err)
		}
	}
	if !r.Produced {
		return nil // nothing was recorded: nothing to find in it
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

// fillRecordings reads the lines (when asked) and the stored files of a
// page of recordings: two queries for the page, not two for each.
func (s *DB) fillRecordings(ctx context.Context, recs []store.Recording, lines bool) error {
	if len(recs) == 0 {
		return nil
	}
	type key struct{ chat, rec string }
	at := map[key]int{}
	var chats, ids []any
	seen := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		r.Lines = []session.MessageData{}
		at[key{r.Interaction, r.ID}] = i
		if !seen[r.Interaction] {
			seen[r.Interaction] = true
			chats = append(chats, r.Interaction)
		}
		ids = append(ids, r.ID)
	}
	if lines {
		rows, err := s.rd.QueryContext(ctx, `SELECT t.chat, t.recording, l.id, l.sender, l.name, l.text, l.url, l.at, l.file
			FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
			WHERE t.chat IN (`+marks(len(chats))+`) ORDER BY t.chat, t.recording, l.id`, chats...) // #nosec G202 -- parameters only
		if err != nil {
			return fmt.Errorf("sqlite: recordings: lines: %w", err)
		}
		for rows.Next() {
			var k key
			var m session.MessageData
			var when, file string
			if err := rows.Scan(&k.chat, &k.rec, &m.ID, &m.From, &m.Name, &m.Text, &m.URL, &when, &file); err != nil {
				_ = rows.Close()
				return fmt.Errorf("sqlite: recordings: lines: %w", err)
			}
			i, ok := at[k]
			if !ok || !recs[i].Produced {
				continue // another recording of the chat, or one that kept nothing
			}
			if m.At, err = parseTS(when); err != nil {
				_ = rows.Close()
				return fmt.Errorf("sqlite: line %s/%d: %w", k.chat, m.ID, err)
			}
			if file != "" {
				m.File = new(session.FileData)
				if err := json.Unmarshal([]byte(file), m.File); err != nil {
					_ = rows.Close()
					return fmt.Errorf("sqlite: line %s/%d: file: %w", k.chat, m.ID, err)
				}
			}
			recs[i].Lines = append(recs[i].Lines, m)
		}
		_ = rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlite: recordings: lines: %w", err)
		}
	}
	byID := map[string][]int{} // recording id → the page's recordings with it
	for i := range recs {
		byID[recs[i].ID] = append(byID[recs[i].ID], i)
	}
	rows, err := s.rd.QueryContext(ctx, `SELECT recording, interaction, id, name, sha256, size, archived <> '', agent,
		COALESCE(json_extract(manifest, '$.created'), ''), created FROM files
		WHERE recording IN (`+marks(len(ids))+`) ORDER BY created, id`, ids...) // #nosec G202 -- parameters only
	if err != nil {
		return fmt.Errorf("sqlite: recordings: files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec, chat, made, stored string
		var f store.FileRef
		if err := rows.Scan(&rec, &chat, &f.ID, &f.Name, &f.SHA256, &f.Size, &f.Archived, &f.Agent, &made, &stored); err != nil {
			return fmt.Errorf("sqlite: recordings: files: %w", err)
		}
		if f.Made, err = time.Parse(time.RFC3339Nano, made); err != nil {
			f.Made, _ = time.Parse(time.RFC3339Nano, stored) // no manifest time: when it was stored
		}
		for _, i := range byID[rec] {
			if chat == "" || chat == recs[i].Interaction {
				recs[i].Files = append(recs[i].Files, f)
			}
		}
	}
	for i := range recs { // the parts in the order their desktops made them (issue 14)
		slices.SortStableFunc(recs[i].Files, func(x, y store.FileRef) int { return x.Made.Compare(y.Made) })
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
