package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// insRecordingSQL writes a finished recording, its partitions and tags in
// one statement. Its voice: a file of it may have come before its row. Its
// words, when it was produced: the lines it took, written before it.
const insRecordingSQL = `WITH r AS (
	INSERT INTO recordings (id, interaction, name, queue, customer, agent, kind, state, delivery, side, dest,
		partitions, screen, parts, log, produced, why, finished_at, contact, disposition, duration_ms, finished_ms,
		tags, agents, voice, words)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
		EXISTS (SELECT 1 FROM files f WHERE f.recording = $1 AND (f.interaction = $2 OR f.interaction = '') AND f.voice),
		CASE WHEN $16 THEN (SELECT ` + wordsOf + ` FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
			WHERE t.chat = $2 AND t.recording = $1) END)
	RETURNING n
), p AS (
	INSERT INTO recording_partitions (n, partition) SELECT r.n, x FROM r, unnest($25::text[]) AS x ON CONFLICT DO NOTHING
)
INSERT INTO recording_tags (n, name, value) SELECT r.n, k, v FROM r, unnest($26::text[], $27::text[]) AS x(k, v)`

// wordsOf is the search vector of the lines l (an aggregate).
const wordsOf = `to_tsvector('simple', agentdesk_fold(COALESCE(string_agg(l.text, E'\n' ORDER BY l.id), '')))`

func recordingArgs(r store.Recording) ([]any, error) {
	js := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	var parts, log, partitions, tags, agents string
	var err error
	if r.Parts == nil {
		r.Parts = []session.Part{}
	}
	if r.Log == nil {
		r.Log = []session.RecChange{}
	}
	for _, x := range []struct {
		dst *string
		v   any
	}{{&parts, r.Parts}, {&log, r.Log}, {&partitions, orEmpty(r.Partitions)}, {&tags, r.Tags}, {&agents, orEmpty(r.Agents)}} {
		if *x.dst, err = js(x.v); err != nil {
			return nil, err
		}
	}
	finished := int64(0)
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UnixMilli()
	}
	names, values := make([]string, 0, len(r.Tags)), make([]string, 0, len(r.Tags))
	for k, v := range r.Tags {
		names, values = append(names, k), append(values, v)
	}
	return []any{r.ID, r.Interaction, r.Name, r.Queue, r.Customer, r.Agent, r.Kind, r.State, r.Delivery, r.Side, r.Dest,
		partitions, r.Screen, parts, log, r.Produced, r.Why, ts(r.FinishedAt), r.Contact, r.Disposition,
		store.PartsLength(r.Parts).Milliseconds(), finished, nullObj([]byte(tags)), agents,
		orEmpty(r.Partitions), names, values}, nil
}

// NameTaken reports whether a finished recording has the file name
// (store.Store).
func (s *DB) NameTaken(ctx context.Context, name string) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM recordings WHERE name = $1 LIMIT 1`, name).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: name taken: %w", err)
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
	var chats, ids []string
	seen := map[string]bool{}
	byID := map[string][]int{} // recording id → the page's recordings with it
	for i := range recs {
		r := &recs[i]
		r.Lines = []session.MessageData{}
		at[key{r.Interaction, r.ID}] = i
		if !seen[r.Interaction] {
			seen[r.Interaction] = true
			chats = append(chats, r.Interaction)
		}
		ids = append(ids, r.ID)
		byID[r.ID] = append(byID[r.ID], i)
	}
	if lines {
		var k key
		var m session.MessageData
		var when, file string
		_, err := forEach(ctx, s.pool, `SELECT t.chat, t.recording, l.id, l.sender, l.name, l.text, l.url, l.at, l.file
			FROM took t JOIN lines l ON l.chat = t.chat AND l.id = t.line
			WHERE t.chat = ANY($1) ORDER BY t.chat, t.recording, l.id`, []any{chats},
			[]any{&k.chat, &k.rec, &m.ID, &m.From, &m.Name, &m.Text, &m.URL, &when, &file}, func() error {
				i, ok := at[k]
				if !ok || !recs[i].Produced {
					return nil // another recording of the chat, or one that kept nothing
				}
				l := m
				l.File = nil
				var err error
				if l.At, err = parseTS(when); err != nil {
					return fmt.Errorf("line %s/%d: %w", k.chat, l.ID, err)
				}
				if file != "" {
					l.File = new(session.FileData)
					if err := json.Unmarshal([]byte(file), l.File); err != nil {
						return fmt.Errorf("line %s/%d: file: %w", k.chat, l.ID, err)
					}
				}
				recs[i].Lines = append(recs[i].Lines, l)
				return nil
			})
		if err != nil {
			return fmt.Errorf("postgres: recordings: lines: %w", err)
		}
	}
	var rec, chat, made, stored string
	var f store.FileRef
	_, err := forEach(ctx, s.pool, `SELECT recording, interaction, id, name, sha256, size, archived <> '', agent,
		COALESCE(manifest::jsonb->>'created', ''), created FROM files
		WHERE recording = ANY($1) ORDER BY created, id COLLATE "C"`, []any{ids},
		[]any{&rec, &chat, &f.ID, &f.Name, &f.SHA256, &f.Size, &f.Archived, &f.Agent, &made, &stored}, func() error {
			var err error
			if f.Made, err = time.Parse(time.RFC3339Nano, made); err != nil {
				f.Made, _ = time.Parse(time.RFC3339Nano, stored) // no manifest time: when it was stored
			}
			for _, i := range byID[rec] {
				if chat == "" || chat == recs[i].Interaction {
					recs[i].Files = append(recs[i].Files, f)
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("postgres: recordings: files: %w", err)
	}
	for i := range recs { // the parts in the order their desktops made them (issue 14)
		slices.SortStableFunc(recs[i].Files, func(x, y store.FileRef) int { return x.Made.Compare(y.Made) })
	}
	return nil
}

// Tombstones lists what was deleted of an interaction's recordings
// (store.Store).
func (s *DB) Tombstones(ctx context.Context, interaction string) ([]store.Tombstone, error) {
	var out []store.Tombstone
	var d store.Tombstone
	var at string
	_, err := forEach(ctx, s.pool, `SELECT at, interaction, recording, file, sha256, size, "by", why
		FROM tombstones WHERE interaction = $1 ORDER BY n`, []any{interaction},
		[]any{&at, &d.Interaction, &d.Recording, &d.File, &d.SHA256, &d.Size, &d.By, &d.Why}, func() error {
			var err error
			if d.At, err = parseTS(at); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: tombstones: %w", err)
	}
	return out, nil
}
