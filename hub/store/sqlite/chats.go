package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

const (
	insLineSQL = `INSERT INTO lines (chat, id, sender, name, text, url, at, private, file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insTookSQL = `INSERT OR IGNORE INTO took (chat, recording, line) VALUES (?, ?, ?)`
	chatCols   = `id, seq, resume_hash, name, contact, queue, state, reason, agent, created, offered_at,
		offer_expiry, connected_at, acw_deadline, away_until, ended_at, disposition, note, case_data, tried,
		consent, delete_ask, deleted, recorder, names, told, parties`
	upChatSQL = `INSERT OR REPLACE INTO chats (` + chatCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// Apply writes b in one transaction (store.Store).
func (s *DB) Apply(ctx context.Context, b *store.Batch) error {
	if b.Empty() {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: apply: %w", err)
	}
	if err := s.apply(ctx, tx, b); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("sqlite: apply: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: apply: commit: %w", err)
	}
	s.wrote()
	return nil
}

func (s *DB) apply(ctx context.Context, tx *sql.Tx, b *store.Batch) error {
	for _, c := range b.Contacts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, name, last_seen) VALUES (?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen`, c.ID, c.Name, ts(c.LastSeen)); err != nil {
			return fmt.Errorf("contact %s: %w", c.ID, err)
		}
	}
	if len(b.Chats) > 0 {
		up := tx.StmtContext(ctx, s.upChat)
		for i := range b.Chats {
			if later(b.Chats, i) {
				continue // a later row of the same chat wins: write that one only
			}
			if err := upsertChat(ctx, up, &b.Chats[i]); err != nil {
				return err
			}
		}
	}
	if len(b.Lines) > 0 {
		ins := tx.StmtContext(ctx, s.insLine)
		for _, l := range b.Lines {
			file, err := lineFile(l.File)
			if err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, l.Chat, l.ID, l.From, l.Name, l.Text, l.URL, ts(l.At), l.Private, file); err != nil {
				return fmt.Errorf("line %s/%d: %w", l.Chat, l.ID, err)
			}
		}
	}
	if len(b.Took) > 0 {
		ins := tx.StmtContext(ctx, s.insTook)
		for _, t := range b.Took {
			if _, err := ins.ExecContext(ctx, t.Chat, t.Recording, t.Line); err != nil {
				return fmt.Errorf("took %s/%s/%d: %w", t.Chat, t.Recording, t.Line, err)
			}
		}
	}
	for _, a := range b.Agents {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO agents (id, ready, idle) VALUES (?, ?, ?)`, a.ID, a.Ready, a.Idle); err != nil {
			return fmt.Errorf("agent %s: %w", a.ID, err)
		}
	}
	for _, r := range b.Recordings {
		if err := insertRecording(ctx, tx, r); err != nil {
			return err
		}
	}
	for _, d := range b.Tombstones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (at, interaction, recording, file, sha256, size, by, why)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ts(d.At), d.Interaction, d.Recording, d.File, d.SHA256, d.Size, d.By, d.Why); err != nil {
			return fmt.Errorf("tombstone %s: %w", d.Interaction, err)
		}
	}
	if b.ChatSeq > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('chat_seq', ?)
			ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`, b.ChatSeq); err != nil {
			return fmt.Errorf("chat_seq: %w", err)
		}
	}
	return nil
}

// later reports whether a row after i in chats has the same id.
func later(chats []store.Chat, i int) bool {
	for j := i + 1; j < len(chats); j++ {
		if chats[j].ID == chats[i].ID {
			return true
		}
	}
	return false
}

func upsertChat(ctx context.Context, up *sql.Stmt, c *store.Chat) error {
	caseData, err := json.Marshal(c.CaseData)
	if err != nil {
		return err
	}
	tried, err := json.Marshal(orEmpty(c.Tried))
	if err != nil {
		return err
	}
	names, err := json.Marshal(c.Names)
	if err != nil {
		return err
	}
	_, err = up.ExecContext(ctx, c.ID, c.Seq, c.ResumeHash, c.Name, c.Contact, c.Queue, c.State.String(), c.Reason, c.Agent,
		ts(c.Created), ts(c.OfferedAt), ts(c.OfferExpiry), ts(c.ConnectedAt), ts(c.ACWDeadline), ts(c.AwayUntil), ts(c.EndedAt),
		c.Disposition, c.Note, nullObj(caseData), string(tried), c.Consent, c.DeleteAsk, c.Deleted,
		jsonOr(c.Recorder, "{}"), nullObj(names), c.Told, jsonOr(c.Parties, "{}"))
	if err != nil {
		return fmt.Errorf("chat %s: %w", c.ID, err)
	}
	return nil
}

// nullObj turns a marshalled nil map into {}.
func nullObj(b []byte) string {
	if string(b) == "null" {
		return "{}"
	}
	return string(b)
}

