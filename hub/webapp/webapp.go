// Package webapp is the hub's web app for people (issue 12 points 2, 4, 7
// and the web side of 3 and 5; issue 13 point 3): log in, search the
// recording store, play a recording with its transcript in step and its
// access history, bookmarks, saved searches, a dashboard, the users page
// and the audit page, all under /app/.
//
// Pages are rendered on the server with html/template; the query string
// is a search's whole state. The one script, static/player.js, is served
// from the hub itself (the hub's CSP forbids inline script and style). The
// package knows nothing of the hub: what it needs is the Backend
// interface, which the hub adapts (hub/app.go) and the tests fake.
package webapp

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Errors a Backend returns.
var (
	// ErrBadLogin: the user id or the password is wrong (never which).
	ErrBadLogin = errors.New("webapp: wrong user or password")
	// ErrLockedOut: too many failed log-ins; the account waits.
	ErrLockedOut = errors.New("webapp: locked out")
	// ErrNotFound: no such thing, or not the user's to see (R-V8: the
	// same answer, so that existence does not leak).
	ErrNotFound = errors.New("webapp: not found")
)

// User is who is logged in.
type User struct {
	ID   string
	Name string
	Role string // agent, supervisor, quality, compliance, admin
	Team string
}

// Label is how pages name the user.
func (u User) Label() string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// Rights are what a user may do beyond searching and playing.
type Rights struct {
	Export bool // CSV export of a result set (compliance, admin)
	Admin  bool // the users page
	// Dashboard: the dashboard's figures (the whole centre's, not only
	// the user's scope: supervisors and above).
	Dashboard bool
	// Reason: playback needs a reason code, kept with the access (R-V8).
	Reason bool
	// Audit: the audit page and its CSV export (compliance, admin; the
	// Backend is an Auditor).
	Audit bool
	// History: a recording's own access history on its page (compliance,
	// admin, supervisors; agents when access.agents_see_viewers is on).
	History bool
}

// Bookmark is a comment on a moment of a recording (point 4).
type Bookmark struct {
	ID        string
	Recording string
	By        string  // the user's id
	At        float64 // seconds into the recording's file
	Comment   string
	Created   time.Time
}

// SavedSearch is a search a user named: Query is its query string.
type SavedSearch struct {
	ID    string
	Name  string
	Query string
}

// Access is one access to the store, for the audit trail (point 8).
type Access struct {
	At        time.Time
	User      string
	Role      string
	From      string // the client's address
	Action    string // search, view, play, export
	Recording string // "" for a search or an export
	// Interaction, Customer and Kind are the recording's, when there is
	// one.
	Interaction, Customer, Kind string
	Query                       string // what was searched or exported
	Reason                      string // the reason code given to play
	Outcome                     string // ok, denied (no reason given), not_found (unknown or out of scope)
}

// Outcomes of an Access.
const (
	OutcomeOK       = "ok"
	OutcomeDenied   = "denied"
	OutcomeNotFound = "not_found"
	OutcomeFailed   = "failed" // the store failed
)

// Result is one page of a search and, when the store can count, how many
// recordings match in all (-1: unknown).
type Result struct {
	store.RecordingPage
	Total int
}

// Team is a node of the team tree.
type Team struct {
	ID     string
	Name   string
	Parent string // "" for a root
}

// Person is a user as the users page lists them.
type Person struct {
	ID, Name, Role, Team string
	Locked               bool
	Disabled             bool
	Password             bool // a password is set: they can log in here
	Fixed                bool // from the hub's config: not editable here
}

// UserAdmin is a Backend that lets admins manage users and teams from the
// users page (issue 12 point 5: admin manages users and teams). A Backend
// without it, or whose Editable is false, shows the page read-only.
type UserAdmin interface {
	Editable() bool
	// EditUsers makes change as by; an error is shown in words.
	EditUsers(ctx context.Context, by User, change UserChange) error
}

// UserChange is one change of the users page. Op is add (ID, Name, Role,
// Team, Password), set (Role, Team, Name of ID), password (of ID),
// disable, enable, unlock, remove (ID), or team (ID a new team under
// Parent).
type UserChange struct {
	Op, ID, Name, Role, Team, Parent, Password string
	From                                       string // the admin's address, for the access log
}

