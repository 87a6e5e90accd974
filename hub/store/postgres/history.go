package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// History returns a contact's earlier sessions, newest first (store.Store).
func (s *DB) History(ctx context.Context, q store.HistoryQuery) ([]session.Session, bool, error) {
	if q.Contact == "" || q.Sessions <= 0 {
		return nil, false, nil
	}
	before := int64(1<<63 - 1)
	if q.Before != "" {
		err := s.pool.QueryRow(ctx, `SELECT seq FROM chats WHERE id = $1`, q.Before).Scan(&before)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("postgres: history: %w", err)
		}
	}
	// One more than asked tells whether older sessions remain.
	var sessions []session.Session
	var ss session.Session
	var created string
	_, err := forEach(ctx, s.pool, `SELECT id, created FROM chats
		WHERE contact = $1 AND seq < $2 AND id <> $3 AND state = 'done'
		  AND EXISTS (SELECT 1 FROM lines l WHERE l.chat = chats.id)
		ORDER BY seq DESC LIMIT $4`, []any{q.Contact, before, q.Exclude, q.Sessions + 1}, []any{&ss.Chat, &created}, func() error {
		var err error
		if ss.Start, err = time.Parse(time.RFC3339Nano, created); err != nil && created != "" {
			return err
		}
		sessions = append(sessions, ss)
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("postgres: history: %w", err)
	}
	more := len(sessions) > q.Sessions
	if more {
		sessions = sessions[:q.Sessions]
	}
	budget := q.MaxBytes
	for i := range sessions {
		lines, err := queryLines(ctx, s.pool, `SELECT `+lineCols+` FROM lines WHERE chat = $1 ORDER BY id`, sessions[i].Chat)
		if err != nil {
			return nil, false, fmt.Errorf("postgres: history: %w", err)
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
// frame around it (the SQLite store's measure).
func lineCost(m session.MessageData) int { return len(m.Text) + len(m.Name) + len(m.URL) + 96 }
