package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// SaveSearch keeps a user's saved search (store.Searches).
func (s *DB) SaveSearch(ctx context.Context, ss *store.SavedSearch) error {
	if err := store.CheckSavedSearch(ss); err != nil {
		return err
	}
	// A name the user already used keeps its id and gets the new query.
	err := s.db.QueryRowContext(ctx, `INSERT INTO saved_searches (id, user, name, query, created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user, name) DO UPDATE SET query = excluded.query, created = excluded.created RETURNING id`,
		ss.ID, ss.User, ss.Name, ss.Query, ts(ss.Created)).Scan(&ss.ID)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: saved search %s", store.ErrExists, ss.ID)
		}
		return fmt.Errorf("sqlite: save search: %w", err)
	}
	s.wrote()
	return nil
}

// SavedSearches lists a user's saved searches by name (store.Searches).
func (s *DB) SavedSearches(ctx context.Context, user string) ([]store.SavedSearch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user, name, query, created FROM saved_searches WHERE user = ? ORDER BY name, id`, user)
	if err != nil {
		return nil, fmt.Errorf("sqlite: saved searches: %w", err)
	}
	defer rows.Close()
	var out []store.SavedSearch
	for rows.Next() {
		var ss store.SavedSearch
		var created string
		if err := rows.Scan(&ss.ID, &ss.User, &ss.Name, &ss.Query, &created); err != nil {
			return nil, fmt.Errorf("sqlite: saved searches: %w", err)
		}
		if ss.Created, err = parseTS(created); err != nil {
			return nil, fmt.Errorf("sqlite: saved search %s: %w", ss.ID, err)
		}
		out = append(out, ss)
	}
	return out, rows.Err()
}

// DeleteSavedSearch removes one of the user's saved searches
// (store.Searches).
func (s *DB) DeleteSavedSearch(ctx context.Context, user, id string) error {
	return s.deleteOne(ctx, `DELETE FROM saved_searches WHERE id = ? AND user = ?`, "saved search "+id, id, user)
}

func (s *DB) deleteOne(ctx context.Context, q, what string, args ...any) error {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: delete %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	s.wrote()
	return nil
}

// AddBookmark keeps a bookmark (store.Bookmarks).
func (s *DB) AddBookmark(ctx context.Context, b *store.Bookmark) error {
	switch {
	case b.Recording == "" || b.User == "":
		return fmt.Errorf("%w: a bookmark needs a recording and a user", store.ErrBadFilter)
	case b.Offset < 0:
		return fmt.Errorf("%w: a bookmark's moment is not before the recording's start (got %v)", store.ErrBadFilter, b.Offset)
	case len(b.Comment) > store.MaxComment:
		return fmt.Errorf("%w: a bookmark's comment is at most %d bytes (got %d)", store.ErrTooLong, store.MaxComment, len(b.Comment))
	}
	if b.ID == "" {
		b.ID = store.NewID()
	}
	if b.At.IsZero() {
		b.At = time.Now().UTC()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO bookmarks (id, recording, user, at, offset_ms, comment) VALUES (?, ?, ?, ?, ?, ?)`,
		b.ID, b.Recording, b.User, ts(b.At), b.Offset.Milliseconds(), b.Comment)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: bookmark %s", store.ErrExists, b.ID)
		}
		return fmt.Errorf("sqlite: add bookmark: %w", err)
	}
	s.wrote()
	return nil
}