// Load returns the live chats with their transcripts, the agents and the
// chat id counter (store.Store).
func (s *DB) Load(ctx context.Context) (*store.Live, error) {
	live := &store.Live{}
	var seq sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'chat_seq'`).Scan(&seq)
	if err != nil && err != sql.ErrNoRows {
		return nil, fmt.Errorf("sqlite: load: %w", err)
	}
	if seq.Valid {
		if live.ChatSeq, err = strconv.ParseInt(seq.String, 10, 64); err != nil {
			return nil, fmt.Errorf("sqlite: load: chat_seq %q: %w", seq.String, err)
		}
	}
	chats, err := s.queryChats(ctx, `SELECT `+chatCols+` FROM chats WHERE state <> 'done' ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	byID := map[string]*store.LiveChat{}
	for _, c := range chats {
		live.Chats = append(live.Chats, store.LiveChat{Chat: c, Took: map[string][]int64{}})
		live.ChatSeq = max(live.ChatSeq, c.Seq)
	}
	for i := range live.Chats {
		byID[live.Chats[i].ID] = &live.Chats[i]
	}
	lines, err := s.queryLines(ctx, `SELECT l.chat, l.id, l.sender, l.name, l.text, l.url, l.at, l.private, l.file
		FROM lines l JOIN chats c ON c.id = l.chat WHERE c.state <> 'done' ORDER BY l.chat, l.id`)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if c := byID[l.Chat]; c != nil {
			c.Lines = append(c.Lines, l)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.chat, t.recording, t.line FROM took t JOIN chats c ON c.id = t.chat
		WHERE c.state <> 'done' ORDER BY t.chat, t.recording, t.line`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load: took: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t store.Took
		if err := rows.Scan(&t.Chat, &t.Recording, &t.Line); err != nil {
			return nil, fmt.Errorf("sqlite: load: took: %w", err)
		}
		if c := byID[t.Chat]; c != nil {
			c.Took[t.Recording] = append(c.Took[t.Recording], t.Line)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load: took: %w", err)
	}
	arows, err := s.db.QueryContext(ctx, `SELECT id, ready, idle FROM agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: load: agents: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a store.Agent
		if err := arows.Scan(&a.ID, &a.Ready, &a.Idle); err != nil {
			return nil, fmt.Errorf("sqlite: load: agents: %w", err)
		}
		live.Agents = append(live.Agents, a)
	}
	return live, arows.Err()
}

// Chat returns one chat's row (store.Store).
func (s *DB) Chat(ctx context.Context, id string) (store.Chat, error) {
	cs, err := s.queryChats(ctx, `SELECT `+chatCols+` FROM chats WHERE id = ?`, id)
	if err != nil {
		return store.Chat{}, err
	}
	if len(cs) == 0 {
		return store.Chat{}, fmt.Errorf("%w: chat %s", store.ErrNotFound, id)
	}
	return cs[0], nil
}

