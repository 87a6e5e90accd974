package webapp

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// maxTags bounds the configured metadata tags (R-V7).
const maxTags = 10

// searchKeys are the search form's fields, in the query string as the
// recording API spells them (GET /v1/recordings).
var searchKeys = []string{"agent", "team", "from", "to", "customer", "contact", "queue", "kind", "disposition",
	"partition", "min_duration", "max_duration", "screen", "voice", "q", "sort", "order"}

// sortable are the result table's columns that sort (sort=column,
// order=asc|desc, as store.ParseQuery reads them).
var sortable = []struct{ Key, Label string }{
	{"finished", "Finished"}, {"agent", "Agent"}, {"customer", "Customer"}, {"queue", "Queue"},
	{"kind", "Kind"}, {"disposition", "Disposition"}, {"duration", "Length"},
}

// Parser is a Backend that parses a search's query itself (the store's
// shared parser, and the team through the directory): the web app then
// uses it instead of its own. Ignored names the fields it could not
// apply.
type Parser interface {
	ParseQuery(q url.Values) (f store.RecordingFilter, ignored []string, err error)
}

type tagField struct{ Key, Name, Value string }

type resultRow struct {
	ID, Name, Agent, Customer, Queue, Kind string
	Disposition                            string
	Why                                    string // why it was not stored ("" when it was)
	Finished                               time.Time
	Length                                 time.Duration
	Screen, Voice                          bool
	Lines                                  int
}

type sortLink struct {
	Label, URL string
	Active     bool
	Desc       bool
}

type searchPage struct {
	Q         url.Values
	Kinds     []struct{ Value, Label string }
	Tags      []tagField
	Rows      []resultRow
	Total     int
	Next      string
	Sorts     []sortLink
	Saved     []SavedSearch
	Query     string // the current search's query string (no cursor)
	ExportURL string
	Ignored   []string
	Error     string
	Searched  bool
}

// cleanQuery keeps the search's own fields of q (no cursor, no token).
func (a *App) cleanQuery(q url.Values) url.Values {
	out := url.Values{}
	keep := func(k string) {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	for _, k := range searchKeys {
		keep(k)
	}
	for _, t := range a.o.Tags {
		keep("tag." + t)
	}
	return out
}

func (a *App) search(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r.Context())
	u := *s.user
	q := a.cleanQuery(r.URL.Query())
	p := searchPage{Q: q, Kinds: kinds, Query: q.Encode()}
	for _, t := range a.o.Tags {
		p.Tags = append(p.Tags, tagField{Key: "tag." + t, Name: t, Value: q.Get("tag." + t)})
	}
	cur, desc := q.Get("sort"), q.Get("order") == "desc"
	for _, c := range sortable {
		l := sortLink{Label: c.Label, Active: cur == c.Key, Desc: cur == c.Key && desc}
		nq := cloneValues(q)
		nq.Set("sort", c.Key)
		nq.Del("order")
		if l.Active && !l.Desc {
			nq.Set("order", "desc")
		}
		l.URL = "/app/recordings?" + nq.Encode()
		p.Sorts = append(p.Sorts, l)
	}
	if saved, err := a.b.SavedSearches(r.Context(), u); err == nil {
		p.Saved = saved
	} else {
		a.o.Log.Error("webapp: saved searches", "err", err)
	}
	full := cloneValues(q)
	if c := r.URL.Query().Get("cursor"); c != "" {
		full.Set("cursor", c)
	}
	f, ignored, err := a.parse(full)
	p.Ignored = ignored
	if err != nil {
		p.Error = err.Error()
		a.render(w, r, http.StatusBadRequest, "search", p)
		return
	}
	f.Limit, f.Count = pageSize, true
	res, err := a.b.Search(r.Context(), u, f)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		p.Error = "That page link is out of date: start the search again."
		a.render(w, r, http.StatusBadRequest, "search", p)
		return
	case errors.Is(err, store.ErrBadFilter):
		p.Error = strings.TrimPrefix(err.Error(), "store: ")
		a.render(w, r, http.StatusBadRequest, "search", p)
		return
	case err != nil:
		a.unavailable(w, r, "search", err)
		return
	}
	a.logAccess(r, Access{Action: "search", Query: q.Encode()})
	p.Searched, p.Total = true, res.Total
	for _, rec := range res.Recordings {
		p.Rows = append(p.Rows, rowOf(rec))
	}
	if res.Next != "" {
		nq := cloneValues(q)
		nq.Set("cursor", res.Next)
		p.Next = "/app/recordings?" + nq.Encode()
	}
	if a.b.Rights(u).Export {
		p.ExportURL = "/app/export.csv?" + q.Encode()
	}
	a.render(w, r, http.StatusOK, "search", p)
}

func rowOf(rec store.Recording) resultRow {
	return resultRow{ID: rec.ID, Name: rec.Name, Agent: rec.Agent, Customer: rec.Customer, Queue: rec.Queue,
		Kind: rec.Kind, Disposition: rec.Disposition, Finished: rec.FinishedAt, Length: NewTimeline(rec).Length(), Screen: rec.Screen,
		Voice: rec.Voice, Lines: len(rec.Lines), Why: whyNot(rec)}
}