// Backend is what the web app needs of the hub. Every method that takes
// a User answers within that user's scope (R-V8, R-C7): a recording
// outside it is ErrNotFound, like an unknown one.
type Backend interface {
	// Login checks a user id and password from the address from:
	// ErrBadLogin or ErrLockedOut.
	Login(ctx context.Context, id, password, from string) (User, error)
	// Rights says what u may do.
	Rights(u User) Rights
	// Search runs f narrowed to u's scope.
	Search(ctx context.Context, u User, f store.RecordingFilter) (Result, error)
	// Recording returns one recording with its lines and files, or
	// ErrNotFound.
	Recording(ctx context.Context, u User, id string) (store.Recording, error)
	// ServeMedia answers r with the decrypted bytes of file (one of
	// rec.Files), honouring HTTP Range. Access is already decided.
	ServeMedia(w http.ResponseWriter, r *http.Request, rec store.Recording, file store.FileRef)
	// Bookmarks lists a recording's bookmarks, by time.
	Bookmarks(ctx context.Context, u User, recording string) ([]Bookmark, error)
	// AddBookmark stores b (ID and Created are set) and returns it.
	AddBookmark(ctx context.Context, u User, b Bookmark) (Bookmark, error)
	// DeleteBookmark deletes one of u's own bookmarks (ErrNotFound
	// otherwise).
	DeleteBookmark(ctx context.Context, u User, recording, id string) error
	// SavedSearches lists u's saved searches by name.
	SavedSearches(ctx context.Context, u User) ([]SavedSearch, error)
	// SaveSearch stores s for u (a name already used is replaced).
	SaveSearch(ctx context.Context, u User, s SavedSearch) (SavedSearch, error)
	// DeleteSearch deletes one of u's saved searches.
	DeleteSearch(ctx context.Context, u User, id string) error
	// Stats is the dashboard's figures for the days [from, to).
	Stats(ctx context.Context, u User, from, to time.Time) (Stats, error)
	// LogAccess records an access (point 8).
	LogAccess(ctx context.Context, a Access) error
	// Directory lists the teams and the users.
	Directory(ctx context.Context) ([]Team, []Person, error)
}

// Options configure the web app; zero values take the defaults.
type Options struct {
	// IdleTimeout ends a session nobody used for this long (default 30
	// minutes); MaxAge ends any session this long after log-in (default
	// 12 hours).
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// Tags are the metadata tags the search form offers (R-V7, up to 10).
	Tags []string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// ClientIP says where a request comes from (default its RemoteAddr);
	// the hub passes its own, which believes trusted proxies.
	ClientIP func(*http.Request) string
	// Secure says whether a request came over TLS, for the cookie's
	// Secure attribute (default r.TLS != nil); the hub passes its own,
	// which believes a trusted proxy's X-Forwarded-Proto.
	Secure func(*http.Request) bool
	// Log gets the errors a page could not show (default: discarded).
	Log *slog.Logger
	// MaxSessions bounds the sessions held in memory (default 10,000).
	MaxSessions int
}

// Defaults of Options.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
	defaultMaxSessions = 10000
	pageSize           = 50
)

// App is the web app: an http.Handler for /app/.
type App struct {
	b        Backend
	o        Options
	mux      *http.ServeMux
	sessions *sessions
	pages    *pages
	static   fs.FS
}

var _ http.Handler = (*App)(nil)

// New builds the web app on b.
func New(b Backend, o Options) (*App, error) {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientIP == nil {
		o.ClientIP = func(r *http.Request) string { return r.RemoteAddr }
	}
	if o.Secure == nil {
		o.Secure = func(r *http.Request) bool { return r.TLS != nil }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = defaultMaxSessions
	}
	if len(o.Tags) > maxTags {
		return nil, errors.New("webapp: at most 10 metadata tags (R-V7)")
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	st, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	a := &App{b: b, o: o, sessions: newSessions(o), pages: p, static: st}
	a.routes()
	return a, nil
}

// ServeHTTP serves /app/.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a.mux.ServeHTTP(w, r)
}

func (a *App) routes() {
	m := http.NewServeMux()
	m.Handle("GET /app/static/", http.StripPrefix("/app/static/", a.serveStatic()))
	m.HandleFunc("GET /app/login", a.loginPage)
	m.HandleFunc("POST /app/login", a.withCSRF(a.login))
	m.HandleFunc("POST /app/logout", a.authed(a.logout))
	m.HandleFunc("GET /app/{$}", a.authed(a.search))
	m.HandleFunc("GET /app/recordings", a.authed(a.search))
	m.HandleFunc("GET /app/export.csv", a.authed(a.export))
	m.HandleFunc("POST /app/searches", a.authed(a.saveSearch))
	m.HandleFunc("POST /app/searches/{sid}/delete", a.authed(a.deleteSearch))
	m.HandleFunc("GET /app/recordings/{id}", a.authed(a.recording))
	m.HandleFunc("GET /app/recordings/{id}/media", a.authed(a.media))
	m.HandleFunc("GET /app/recordings/{id}/chatfiles/{file}", a.authed(a.chatFile))
	m.HandleFunc("POST /app/recordings/{id}/reason", a.authed(a.giveReason))
	m.HandleFunc("POST /app/recordings/{id}/bookmarks", a.authed(a.addBookmark))
	m.HandleFunc("POST /app/recordings/{id}/bookmarks/{bid}/delete", a.authed(a.deleteBookmark))
	m.HandleFunc("GET /app/dashboard", a.authed(a.dashboard))
	m.HandleFunc("GET /app/audit", a.authed(a.audit))
	m.HandleFunc("GET /app/audit.csv", a.authed(a.auditExport))
	m.HandleFunc("GET /app/admin/users", a.authed(a.adminUsers))
	m.HandleFunc("POST /app/admin/users", a.authed(a.adminEdit))
	m.HandleFunc("GET /app/compliance", a.authed(a.complianceShow))
	m.HandleFunc("POST /app/compliance/erase", a.authed(a.complianceErase))
	m.HandleFunc("POST /app/compliance/holds/{hid}/lift", a.authed(a.complianceLift))
	m.HandleFunc("/app/", a.authed(a.notFound))
	a.mux = m
}
