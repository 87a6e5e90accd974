package webapp

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// fakeBackend is the Backend of the tests: users, scope and recordings
// in memory, with the rules of the contract (R-V8): an agent sees their
// own ad hoc recordings, a supervisor their team's, compliance and admin
// all; quality needs a reason code to play.
type fakeBackend struct {
	mu        sync.Mutex
	users     map[string]fakeUser
	fails     map[string]int
	recs      []store.Recording
	media     map[string][]byte // file id → bytes
	bookmarks []Bookmark
	searches  map[string][]SavedSearch
	access    []Access
	stats     Stats
	teams     []Team
	seq       int
}

type fakeUser struct {
	User
	password string
}

const lockAfter = 3

func newFake() *fakeBackend {
	f := &fakeBackend{users: map[string]fakeUser{}, fails: map[string]int{}, media: map[string][]byte{}, searches: map[string][]SavedSearch{}}
	for _, u := range []User{
		{ID: "sue", Name: "Sue Supervisor", Role: "supervisor", Team: "north"},
		{ID: "ada", Name: "Ada", Role: "agent", Team: "north"},
		{ID: "bob", Name: "Bob", Role: "agent", Team: "south"},
		{ID: "cora", Name: "Cora Compliance", Role: "compliance", Team: ""},
		{ID: "quinn", Name: "Quinn", Role: "quality", Team: "north"},
		{ID: "root", Name: "Admin", Role: "admin", Team: ""},
	} {
		f.users[u.ID] = fakeUser{User: u, password: "pw-" + u.ID}
	}
	f.teams = []Team{{ID: "all", Name: "Contact centre"}, {ID: "north", Name: "North", Parent: "all"}, {ID: "south", Name: "South", Parent: "all"}}
	return f
}

func (f *fakeBackend) Login(_ context.Context, id, password, _ string) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails[id] >= lockAfter {
		return User{}, ErrLockedOut
	}
	u, ok := f.users[id]
	if !ok || u.password != password {
		f.fails[id]++
		return User{}, ErrBadLogin
	}
	f.fails[id] = 0
	return u.User, nil
}

func (f *fakeBackend) Rights(u User) Rights {
	return Rights{Export: u.Role == "compliance" || u.Role == "admin", Admin: u.Role == "admin", Reason: u.Role == "quality",
		Dashboard: u.Role != "agent"}
}

func (f *fakeBackend) teamOf(agent string) string { return f.users[agent].Team }

// allows is the contract's scope (R-V8, R-C7).
func (f *fakeBackend) allows(u User, r store.Recording) bool {
	switch u.Role {
	case "agent":
		return r.Agent == u.ID && r.Kind == "record"
	case "supervisor":
		return f.teamOf(r.Agent) == u.Team
	case "quality":
		return f.teamOf(r.Agent) == u.Team && r.Kind != "snip"
	case "compliance":
		return r.Kind != "snip"
	case "admin":
		return true
	}
	return false
}

func (f *fakeBackend) Search(_ context.Context, u User, flt store.RecordingFilter) (Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.Recording
	for _, r := range f.recs {
		if !f.allows(u, r) || flt.Agent != "" && r.Agent != flt.Agent || flt.Queue != "" && r.Queue != flt.Queue ||
			flt.Kind != "" && r.Kind != flt.Kind || flt.Customer != "" && r.Customer != flt.Customer {
			continue
		}
		if !flt.From.IsZero() && r.FinishedAt.Before(flt.From) || !flt.To.IsZero() && !r.FinishedAt.Before(flt.To) {
			continue
		}
		if flt.Text != "" && !slices.ContainsFunc(r.Lines, func(m session.MessageData) bool {
			return strings.Contains(strings.ToLower(m.Text), strings.ToLower(flt.Text))
		}) {
			continue
		}
		all = append(all, r)
	}
	start := 0
	if flt.Cursor != "" {
		n, err := strconv.Atoi(flt.Cursor)
		if err != nil {
			return Result{}, store.ErrBadCursor
		}
		start = n
	}
	limit := flt.Limit
	if limit == 0 {
		limit = 1000
	}
	end := min(start+limit, len(all))
	res := Result{Total: len(all)}
	if start < end {
		res.Recordings = all[start:end]
	}
	if end < len(all) {
		res.Next = strconv.Itoa(end)
	}
	return res, nil
}

func (f *fakeBackend) Recording(_ context.Context, u User, id string) (store.Recording, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.recs {
		if r.ID == id && f.allows(u, r) {
			return r, nil
		}
	}
	return store.Recording{}, ErrNotFound
}

func (f *fakeBackend) ServeMedia(w http.ResponseWriter, r *http.Request, _ store.Recording, file store.FileRef) {
	f.mu.Lock()
	b := f.media[file.ID]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "video/webm")
	http.ServeContent(w, r, file.Name, time.Time{}, bytes.NewReader(b))
}

func (f *fakeBackend) Bookmarks(_ context.Context, _ User, rec string) ([]Bookmark, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Bookmark
	for _, b := range f.bookmarks {
		if b.Recording == rec {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Bookmark) int { return int((a.At - b.At) * 1000) })
	return out, nil
}

func (f *fakeBackend) AddBookmark(_ context.Context, u User, b Bookmark) (Bookmark, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	b.ID, b.By, b.Created = "b"+strconv.Itoa(f.seq), u.ID, time.Now()
	f.bookmarks = append(f.bookmarks, b)
	return b, nil
}

func (f *fakeBackend) DeleteBookmark(_ context.Context, u User, rec, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.bookmarks, func(b Bookmark) bool { return b.ID == id && b.Recording == rec && b.By == u.ID })
	if i < 0 {
		return ErrNotFound
	}
	f.bookmarks = slices.Delete(f.bookmarks, i, i+1)
	return nil
}

func (f *fakeBackend) SavedSearches(_ context.Context, u User) ([]SavedSearch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.searches[u.ID]), nil
}

func (f *fakeBackend) SaveSearch(_ context.Context, u User, s SavedSearch) (SavedSearch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	s.ID = "s" + strconv.Itoa(f.seq)
	f.searches[u.ID] = append(f.searches[u.ID], s)
	return s, nil
}

func (f *fakeBackend) DeleteSearch(_ context.Context, u User, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.searches[u.ID] = slices.DeleteFunc(f.searches[u.ID], func(s SavedSearch) bool { return s.ID == id })
	return nil
}

func (f *fakeBackend) Stats(context.Context, User, time.Time, time.Time) (Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats, nil
}

func (f *fakeBackend) LogAccess(_ context.Context, a Access) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.access = append(f.access, a)
	return nil
}

func (f *fakeBackend) accesses() []Access {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.access)
}

func (f *fakeBackend) Directory(context.Context) ([]Team, []Person, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ps []Person
	for _, u := range f.users {
		ps = append(ps, Person{ID: u.ID, Name: u.Name, Role: u.Role, Team: u.Team, Locked: f.fails[u.ID] >= lockAfter})
	}
	return slices.Clone(f.teams), ps, nil
}

var _ Backend = (*fakeBackend)(nil)
