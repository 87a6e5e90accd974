package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// SaveSearch keeps a user's saved search (store.Searches).
func (s *DB) SaveSearch(ctx context.Context, ss *store.SavedSearch) error {
	if err := store.CheckSavedSearch(ss); err != nil {
		return err
	}
	// A name the user already used keeps its id and gets the new query.
	err := s.pool.QueryRow(ctx, `INSERT INTO saved_searches (id, "user", name, query, created) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT ("user", name) DO UPDATE SET query = excluded.query, created = excluded.created RETURNING id`,
		ss.ID, ss.User, ss.Name, ss.Query, ts(ss.Created)).Scan(&ss.ID)
	if unique(err) {
		return fmt.Errorf("%w: saved search %s", store.ErrExists, ss.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: save search: %w", err)
	}
	return nil
}

// SavedSearches lists a user's saved searches by name (store.Searches).
func (s *DB) SavedSearches(ctx context.Context, user string) ([]store.SavedSearch, error) {
	var out []store.SavedSearch
	var ss store.SavedSearch
	var created string
	_, err := forEach(ctx, s.pool, `SELECT id, "user", name, query, created FROM saved_searches WHERE "user" = $1
		ORDER BY name COLLATE "C", id`, []any{user}, []any{&ss.ID, &ss.User, &ss.Name, &ss.Query, &created}, func() error {
		var err error
		if ss.Created, err = parseTS(created); err != nil {
			return fmt.Errorf("saved search %s: %w", ss.ID, err)
		}
		out = append(out, ss)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: saved searches: %w", err)
	}
	return out, nil
}

// DeleteSavedSearch removes one of the user's saved searches
// (store.Searches).
func (s *DB) DeleteSavedSearch(ctx context.Context, user, id string) error {
	return s.deleteOne(ctx, `DELETE FROM saved_searches WHERE id = $1 AND "user" = $2`, "saved search "+id, id, user)
}

func (s *DB) deleteOne(ctx context.Context, q, what string, args ...any) error {
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: delete %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
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
	_, err := s.pool.Exec(ctx, `INSERT INTO bookmarks (id, recording, "user", at, offset_ms, comment) VALUES ($1, $2, $3, $4, $5, $6)`,
		b.ID, b.Recording, b.User, ts(b.At), b.Offset.Milliseconds(), b.Comment)
	if unique(err) {
		return fmt.Errorf("%w: bookmark %s", store.ErrExists, b.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: add bookmark: %w", err)
	}
	return nil
}

// Bookmarks lists a recording's bookmarks by offset (store.Bookmarks).
func (s *DB) Bookmarks(ctx context.Context, recording string) ([]store.Bookmark, error) {
	var out []store.Bookmark
	var b store.Bookmark
	var at string
	var ms int64
	_, err := forEach(ctx, s.pool, `SELECT id, recording, "user", at, offset_ms, comment FROM bookmarks
		WHERE recording = $1 ORDER BY offset_ms, at, id`, []any{recording}, []any{&b.ID, &b.Recording, &b.User, &at, &ms, &b.Comment}, func() error {
		var err error
		if b.At, err = parseTS(at); err != nil {
			return fmt.Errorf("bookmark %s: %w", b.ID, err)
		}
		b.Offset = time.Duration(ms) * time.Millisecond
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: bookmarks: %w", err)
	}
	return out, nil
}

// DeleteBookmark removes a bookmark the user made (store.Bookmarks).
func (s *DB) DeleteBookmark(ctx context.Context, id, user string) error {
	return s.deleteOne(ctx, `DELETE FROM bookmarks WHERE id = $1 AND "user" = $2`, "bookmark "+id, id, user)
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
	_, err := s.pool.Exec(ctx, `INSERT INTO accesses (id, at, at_ms, "user", role, from_addr, action, recording,
		interaction, customer, kind, reason, query, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		a.ID, ts(a.At), a.At.UnixMilli(), a.User, a.Role, a.From, a.Action, a.Recording, a.Interaction, a.Customer,
		a.Kind, a.Reason, a.Query, a.Outcome)
	if unique(err) {
		return fmt.Errorf("%w: access %s", store.ErrExists, a.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: log access: %w", err)
	}
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

const accessCols = `id, at, "user", role, from_addr, action, recording, interaction, customer, kind, reason, query, outcome`

// accessRow scans accessCols into a.
func accessRow(a *store.Access, at *string) []any {
	return []any{&a.ID, at, &a.User, &a.Role, &a.From, &a.Action, &a.Recording, &a.Interaction, &a.Customer, &a.Kind,
		&a.Reason, &a.Query, &a.Outcome}
}

// Accesses lists accesses newest first (store.AccessLog).
func (s *DB) Accesses(ctx context.Context, f store.AccessFilter) (store.AccessPage, error) {
	var page store.AccessPage
	c := &clause{}
	for _, e := range []struct{ col, v string }{{`"user"`, f.User}, {"recording", f.Recording}, {"action", f.Action}} {
		if e.v != "" {
			c.add(e.col+" = ?", e.v)
		}
	}
	if !f.From.IsZero() {
		c.add("at_ms >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		c.add("at_ms < ?", f.To.UnixMilli())
	}
	if f.Cursor != "" {
		n, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || n < 0 {
			return page, fmt.Errorf("%w: cursor %.40q", store.ErrBadCursor, f.Cursor)
		}
		c.add("n < ?", n)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	var a store.Access
	var at string
	var n int64
	var last []int64
	_, err := forEach(ctx, s.pool, `SELECT n, `+accessCols+` FROM accesses`+c.sql()+` ORDER BY n DESC LIMIT `+c.next(limit+1), // #nosec G202 -- the columns are constants; every value is a parameter
		c.args, append([]any{&n}, accessRow(&a, &at)...), func() error {
			var err error
			if a.At, err = parseTS(at); err != nil {
				return fmt.Errorf("access %s: %w", a.ID, err)
			}
			page.Accesses = append(page.Accesses, a)
			last = append(last, n)
			return nil
		})
	if err != nil {
		return page, fmt.Errorf("postgres: accesses: %w", err)
	}
	if len(page.Accesses) > limit {
		page.Accesses = page.Accesses[:limit]
		page.Next = strconv.FormatInt(last[limit-1], 10)
	}
	return page, nil
}
