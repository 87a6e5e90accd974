package webapp

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages are the parsed templates: each page is layout.html with its own
// file's "content" (and "title").
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"clock":     clock,
	"dur":       fmtDur,
	"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"day":       func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"bytes":     fmtBytes,
	"join":      strings.Join,
	"kindName":  kindName,
	"member":    memberOf,
	"stamp":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"seconds":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"short":     short,
	"chatFiles": chatFiles,
	"nextPart":  nextPart,
}

// memberRow is one user's row of the users page, with what its forms need.
type memberRow struct {
	P              Person
	CSRF           string
	ReadOnly       bool
	Roles, TeamIDs []string
}

// memberOf is the users page's row of p.
func memberOf(v view, p Person) memberRow {
	ap, _ := v.Page.(adminPage)
	return memberRow{P: p, CSRF: v.CSRF, ReadOnly: ap.ReadOnly, Roles: ap.Roles, TeamIDs: ap.TeamIDs}
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("webapp: template %s: %w", n, err)
		}
		p.byName[base] = t
	}
	return p, nil
}

// view is what every page gets: who is logged in, the form token, which
// section is open, and the page's own data.
type view struct {
	User   *User
	Rights Rights
	CSRF   string
	Title  string
	Active string
	Page   any
}

type messagePage struct {
	Title   string
	Message string
	Back    string
}

// render writes page name with data for the request's session.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s := sessionOf(r.Context())
	if s == nil {
		s, _ = a.current(r)
	}
	a.renderWith(w, r, s, status, name, data)
}

func (a *App) renderWith(w http.ResponseWriter, r *http.Request, s *appSession, status int, name string, data any) {
	t, ok := a.pages.byName[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	v := view{Active: name, Page: data}
	if m, ok := data.(messagePage); ok {
		v.Title = m.Title
	}
	if s != nil {
		v.CSRF = s.csrf
		if s.user != nil {
			v.User = s.user
			v.Rights = a.b.Rights(*s.user)
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		a.o.Log.Error("webapp: render", "page", name, "err", err)
		http.Error(w, "the page could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// notFound is the one answer for what does not exist and for what is not
// the user's to see (R-V8).
func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found",
		Message: "No such recording, or not yours to see."})
}

// noSuchPage is the 404 of a page the user may not see: the same as an
// unknown page's, so its existence does not leak.
func (a *App) noSuchPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Message: "No such page.", Back: "/app/"})
}

func (a *App) unavailable(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.o.Log.Error("webapp: "+what, "err", err)
	a.render(w, r, http.StatusServiceUnavailable, "message", messagePage{Title: "Try again",
		Message: "The store cannot be read just now (" + what + "). Try again in a moment."})
}

func (a *App) serveStatic() http.Handler {
	files := http.FileServerFS(a.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// short is the start of a long hash, for a table cell.
func short(s string) string {
	if len(s) <= 12 {
		return s
	}
	return s[:12] + "…"
}

// clock writes seconds as m:ss or h:mm:ss.
func clock(sec float64) string {
	if sec < 0 {
		sec = 0
	}
	s := int(sec)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func fmtDur(d time.Duration) string { return clock(d.Seconds()) }

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for f >= unit && i < 4 {
		f /= unit
		i++
	}
	if f >= 100 || f == float64(int64(f)) {
		return fmt.Sprintf("%.0f %ciB", f, "KMGTP"[i])
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[i])
}

// kinds are the recording kinds (session.Kind's wire names) and how the
// pages name them.
var kinds = []struct{ Value, Label string }{
	{"record", "Ad hoc"}, {"snip", "Snippet"}, {"auto", "Automatic"}, {"fulltime", "Full-time"},
	{"selective", "Selective"}, {"dynamic", "Dynamic"}, {"abuse", "Abuse"},
}

func kindName(k string) string {
	for _, x := range kinds {
		if x.Value == k {
			return x.Label
		}
	}
	return k
}
