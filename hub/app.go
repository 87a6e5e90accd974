package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
// 2, 4, 7, 8): log-in and scope through the directory (R-V8, R-C7); the
// store for recordings, saved searches, bookmarks, the access log and the
// dashboard's figures; the ingest for the media and the backlog.
type appBackend struct{ s *Server }

var _ webapp.Backend = appBackend{}

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
		Dashboard: u.Role != api.RoleAgent, Audit: b.s.audit != nil && canAudit(u.Role), History: b.s.audit != nil && b.seesHistory(u.Role)}
}

// Search lists the finished recordings f finds within u's scope, dropped
// ones too (they show why they were not stored).
func (b appBackend) Search(ctx context.Context, u webapp.User, f store.RecordingFilter) (webapp.Result, error) {
	b.scope(u).Apply(&f)
	b.s.j.sync() // what was acknowledged before is in the list
	page, err := b.s.st.Recordings(ctx, f)
	if err != nil {
		return webapp.Result{}, err
	}
	total := -1
	if f.Count {
		total = page.Total
	}
	return webapp.Result{RecordingPage: page, Total: total}, nil
}

// recordingID is what the recorder names a recording: its chat's id, its
// kind and a number (session.Recorder); the chat is found from it. Ids
// the recording API gave are found by id alone.
var recordingID = regexp.MustCompile(`^(.+)-(record|snip|auto|fulltime|selective|dynamic|abuse)-[0-9]+$`)

// Recording finds a finished recording by id within u's scope; outside
// it, like unknown, is webapp.ErrNotFound (R-V8).
func (b appBackend) Recording(ctx context.Context, u webapp.User, id string) (store.Recording, error) {
	b.s.j.sync()
	sc := b.scope(u)
	filters := []store.RecordingFilter{{ID: id, Limit: 100}} // any id: a scan of the ids
	if m := recordingID.FindStringSubmatch(id); m != nil {
		// The recorder's own form: its chat's (interaction, id) index first.
		filters = append([]store.RecordingFilter{{ID: id, Interaction: m[1], Limit: 100}}, filters...)
	}
	for _, f := range filters {
		page, err := b.s.st.Recordings(ctx, f)
		if err != nil {
			return store.Recording{}, err
		}
		for _, r := range page.Recordings {
			if r.ID == id {
				if sc.Allows(r.Agent, r.Kind) {
					return r, nil
				}
				return store.Recording{}, webapp.ErrNotFound
			}
		}
	}
	return store.Recording{}, webapp.ErrNotFound
}

// ParseQuery reads a search as GET /v1/recordings does (store.ParseQuery),
// the team through the directory (its agents and its sub-teams').
func (b appBackend) ParseQuery(q url.Values) (store.RecordingFilter, []string, error) {
	f, err := store.ParseQuery(q)
	if err != nil {
		return f, nil, err
	}
	if team := q.Get("team"); team != "" {
		f.AgentIn = b.s.tokens.TeamAgents(team)
	}
	return f, nil, nil
}

// ServeMedia streams the stored file, decrypted, with Range (the ingest's
// ServeStored: only the chunks a range needs are opened).
func (b appBackend) ServeMedia(w http.ResponseWriter, r *http.Request, _ store.Recording, ref store.FileRef) {
	if b.s.in == nil {
		http.Error(w, "this hub keeps no files (store.dir)", http.StatusServiceUnavailable)
		return
	}
	f, err := b.s.st.File(r.Context(), ref.ID)
	if err != nil {
		http.Error(w, "no such file", http.StatusNotFound)
		return
	}
	b.s.in.ServeStored(w, r, f, f.Encrypted)
}

func (b appBackend) Bookmarks(ctx context.Context, _ webapp.User, rec string) ([]webapp.Bookmark, error) {
	bs, err := b.s.st.Bookmarks(ctx, rec)
	out := make([]webapp.Bookmark, 0, len(bs))
	for _, x := range bs {
		out = append(out, webapp.Bookmark{ID: x.ID, Recording: x.Recording, By: x.User, At: x.Offset.Seconds(), Comment: x.Comment, Created: x.At})
	}
	return out, err
}

func (b appBackend) AddBookmark(ctx context.Context, u webapp.User, bm webapp.Bookmark) (webapp.Bookmark, error) {
	x := store.Bookmark{Recording: bm.Recording, User: u.ID, Offset: time.Duration(bm.At * float64(time.Second)), Comment: bm.Comment}
	if err := b.s.st.AddBookmark(ctx, &x); err != nil {
		return webapp.Bookmark{}, err
	}
	bm.ID, bm.By, bm.Created = x.ID, x.User, x.At
	return bm, nil
}

func (b appBackend) DeleteBookmark(ctx context.Context, u webapp.User, _, id string) error {
	return notFound(b.s.st.DeleteBookmark(ctx, id, u.ID))
}

func (b appBackend) SavedSearches(ctx context.Context, u webapp.User) ([]webapp.SavedSearch, error) {
	ss, err := b.s.st.SavedSearches(ctx, u.ID)
	out := make([]webapp.SavedSearch, 0, len(ss))
	for _, x := range ss {
		out = append(out, webapp.SavedSearch{ID: x.ID, Name: x.Name, Query: x.Query})
	}
	return out, err
}