func (s *DB) queryChats(ctx context.Context, q string, args ...any) ([]store.Chat, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: chats: %w", err)
	}
	defer rows.Close()
	var out []store.Chat
	for rows.Next() {
		var c store.Chat
		var state, created, offered, expiry, connected, acw, away, ended, caseData, tried, recorder, names, parties string
		if err := rows.Scan(&c.ID, &c.Seq, &c.ResumeHash, &c.Name, &c.Contact, &c.Queue, &state, &c.Reason, &c.Agent,
			&created, &offered, &expiry, &connected, &acw, &away, &ended, &c.Disposition, &c.Note, &caseData, &tried,
			&c.Consent, &c.DeleteAsk, &c.Deleted, &recorder, &names, &c.Told, &parties); err != nil {
			return nil, fmt.Errorf("sqlite: chats: scan: %w", err)
		}
		if c.State, err = session.ParseState(state); err != nil {
			return nil, fmt.Errorf("sqlite: chat %s: %w", c.ID, err)
		}
		for _, t := range []struct {
			dst *timeField
			s   string
		}{{(*timeField)(&c.Created), created}, {(*timeField)(&c.OfferedAt), offered}, {(*timeField)(&c.OfferExpiry), expiry},
			{(*timeField)(&c.ConnectedAt), connected}, {(*timeField)(&c.ACWDeadline), acw}, {(*timeField)(&c.AwayUntil), away},
			{(*timeField)(&c.EndedAt), ended}} {
			if err := t.dst.parse(t.s); err != nil {
				return nil, fmt.Errorf("sqlite: chat %s: time %q: %w", c.ID, t.s, err)
			}
		}
		if err := unmarshalAll(c.ID, []byte(caseData), &c.CaseData, []byte(tried), &c.Tried, []byte(names), &c.Names); err != nil {
			return nil, err
		}
		if len(c.CaseData) == 0 {
			c.CaseData = nil
		}
		if len(c.Names) == 0 {
			c.Names = nil
		}
		if len(c.Tried) == 0 {
			c.Tried = nil
		}
		if recorder != "{}" {
			c.Recorder = json.RawMessage(recorder)
		}
		if parties != "{}" {
			c.Parties = json.RawMessage(parties)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// unmarshalAll reads pairs of JSON text and destination.
func unmarshalAll(chat string, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal(pairs[i].([]byte), pairs[i+1]); err != nil {
			return fmt.Errorf("sqlite: chat %s: %w", chat, err)
		}
	}
	return nil
}

func (s *DB) queryLines(ctx context.Context, q string, args ...any) ([]store.Line, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lines: %w", err)
	}
	defer rows.Close()
	var out []store.Line
	for rows.Next() {
		var l store.Line
		var at, file string
		if err := rows.Scan(&l.Chat, &l.ID, &l.From, &l.Name, &l.Text, &l.URL, &at, &l.Private, &file); err != nil {
			return nil, fmt.Errorf("sqlite: lines: scan: %w", err)
		}
		if file != "" {
			l.File = new(session.FileData)
			if err := json.Unmarshal([]byte(file), l.File); err != nil {
				return nil, fmt.Errorf("sqlite: line %s/%d: file: %w", l.Chat, l.ID, err)
			}
		}
		if l.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("sqlite: line %s/%d: %w", l.Chat, l.ID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// History returns a contact's earlier sessions, newest first (store.Store).
func (s *DB) History(ctx context.Context, q store.HistoryQuery) ([]session.Session, bool, error) {
	if q.Contact == "" || q.Sessions <= 0 {
		return nil, false, nil
	}
	before := int64(1<<63 - 1)
	if q.Before != "" {
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM chats WHERE id = ?`, q.Before).Scan(&before)
		if err == sql.ErrNoRows {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("sqlite: history: %w", err)
		}
	}
	// One more than asked tells whether older sessions remain.
	rows, err := s.db.QueryContext(ctx, `SELECT id, created FROM chats
		WHERE contact = ? AND seq < ? AND id <> ? AND state = 'done'
		  AND EXISTS (SELECT 1 FROM lines l WHERE l.chat = chats.id)
		ORDER BY seq DESC LIMIT ?`, q.Contact, before, q.Exclude, q.Sessions+1)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: history: %w", err)
	}
	var sessions []session.Session
	for rows.Next() {
		var ss session.Session
		var created string
		if err := rows.Scan(&ss.Chat, &created); err != nil {
			_ = rows.Close()
			return nil, false, fmt.Errorf("sqlite: history: %w", err)
		}
		if ss.Start, err = parseTS(created); err != nil {
			_ = rows.Close()
			return nil, false, fmt.Errorf("sqlite: history: %w", err)
		}
		sessions = append(sessions, ss)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlite: history: %w", err)
	}
	more := len(sessions) > q.Sessions
	if more {
		sessions = sessions[:q.Sessions]
	}
	budget := q.MaxBytes
	for i := range sessions {
		lines, err := s.queryLines(ctx, `SELECT chat, id, sender, name, text, url, at, private, file FROM lines WHERE chat = ? ORDER BY id`, sessions[i].Chat)
		if err != nil {
			return nil, false, err
		}
		size := 0
		for _, l := range lines {
			size += lineCost(l.MessageData)
		}
		if q.MaxBytes > 0 && size > budget {
			if i > 0 {
				return sessions[:i], true, nil // the rest another time (the agent scrolls up)
			}
			// The newest session alone is over budget: its newest lines.
			for size > budget && len(lines) > 0 {
				size -= lineCost(lines[0].MessageData)
				lines = lines[1:]
			}
			sessions[i].Partial = true
			more = more || len(sessions) > 1
			sessions = sessions[:1]
		}
		budget -= size
		sessions[i].Transcript = make([]session.MessageData, len(lines))
		for j, l := range lines {
			sessions[i].Transcript[j] = l.MessageData
		}
		if sessions[i].Partial {
			break
		}
	}
	return sessions, more, nil
}

// lineCost is about what a line costs in a snapshot: its text and the
// frame around it.
func lineCost(m session.MessageData) int { return len(m.Text) + len(m.Name) + len(m.URL) + 96 }

// timeField parses a stored time in place.
type timeField time.Time

func (t *timeField) parse(s string) error {
	v, err := parseTS(s)
	*t = timeField(v)
	return err
}

// Transcript returns one chat's lines in order (store.Store).
func (s *DB) Transcript(ctx context.Context, chat string) ([]store.Line, error) {
	return s.queryLines(ctx, `SELECT chat, id, sender, name, text, url, at, private, file FROM lines WHERE chat = ? ORDER BY id`, chat)
}

// lineFile is a line's file as the lines table keeps it: JSON, or "".
func lineFile(f *session.FileData) (string, error) {
	if f == nil {
		return "", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}
