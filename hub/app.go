package hub

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/webapp"
)

// appBackend adapts the hub to the web app (hub/webapp, issue 12 points
// 2, 4, 7): log-in and scope through the directory (R-V8, R-C7), the
// store for recordings, the ingest for the backlog.
type appBackend struct{ s *Server }

var _ webapp.Backend = appBackend{}

// errNotYet answers what the hub cannot do for the web app yet.
var errNotYet = errors.New("hub: not available in this hub yet")

// appMount is the server's web app, built on first use: its sessions
// live as long as the server.
type appMount struct {
	once sync.Once
	h    http.Handler
}

// mountApp serves the web app under /app/ on mux (GET and POST: its
// pages, forms and media).
func (s *Server) mountApp(mux *http.ServeMux) {
	mux.Handle("GET /app/", s.appHandler())
	mux.Handle("POST /app/", s.appHandler())
}

// appHandler serves /app/ (webapp.App), the same one for every Handler.
func (s *Server) appHandler() http.Handler {
	s.app.once.Do(func() {
		a, err := s.newApp()
		if err != nil { // the embedded templates do not parse: a bug
			s.log.Error("web app", "err", err)
			s.app.h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "the web app is broken in this build; see the hub's log", http.StatusInternalServerError)
			})
			return
		}
		s.app.h = a
	})
	return s.app.h
}

// newApp builds the web app on s.
func (s *Server) newApp() (*webapp.App, error) {
	return webapp.New(appBackend{s}, webapp.Options{
		IdleTimeout: s.cfg.Access.SessionIdle,
		MaxAge:      s.cfg.Access.SessionMax,
		Now:         s.clock.Now,
		ClientIP:    s.clientIP,
		Secure: func(r *http.Request) bool {
			return r.TLS != nil || s.fromTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
		},
		Log: s.log,
	})
}

func callerOf(u webapp.User) api.Caller {
	return api.Caller{Role: u.Role, ID: u.ID, Name: u.Name, Team: u.Team}
}

func (b appBackend) scope(u webapp.User) auth.Scope { return b.s.tokens.Scope(callerOf(u)) }

func (b appBackend) Login(_ context.Context, id, password, from string) (webapp.User, error) {
	c, err := b.s.tokens.Login(id, password, from)
	switch {
	case errors.Is(err, auth.ErrLockedOut):
		return webapp.User{}, webapp.ErrLockedOut
	case errors.Is(err, auth.ErrBadLogin):
		return webapp.User{}, webapp.ErrBadLogin
	case err != nil:
		return webapp.User{}, err
	}
	return webapp.User{ID: c.ID, Name: c.Name, Role: c.Role, Team: c.Team}, nil
}

func (b appBackend) Rights(u webapp.User) webapp.Rights {
	sc := b.scope(u)
	return webapp.Rights{Export: sc.CanExport(), Admin: sc.CanAdmin(), Reason: b.s.tokens.ReasonRequired(u.Role),
		Dashboard: u.Role != api.RoleAgent}
}

// Search lists the produced recordings f finds within u's scope.
func (b appBackend) Search(ctx context.Context, u webapp.User, f store.RecordingFilter) (webapp.Result, error) {
	b.scope(u).Apply(&f)
	b.s.j.sync() // what was acknowledged before is in the list
	page, err := b.s.st.Recordings(ctx, f)
	if err != nil {
		return webapp.Result{}, err
	}
	page.Recordings = slices.DeleteFunc(page.Recordings, func(r store.Recording) bool { return !r.Produced })
	return webapp.Result{RecordingPage: page, Total: -1}, nil
}

// recordingID is what the recorder names a recording: its chat's id, its
// kind and a number (session.Recorder); the chat is found from it.
var recordingID = regexp.MustCompile(`^(.+)-(record|snip|auto|fulltime|selective|dynamic|abuse)-[0-9]+$`)

// Recording finds a produced recording by id within u's scope; outside
// it, like unknown, is webapp.ErrNotFound (R-V8).
func (b appBackend) Recording(ctx context.Context, u webapp.User, id string) (store.Recording, error) {
	m := recordingID.FindStringSubmatch(id)
	if m == nil {
		return store.Recording{}, webapp.ErrNotFound
	}
	b.s.j.sync()
	page, err := b.s.st.Recordings(ctx, store.RecordingFilter{Interaction: m[1], Limit: 100})
	if err != nil {
		return store.Recording{}, err
	}
	sc := b.scope(u)
	for _, r := range page.Recordings {
		if r.ID == id && r.Produced && sc.Allows(r.Agent, r.Kind) {
			return r, nil
		}
	}
	return store.Recording{}, webapp.ErrNotFound
}

func (b appBackend) ServeMedia(w http.ResponseWriter, _ *http.Request, _ store.Recording, _ store.FileRef) {
	http.Error(w, "this hub cannot stream recordings to the web app yet", http.StatusServiceUnavailable)
}

func (b appBackend) Bookmarks(context.Context, webapp.User, string) ([]webapp.Bookmark, error) {
	return nil, errNotYet
}

func (b appBackend) AddBookmark(context.Context, webapp.User, webapp.Bookmark) (webapp.Bookmark, error) {
	return webapp.Bookmark{}, errNotYet
}

func (b appBackend) DeleteBookmark(context.Context, webapp.User, string, string) error {
	return errNotYet
}

func (b appBackend) SavedSearches(context.Context, webapp.User) ([]webapp.SavedSearch, error) {
	return nil, errNotYet
}

func (b appBackend) SaveSearch(context.Context, webapp.User, webapp.SavedSearch) (webapp.SavedSearch, error) {
	return webapp.SavedSearch{}, errNotYet
}

func (b appBackend) DeleteSearch(context.Context, webapp.User, string) error { return errNotYet }

// LogAccess writes the access to the hub's log.
func (b appBackend) LogAccess(_ context.Context, a webapp.Access) error {
	b.s.log.Info("access", "user", a.User, "role", a.Role, "from", a.From, "action", a.Action, "recording", a.Recording,
		"interaction", a.Interaction, "kind", a.Kind, "query", a.Query, "reason", a.Reason, "outcome", a.Outcome)
	return nil
}

// Stats gives the upload backlog per desktop.
func (b appBackend) Stats(ctx context.Context, _ webapp.User, _, _ time.Time) (webapp.Stats, error) {
	var st webapp.Stats
	bl, err := b.s.Backlog(ctx)
	if err != nil {
		return st, err
	}
	for _, x := range bl {
		st.Backlog = append(st.Backlog, webapp.Backlog{Desktop: x.Agent, Uploads: x.Uploads, Bytes: x.Pending, Oldest: x.Oldest})
	}
	return st, nil
}

// Directory lists the teams and the users (never their hashes).
func (b appBackend) Directory(context.Context) ([]webapp.Team, []webapp.Person, error) {
	var teams []webapp.Team
	for _, t := range b.s.tokens.Teams() {
		teams = append(teams, webapp.Team{ID: t.Name, Name: t.Name, Parent: t.Parent})
	}
	var people []webapp.Person
	for _, u := range b.s.tokens.Users() {
		people = append(people, webapp.Person{ID: u.ID, Name: u.Name, Role: u.Role, Team: u.Team})
	}
	return teams, people, nil
}