func (b appBackend) SaveSearch(ctx context.Context, u webapp.User, s webapp.SavedSearch) (webapp.SavedSearch, error) {
	x := store.SavedSearch{User: u.ID, Name: s.Name, Query: s.Query}
	err := b.s.st.SaveSearch(ctx, &x)
	s.ID = x.ID
	return s, err
}

func (b appBackend) DeleteSearch(ctx context.Context, u webapp.User, id string) error {
	return notFound(b.s.st.DeleteSavedSearch(ctx, u.ID, id))
}

// notFound is the web app's ErrNotFound for the store's.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return webapp.ErrNotFound
	}
	return err
}

// LogAccess keeps the access in the store's access log (point 8).
func (b appBackend) LogAccess(ctx context.Context, a webapp.Access) error {
	return b.s.st.LogAccess(ctx, &store.Access{At: a.At, User: a.User, Role: a.Role, From: a.From, Action: a.Action,
		Recording: a.Recording, Interaction: a.Interaction, Customer: a.Customer, Kind: a.Kind, Reason: a.Reason, Query: a.Query, Outcome: a.Outcome})
}

// Stats are the store's figures of the days and the ingest's backlog; the
// gaps listed are those within u's scope.
func (b appBackend) Stats(ctx context.Context, u webapp.User, from, to time.Time) (webapp.Stats, error) {
	var st webapp.Stats
	ss, err := b.s.st.Stats(ctx, from, to)
	if err != nil {
		return st, err
	}
	for _, d := range ss.Days {
		st.Days = append(st.Days, webapp.DayStats{Day: d.Day, ByKind: d.ByKind, ByQueue: d.ByQueue, Stored: d.Total,
			MustRecord: d.Required, Recorded: d.Stored})
	}
	sc := b.scope(u)
	for _, g := range ss.Gaps {
		if sc.Allows(g.Agent, g.Kind) {
			st.Gaps = append(st.Gaps, webapp.Gap{Day: g.FinishedAt, Interaction: g.Interaction, Agent: g.Agent, Cause: g.Cause})
		}
	}
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
	d := b.s.tokens
	for _, u := range d.Users() {
		people = append(people, webapp.Person{ID: u.ID, Name: u.Name, Role: u.Role, Team: u.Team, Locked: d.Locked(u.ID),
			Disabled: u.Disabled, Password: u.Password != "", Fixed: d.InConfig(u.ID)})
	}
	return teams, people, nil
}

// Editable reports whether admins can manage users from the users page:
// the hub has a users file (access.users_file).
func (b appBackend) Editable() bool { return b.s.tokens.Editable() }

// EditUsers makes one change of the users page in the users file, as
// chathub user would, and keeps it in the access log (who, what; never
// the password).
func (b appBackend) EditUsers(ctx context.Context, by webapp.User, c webapp.UserChange) error {
	d := b.s.tokens
	what := url.Values{"op": {c.Op}, "id": {c.ID}}
	err := d.Edit(func(p *auth.People) error { return applyUserChange(p, c) })
	if err == nil && c.Op == "unlock" {
		d.Unlock(c.ID)
	}
	for k, v := range map[string]string{"role": c.Role, "team": c.Team, "name": c.Name, "parent": c.Parent} {
		if v != "" {
			what.Set(k, v)
		}
	}
	out := store.OutcomeOK
	if err != nil {
		out = store.OutcomeDenied
	}
	if lerr := b.s.st.LogAccess(ctx, &store.Access{User: by.ID, Role: by.Role, From: c.From, At: b.s.clock.Now().UTC(), Action: store.ActionUsers,
		Query: what.Encode(), Outcome: out}); lerr != nil {
		b.s.log.Error("store: access log", "err", lerr)
	}
	return err
}

// applyUserChange is one change of the users page on the users file.
func applyUserChange(p *auth.People, c webapp.UserChange) error {
	i := slices.IndexFunc(p.Users, func(u auth.User) bool { return u.ID == c.ID })
	if c.Op != "add" && c.Op != "team" && i < 0 {
		return fmt.Errorf("no user %q in the users file", c.ID)
	}
	hash := func() (string, error) {
		if c.Password == "" {
			return "", nil
		}
		return auth.HashPassword(c.Password)
	}
	switch c.Op {
	case "add":
		if i >= 0 {
			return fmt.Errorf("user %q exists", c.ID)
		}
		h, err := hash()
		if err != nil {
			return err
		}
		p.Users = append(p.Users, auth.User{ID: c.ID, Name: c.Name, Role: c.Role, Team: c.Team, Password: h})
	case "set":
		p.Users[i].Role, p.Users[i].Team = c.Role, c.Team
		if c.Name != "" {
			p.Users[i].Name = c.Name
		}
	case "password":
		if c.Password == "" {
			return errors.New("give the new password")
		}
		h, err := hash()
		if err != nil {
			return err
		}
		p.Users[i].Password = h
	case "disable", "enable":
		p.Users[i].Disabled = c.Op == "disable"
	case "unlock":
	case "remove":
		p.Users = slices.Delete(p.Users, i, i+1)
	case "team":
		if slices.ContainsFunc(p.Teams, func(t auth.Team) bool { return t.Name == c.ID }) {
			return fmt.Errorf("team %q exists", c.ID)
		}
		p.Teams = append(p.Teams, auth.Team{Name: c.ID, Parent: c.Parent})
	default:
		return fmt.Errorf("unknown change %q", c.Op)
	}
	return nil
}
