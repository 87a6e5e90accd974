package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

const (
	chatCols = `id, seq, resume_hash, name, contact, queue, state, reason, agent, created, offered_at,
		offer_expiry, connected_at, acw_deadline, away_until, ended_at, disposition, note, case_data, tried,
		consent, delete_ask, deleted, recorder, names, told, parties`
	lineCols = `chat, id, sender, name, text, url, at, private, file`
)

// upChatSQL writes a chat whole: every column but the id is replaced.
var upChatSQL = func() string {
	cols := strings.Split(strings.Join(strings.Fields(chatCols), ""), ",")
	marks := make([]string, len(cols))
	var set []string
	for i, c := range cols {
		marks[i] = "$" + strconv.Itoa(i+1)
		if c != "id" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return `INSERT INTO chats (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") +
		`) ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

// Apply writes b in one transaction and one round trip: its statements
// go together as a pipeline that PostgreSQL runs as one implicit
// transaction, all of it or nothing (store.Store).
func (s *DB) Apply(ctx context.Context, b *store.Batch) error {
	if b.Empty() {
		return nil
	}
	q, what, err := batchOf(b)
	if err != nil {
		return fmt.Errorf("postgres: apply: %w", err)
	}
	br := s.pool.SendBatch(ctx, q)
	for _, w := range what {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("postgres: apply: %s: %w", w, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("postgres: apply: %w", err)
	}
	return nil
}

// batchOf queues b's statements, and says what each writes (for errors).
func batchOf(b *store.Batch) (*pgx.Batch, []string, error) {
	q := &pgx.Batch{}
	var what []string
	add := func(w, sql string, args ...any) {
		q.Queue(sql, args...)
		what = append(what, w)
	}
	for _, c := range b.Contacts {
		add("contact "+c.ID, `INSERT INTO contacts (id, name, last_seen) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen`, c.ID, c.Name, ts(c.LastSeen))
	}
	for i := range b.Chats {
		if later(b.Chats, i) {
			continue // a later row of the same chat wins: write that one only
		}
		args, err := chatArgs(&b.Chats[i])
		if err != nil {
			return nil, nil, err
		}
		add("chat "+b.Chats[i].ID, upChatSQL, args...)
	}
	for _, l := range b.Lines {
		file, err := lineFile(l.File)
		if err != nil {
			return nil, nil, err
		}
		add(fmt.Sprintf("line %s/%d", l.Chat, l.ID), `INSERT INTO lines (`+lineCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			l.Chat, l.ID, l.From, l.Name, l.Text, l.URL, ts(l.At), l.Private, file)
	}
	for _, t := range b.Took {
		add(fmt.Sprintf("took %s/%s/%d", t.Chat, t.Recording, t.Line),
			`INSERT INTO took (chat, recording, line) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, t.Chat, t.Recording, t.Line)
	}
	for _, a := range b.Agents {
		add("agent "+a.ID, `INSERT INTO agents (id, ready, idle) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET ready = excluded.ready, idle = excluded.idle`, a.ID, a.Ready, a.Idle)
	}
	for _, r := range b.Recordings {
		args, err := recordingArgs(r)
		if err != nil {
			return nil, nil, fmt.Errorf("recording %s/%s: %w", r.Interaction, r.ID, err)
		}
		add("recording "+r.Interaction+"/"+r.ID, insRecordingSQL, args...)
	}
	for _, d := range b.Tombstones {
		add("tombstone "+d.Interaction, `INSERT INTO tombstones (at, interaction, recording, file, sha256, size, "by", why)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ts(d.At), d.Interaction, d.Recording, d.File, d.SHA256, d.Size, d.By, d.Why)
	}
	if b.ChatSeq > 0 {
		add("chat_seq", `INSERT INTO meta (key, value) VALUES ('chat_seq', $1)
			ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value::bigint, excluded.value::bigint)::text`,
			strconv.FormatInt(b.ChatSeq, 10))
	}
	return q, what, nil
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

func chatArgs(c *store.Chat) ([]any, error) {
	caseData, err := json.Marshal(c.CaseData)
	if err != nil {
		return nil, err
	}
	tried, err := json.Marshal(orEmpty(c.Tried))
	if err != nil {
		return nil, err
	}
	names, err := json.Marshal(c.Names)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Seq, c.ResumeHash, c.Name, c.Contact, c.Queue, c.State.String(), c.Reason, c.Agent,
		ts(c.Created), ts(c.OfferedAt), ts(c.OfferExpiry), ts(c.ConnectedAt), ts(c.ACWDeadline), ts(c.AwayUntil), ts(c.EndedAt),
		c.Disposition, c.Note, nullObj(caseData), string(tried), c.Consent, c.DeleteAsk, c.Deleted,
		jsonOr(c.Recorder, "{}"), nullObj(names), c.Told, jsonOr(c.Parties, "{}")}, nil
}

// nullObj turns a marshalled nil map into {}.
func nullObj(b []byte) string {
	if string(b) == "null" {
		return "{}"
	}
	return string(b)
}

// jsonOr returns raw as text, or empty when raw is.
func jsonOr(raw json.RawMessage, empty string) string {
	if len(raw) == 0 {
		return empty
	}
	return string(raw)
}

// Load returns the live chats with their transcripts, the agents and the
// chat id counter (store.Store). It reads in one repeatable-read
// transaction: one moment's state, whatever other hubs write meanwhile.
func (s *DB) Load(ctx context.Context) (*store.Live, error) {
	live := &store.Live{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return load(ctx, tx, live)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: load: %w", err)
	}
	return live, nil
}

func load(ctx context.Context, tx pgx.Tx, live *store.Live) error {
	var seq string
	err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'chat_seq'`).Scan(&seq)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		if live.ChatSeq, err = strconv.ParseInt(seq, 10, 64); err != nil {
			return fmt.Errorf("chat_seq %q: %w", seq, err)
		}
	}
	chats, err := queryChats(ctx, tx, `SELECT `+chatCols+` FROM chats WHERE state <> 'done' ORDER BY seq`)
	if err != nil {
		return err
	}
	byID := map[string]*store.LiveChat{}
	live.Chats = make([]store.LiveChat, 0, len(chats))
	for _, c := range chats {
		live.Chats = append(live.Chats, store.LiveChat{Chat: c, Took: map[string][]int64{}})
		live.ChatSeq = max(live.ChatSeq, c.Seq)
	}
	for i := range live.Chats {
		byID[live.Chats[i].ID] = &live.Chats[i]
	}
	lines, err := queryLines(ctx, tx, `SELECT l.chat, l.id, l.sender, l.name, l.text, l.url, l.at, l.private, l.file
		FROM lines l JOIN chats c ON c.id = l.chat WHERE c.state <> 'done' ORDER BY l.chat, l.id`)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if c := byID[l.Chat]; c != nil {
			c.Lines = append(c.Lines, l)
		}
	}
	var t store.Took
	_, err = forEach(ctx, tx, `SELECT t.chat, t.recording, t.line FROM took t JOIN chats c ON c.id = t.chat
		WHERE c.state <> 'done' ORDER BY t.chat, t.recording, t.line`, nil, []any{&t.Chat, &t.Recording, &t.Line}, func() error {
		if c := byID[t.Chat]; c != nil {
			c.Took[t.Recording] = append(c.Took[t.Recording], t.Line)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("took: %w", err)
	}
	var a store.Agent
	_, err = forEach(ctx, tx, `SELECT id, ready, idle FROM agents ORDER BY id`, nil, []any{&a.ID, &a.Ready, &a.Idle}, func() error {
		live.Agents = append(live.Agents, a)
		return nil
	})
	if err != nil {
		return fmt.Errorf("agents: %w", err)
	}
	return nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// forEach runs q, scans each row into dst and calls f; it returns how many
// rows it read.
func forEach(ctx context.Context, db querier, q string, args []any, dst []any, f func() error) (int, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return n, err
		}
		n++
		if err := f(); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// Chat returns one chat's row (store.Store).
func (s *DB) Chat(ctx context.Context, id string) (store.Chat, error) {
	cs, err := queryChats(ctx, s.pool, `SELECT `+chatCols+` FROM chats WHERE id = $1`, id)
	if err != nil {
		return store.Chat{}, fmt.Errorf("postgres: %w", err)
	}
	if len(cs) == 0 {
		return store.Chat{}, fmt.Errorf("%w: chat %s", store.ErrNotFound, id)
	}
	return cs[0], nil
}

func queryChats(ctx context.Context, db querier, q string, args ...any) ([]store.Chat, error) {
	var out []store.Chat
	var c store.Chat
	var state, created, offered, expiry, connected, acw, away, ended, caseData, tried, recorder, names, parties string
	_, err := forEach(ctx, db, q, args, []any{&c.ID, &c.Seq, &c.ResumeHash, &c.Name, &c.Contact, &c.Queue, &state, &c.Reason, &c.Agent,
		&created, &offered, &expiry, &connected, &acw, &away, &ended, &c.Disposition, &c.Note, &caseData, &tried,
		&c.Consent, &c.DeleteAsk, &c.Deleted, &recorder, &names, &c.Told, &parties}, func() error {
		r := c
		r.CaseData, r.Tried, r.Names, r.Recorder, r.Parties = nil, nil, nil, nil, nil
		var err error
		if r.State, err = session.ParseState(state); err != nil {
			return fmt.Errorf("chat %s: %w", r.ID, err)
		}
		for _, t := range []struct {
			dst *time.Time
			s   string
		}{{&r.Created, created}, {&r.OfferedAt, offered}, {&r.OfferExpiry, expiry}, {&r.ConnectedAt, connected},
			{&r.ACWDeadline, acw}, {&r.AwayUntil, away}, {&r.EndedAt, ended}} {
			if *t.dst, err = parseTS(t.s); err != nil {
				return fmt.Errorf("chat %s: time %q: %w", r.ID, t.s, err)
			}
		}
		if err := unmarshalAll(r.ID, caseData, &r.CaseData, tried, &r.Tried, names, &r.Names); err != nil {
			return err
		}
		if len(r.CaseData) == 0 {
			r.CaseData = nil
		}
		if len(r.Names) == 0 {
			r.Names = nil
		}
		if len(r.Tried) == 0 {
			r.Tried = nil
		}
		if recorder != "{}" {
			r.Recorder = json.RawMessage(recorder)
		}
		if parties != "{}" {
			r.Parties = json.RawMessage(parties)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// unmarshalAll reads pairs of JSON text and destination.
func unmarshalAll(what string, pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := json.Unmarshal([]byte(pairs[i].(string)), pairs[i+1]); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

func queryLines(ctx context.Context, db querier, q string, args ...any) ([]store.Line, error) {
	var out []store.Line
	var l store.Line
	var at, file string
	_, err := forEach(ctx, db, q, args, []any{&l.Chat, &l.ID, &l.From, &l.Name, &l.Text, &l.URL, &at, &l.Private, &file}, func() error {
		r := l
		r.File = nil
		if file != "" {
			r.File = new(session.FileData)
			if err := json.Unmarshal([]byte(file), r.File); err != nil {
				return fmt.Errorf("line %s/%d: file: %w", r.Chat, r.ID, err)
			}
		}
		var err error
		if r.At, err = parseTS(at); err != nil {
			return fmt.Errorf("line %s/%d: %w", r.Chat, r.ID, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lines: %w", err)
	}
	return out, nil
}

// Transcript returns one chat's lines in order (store.Store).
func (s *DB) Transcript(ctx context.Context, chat string) ([]store.Line, error) {
	lines, err := queryLines(ctx, s.pool, `SELECT `+lineCols+` FROM lines WHERE chat = $1 ORDER BY id`, chat)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return lines, nil
}

// lineFile is a line's file as the lines table keeps it: JSON, or "".
func lineFile(f *session.FileData) (string, error) {
	if f == nil {
		return "", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}