// whyNot says why a recording has no stored file ("" when it has one).
func whyNot(rec store.Recording) string {
	switch {
	case !rec.Produced && rec.Why != "":
		return rec.Why
	case !rec.Produced:
		return "not produced"
	case len(rec.Files) == 0:
		return "no file uploaded yet"
	}
	return ""
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// parse turns a search's query string into a filter, and names the
// fields it had to leave out because the store cannot filter on them:
// the Backend's parser when it has one, else localParseQuery.
func (a *App) parse(q url.Values) (store.RecordingFilter, []string, error) {
	if p, ok := a.b.(Parser); ok {
		return p.ParseQuery(q)
	}
	return localParseQuery(q)
}

// localParseQuery is the store's parser (store.ParseQuery, the one of GET
// /v1/recordings); the team, which needs the directory, it cannot apply.
func localParseQuery(q url.Values) (store.RecordingFilter, []string, error) {
	f, err := store.ParseQuery(q)
	if err != nil {
		return f, nil, err
	}
	var ignored []string
	if q.Get("team") != "" {
		ignored = append(ignored, "team")
	}
	return f, ignored, nil
}

// export writes the whole result set as CSV (compliance and admin).
func (a *App) export(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	if !a.b.Rights(u).Export {
		a.notFound(w, r)
		return
	}
	q := a.cleanQuery(r.URL.Query())
	f, _, err := a.parse(q)
	if err != nil {
		a.render(w, r, http.StatusBadRequest, "message", messagePage{Title: "Bad search", Message: err.Error(), Back: "/app/"})
		return
	}
	f.Limit = 1000
	a.logAccess(r, Access{Action: "export", Query: q.Encode()})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="recordings.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "name", "finished", "agent", "customer", "queue", "kind", "length_s", "screen", "file_id", "sha256", "size"})
	for n := 0; n < maxExport; {
		res, err := a.b.Search(r.Context(), u, f)
		if err != nil {
			a.o.Log.Error("webapp: export", "err", err)
			_ = cw.Write([]string{"# the export stopped: the store could not be read"})
			break
		}
		for _, rec := range res.Recordings {
			row := []string{rec.ID, rec.Name, rec.FinishedAt.UTC().Format(time.RFC3339), rec.Agent, rec.Customer, rec.Queue,
				rec.Kind, strconv.FormatFloat(NewTimeline(rec).Length().Seconds(), 'f', 1, 64), strconv.FormatBool(rec.Screen)}
			if len(rec.Files) == 0 {
				_ = cw.Write(safeCSV(append(row, "", "", "")))
			}
			for _, fr := range rec.Files {
				_ = cw.Write(safeCSV(append(slices.Clone(row), fr.ID, fr.SHA256, strconv.FormatInt(fr.Size, 10))))
			}
			n++
		}
		if res.Next == "" {
			break
		}
		f.Cursor = res.Next
	}
	cw.Flush()
}

const maxExport = 100000

func (a *App) saveSearch(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	name := strings.TrimSpace(r.PostFormValue("name"))
	raw, _ := url.ParseQuery(r.PostFormValue("query"))
	q := a.cleanQuery(raw)
	if name == "" || len(name) > 100 {
		a.render(w, r, http.StatusBadRequest, "message", messagePage{Title: "Not saved",
			Message: "Give the search a name (at most 100 characters).", Back: "/app/recordings?" + q.Encode()})
		return
	}
	if _, err := a.b.SaveSearch(r.Context(), u, SavedSearch{Name: name, Query: q.Encode()}); err != nil {
		a.unavailable(w, r, "save a search", err)
		return
	}
	http.Redirect(w, r, "/app/recordings?"+q.Encode(), http.StatusSeeOther)
}

func (a *App) deleteSearch(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	err := a.b.DeleteSearch(r.Context(), u, r.PathValue("sid"))
	if err != nil && !errors.Is(err, ErrNotFound) {
		a.unavailable(w, r, "delete a saved search", err)
		return
	}
	http.Redirect(w, r, "/app/", http.StatusSeeOther)
}

// recAccess is an access to rec.
func recAccess(action string, rec store.Recording) Access {
	return Access{Action: action, Recording: rec.ID, Interaction: rec.Interaction, Customer: rec.Customer, Kind: rec.Kind}
}

// logAccess records an access by the request's user.
func (a *App) logAccess(r *http.Request, acc Access) {
	u := sessionOf(r.Context()).user
	acc.At, acc.User, acc.Role, acc.From = a.o.Now().UTC(), u.ID, u.Role, a.o.ClientIP(r)
	if acc.Outcome == "" {
		acc.Outcome = OutcomeOK
	}
	if err := a.b.LogAccess(r.Context(), acc); err != nil {
		a.o.Log.Error("webapp: access log", "err", err)
	}
}