// Bookmarks lists a recording's bookmarks by offset (store.Bookmarks).
func (s *DB) Bookmarks(ctx context.Context, recording string) ([]store.Bookmark, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, recording, user, at, offset_ms, comment FROM bookmarks
		WHERE recording = ? ORDER BY offset_ms, at, id`, recording)
	if err != nil {
		return nil, fmt.Errorf("sqlite: bookmarks: %w", err)
	}
	defer rows.Close()
	var out []store.Bookmark
	for rows.Next() {
		var b store.Bookmark
		var at string
		var ms int64
		if err := rows.Scan(&b.ID, &b.Recording, &b.User, &at, &ms, &b.Comment); err != nil {
			return nil, fmt.Errorf("sqlite: bookmarks: %w", err)
		}
		if b.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("sqlite: bookmark %s: %w", b.ID, err)
		}
		b.Offset = time.Duration(ms) * time.Millisecond
		out = append(out, b)
	}
	return out, rows.Err()
}

// DeleteBookmark removes a bookmark the user made (store.Bookmarks).
func (s *DB) DeleteBookmark(ctx context.Context, id, user string) error {
	return s.deleteOne(ctx, `DELETE FROM bookmarks WHERE id = ? AND user = ?`, "bookmark "+id, id, user)
}

// LogAccess keeps an access (store.AccessLog).
func (s *DB) LogAccess(ctx context.Context, a *store.Access) error {
	if a.User == "" || a.Action == "" || a.Outcome == "" {
		return fmt.Errorf("%w: an access needs a user, an action and an outcome", store.ErrBadFilter)
	}
	if a.ID == "" {
		a.ID = store.NewID()
	}
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	for _, p := range []*string{&a.User, &a.Role, &a.From, &a.Action, &a.Recording, &a.Interaction, &a.Customer,
		&a.Kind, &a.Reason, &a.Query, &a.Outcome} {
		*p = cut(*p, store.MaxAccessField)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO accesses (id, at, at_ms, user, role, from_addr, action, recording,
		interaction, customer, kind, reason, query, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, ts(a.At), a.At.UnixMilli(), a.User, a.Role, a.From, a.Action, a.Recording, a.Interaction, a.Customer,
		a.Kind, a.Reason, a.Query, a.Outcome)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: access %s", store.ErrExists, a.ID)
		}
		return fmt.Errorf("sqlite: log access: %w", err)
	}
	s.wrote()
	return nil
}

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Accesses lists accesses newest first (store.AccessLog).
func (s *DB) Accesses(ctx context.Context, f store.AccessFilter) (store.AccessPage, error) {
	var page store.AccessPage
	var w []string
	var args []any
	for _, c := range []struct{ col, v string }{{"user", f.User}, {"recording", f.Recording}, {"action", f.Action}} {
		if c.v != "" {
			w, args = append(w, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.From.IsZero() {
		w, args = append(w, "at_ms >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		w, args = append(w, "at_ms < ?"), append(args, f.To.UnixMilli())
	}
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n < 0 {
			return page, fmt.Errorf("%w: cursor %.40q", store.ErrBadCursor, f.Cursor)
		}
		w, args = append(w, "n < ?"), append(args, n)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	q := `SELECT n, id, at, user, role, from_addr, action, recording, interaction, customer, kind, reason, query, outcome FROM accesses`
	if len(w) > 0 {
		q += ` WHERE ` + strings.Join(w, " AND ")
	}
	rows, err := s.rd.QueryContext(ctx, q+` ORDER BY n DESC LIMIT ?`, append(args, limit+1)...) // #nosec G202 -- the columns are constants; every value is a parameter
	if err != nil {
		return page, fmt.Errorf("sqlite: accesses: %w", err)
	}
	defer rows.Close()
	var last []int64
	for rows.Next() {
		var a store.Access
		var n int64
		var at string
		if err := rows.Scan(&n, &a.ID, &at, &a.User, &a.Role, &a.From, &a.Action, &a.Recording, &a.Interaction,
			&a.Customer, &a.Kind, &a.Reason, &a.Query, &a.Outcome); err != nil {
			return page, fmt.Errorf("sqlite: accesses: %w", err)
		}
		if a.At, err = parseTS(at); err != nil {
			return page, fmt.Errorf("sqlite: access %s: %w", a.ID, err)
		}
		page.Accesses = append(page.Accesses, a)
		last = append(last, n)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: accesses: %w", err)
	}
	if len(page.Accesses) > limit {
		page.Accesses = page.Accesses[:limit]
		page.Next = strconv.FormatInt(last[limit-1], 10)
	}
	return page, nil
}
