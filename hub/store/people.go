package store

import (
	"context"
	"errors"
	"time"
)

// ErrTooLong: a saved search's name or query, or a bookmark's comment, is
// longer than its bound; the error says which, in words.
var ErrTooLong = errors.New("store: too long")

// The bounds of what people write into the store.
const (
	MaxSearchName  = 100     // a saved search's name, bytes
	MaxSearchQuery = 4 << 10 // a saved search's query, bytes
	MaxComment     = 2000    // a bookmark's comment, bytes
	MaxAccessField = 4 << 10 // each text field of an access (a query may be long)
)

// SavedSearch is a search a user keeps under a name (issue 12 point 3):
// Query is the search's URL query (RecordingFilter.Values().Encode()).
type SavedSearch struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Query   string    `json:"query"`
	Created time.Time `json:"created"`
}

// Searches keeps each user's saved searches.
type Searches interface {
	// SaveSearch keeps s. An empty ID gets NewID, a zero Created the
	// current time; s is updated with both. A name the user already
	// used is replaced (its ID stays). User and Name are required and
	// Query must read as a search (ParseQuery) (ErrBadFilter); a name or
	// query over its bound is ErrTooLong.
	SaveSearch(ctx context.Context, s *SavedSearch) error
	// SavedSearches lists a user's saved searches by name.
	SavedSearches(ctx context.Context, user string) ([]SavedSearch, error)
	// DeleteSavedSearch removes one of the user's saved searches; an id
	// that is not theirs is ErrNotFound.
	DeleteSavedSearch(ctx context.Context, user, id string) error
}

// Bookmark is a comment on a moment of a recording (issue 12 point 4),
// visible to whoever may see the recording.
type Bookmark struct {
	ID        string        `json:"id"`
	Recording string        `json:"recording"`
	User      string        `json:"user"`
	At        time.Time     `json:"at"`     // when it was made
	Offset    time.Duration `json:"offset"` // the moment in the recording
	Comment   string        `json:"comment"`
}

// Bookmarks keeps the bookmarks of recordings.
type Bookmarks interface {
	// AddBookmark keeps b. An empty ID gets NewID, a zero At the current
	// time; b is updated with both. Recording and User are required and
	// Offset must not be negative (ErrBadFilter); a comment over
	// MaxComment is ErrTooLong.
	AddBookmark(ctx context.Context, b *Bookmark) error
	// Bookmarks lists a recording's bookmarks by offset.
	Bookmarks(ctx context.Context, recording string) ([]Bookmark, error)
	// DeleteBookmark removes a bookmark the user made; another's, or an
	// unknown id, is ErrNotFound.
	DeleteBookmark(ctx context.Context, id, user string) error
}

// What an access did (Access.Action).
const (
	ActionSearch   = "search"
	ActionView     = "view"
	ActionPlay     = "play"
	ActionDownload = "download"
	ActionExport   = "export"
	ActionUsers    = "users" // an admin changed users or teams (Query says what)
)

// How an access ended (Access.Outcome).
const (
	OutcomeOK       = "ok"
	OutcomeDenied   = "denied"
	OutcomeNotFound = "not_found"
	OutcomeFailed   = "failed" // the hub could not finish it (its store failed)
)

// Access is one access to recordings (issue 12 point 8, R-V9): who, when,
// from where, what, which recording, why, and how it ended.
type Access struct {
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	User        string    `json:"user"`
	Role        string    `json:"role"`
	From        string    `json:"from"` // the caller's address
	Action      string    `json:"action"`
	Recording   string    `json:"recording,omitempty"`
	Interaction string    `json:"interaction,omitempty"`
	Customer    string    `json:"customer,omitempty"`
	Kind        string    `json:"kind,omitempty"`
	Reason      string    `json:"reason,omitempty"` // the reason code given for playback
	Query       string    `json:"query,omitempty"`  // a search's or an export's query
	Outcome     string    `json:"outcome"`
}

// AccessFilter selects accesses; empty fields match all.
type AccessFilter struct {
	User, Recording, Action string
	From, To                time.Time // at in [From, To)
	Cursor                  string    // a page's Next
	Limit                   int       // 0: DefaultLimit
}

// AccessPage is one page of Accesses, newest first.
type AccessPage struct {
	Accesses []Access
	Next     string
}

// AccessLog keeps every access to recordings.
type AccessLog interface {
	// LogAccess keeps a. An empty ID gets NewID, a zero At the current
	// time; a is updated with both. User, Action and Outcome are
	// required (ErrBadFilter); text over MaxAccessField is cut.
	LogAccess(ctx context.Context, a *Access) error
	// Accesses lists accesses, newest first, a page at a time.
	Accesses(ctx context.Context, f AccessFilter) (AccessPage, error)
}
