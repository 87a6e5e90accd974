package webapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// CookieName is the session cookie's name.
const CookieName = "agentdesk_app"

// appSession is one browser's: anonymous until a log-in (it then carries
// the CSRF token of the log-in form), then a user's.
type appSession struct {
	id       string
	csrf     string
	user     *User
	created  time.Time
	lastSeen time.Time
	reasons  map[string]string // recording id → the reason code given to play it
	played   map[string]bool   // recordings whose playing is already logged
}

// sessions holds the sessions in memory.
type sessions struct {
	mu   sync.Mutex
	o    Options
	byID map[string]*appSession
}

func newSessions(o Options) *sessions { return &sessions{o: o, byID: map[string]*appSession{}} }

// randomID is 256 random bits, URL-safe.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// alive reports whether s may still be used at now.
func (ss *sessions) alive(s *appSession, now time.Time) bool {
	if s.user == nil { // a log-in form's: short-lived
		return now.Sub(s.created) < ss.o.IdleTimeout
	}
	return now.Sub(s.lastSeen) < ss.o.IdleTimeout && now.Sub(s.created) < ss.o.MaxAge
}

// get returns the live session of id and marks it used.
func (ss *sessions) get(id string) (*appSession, bool) {
	now := ss.o.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok {
		return nil, false
	}
	if !ss.alive(s, now) {
		delete(ss.byID, id)
		return nil, false
	}
	s.lastSeen = now
	return s, true
}

// create makes a new session for u (nil: anonymous). Over the cap it
// evicts the dead ones, then the least recently used anonymous one (a
// flood of log-in forms must not end people's sessions), then the least
// recently used.
func (ss *sessions) create(u *User) *appSession {
	now := ss.o.Now()
	s := &appSession{id: randomID(), csrf: randomID(), user: u, created: now, lastSeen: now,
		reasons: map[string]string{}, played: map[string]bool{}}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.o.MaxSessions {
		var oldAnon, oldUser *appSession
		for id, o := range ss.byID {
			switch {
			case !ss.alive(o, now):
				delete(ss.byID, id)
			case o.user == nil && (oldAnon == nil || o.lastSeen.Before(oldAnon.lastSeen)):
				oldAnon = o
			case o.user != nil && (oldUser == nil || o.lastSeen.Before(oldUser.lastSeen)):
				oldUser = o
			}
		}
		if len(ss.byID) >= ss.o.MaxSessions {
			if oldAnon == nil {
				oldAnon = oldUser
			}
			delete(ss.byID, oldAnon.id)
		}
	}
	ss.byID[s.id] = s
	return s
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// with runs f on s under the lock (for its maps).
func (ss *sessions) with(f func()) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	f()
}

// setCookie sets the session cookie: HttpOnly, SameSite=Strict, and
// Secure when the request came over TLS (a plain-HTTP hub on loopback or
// a LAN would otherwise never get its cookie back).
func (a *App) setCookie(w http.ResponseWriter, r *http.Request, s *appSession) {
	// #nosec G124 -- Secure whenever the request came over TLS (Options.Secure)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: s.id, Path: "/app/", HttpOnly: true,
		Secure: a.o.Secure(r), SameSite: http.SameSiteStrictMode})
}

func (a *App) clearCookie(w http.ResponseWriter, r *http.Request) {
	// #nosec G124 -- as setCookie
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/app/", MaxAge: -1, HttpOnly: true,
		Secure: a.o.Secure(r), SameSite: http.SameSiteStrictMode})
}

// current is the request's live session, if any.
func (a *App) current(r *http.Request) (*appSession, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, false
	}
	return a.sessions.get(c.Value)
}

type ctxKey struct{}

func sessionOf(ctx context.Context) *appSession {
	s, _ := ctx.Value(ctxKey{}).(*appSession)
	return s
}

// authed lets logged-in users through (POSTs only with the session's
// CSRF token) and sends others to log in, then back.
func (a *App) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := a.current(r)
		if !ok || s.user == nil {
			if r.Method != http.MethodGet {
				a.forbidden(w, r, "You are not logged in (or your session ended): log in again, then repeat what you did.")
				return
			}
			http.Redirect(w, r, "/app/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !csrfOK(r, s) {
			a.csrfRefused(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

// withCSRF checks the token of an anonymous (log-in) session.
func (a *App) withCSRF(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := a.current(r)
		if !ok || !csrfOK(r, s) {
			a.csrfRefused(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	}
}

// csrfOK compares the form's (or the X-CSRF-Token header's) token with
// the session's in constant time.
func csrfOK(r *http.Request, s *appSession) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, maxForm)
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

const maxForm = 64 << 10

func (a *App) csrfRefused(w http.ResponseWriter, r *http.Request) {
	a.forbidden(w, r, "This form did not come with this site's security token, so it was not carried out. "+
		"It may have expired: go back, reload the page and try again.")
}

func (a *App) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	a.render(w, r, http.StatusForbidden, "message", messagePage{Title: "Refused", Message: msg})
}

// safeNext is where to go after log-in: a path of this app, nothing else
// (no other site, no scheme, no //host).
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/app/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(u.Path, "/app/login") {
		return "/app/"
	}
	return u.RequestURI()
}

// fragment is what a deep link may carry after #: a moment (#t=93).
var fragment = regexp.MustCompile(`^#t=[0-9]{1,6}(\.[0-9]{1,3})?$`)

type loginPage struct {
	Next    string
	User    string
	Error   string
	Expired bool
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, ok := a.current(r); ok && s.user != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther) // #nosec G710 -- safeNext keeps paths of /app/ only
		return
	}
	s := a.sessions.create(nil)
	a.setCookie(w, r, s)
	a.renderWith(w, r, s, http.StatusOK, "login", loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	anon := sessionOf(r.Context())
	id, pw := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	u, err := a.b.Login(r.Context(), id, pw, a.o.ClientIP(r))
	if err != nil {
		msg := "Wrong user or password."
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, ErrLockedOut):
			msg = "This account is locked after too many failed log-ins. Wait a while and try again, or ask an administrator."
			status = http.StatusTooManyRequests
		case !errors.Is(err, ErrBadLogin):
			a.o.Log.Error("webapp: log-in", "err", err)
			msg = "The hub cannot check log-ins just now; try again in a moment."
			status = http.StatusServiceUnavailable
		}
		a.renderWith(w, r, anon, status, "login", loginPage{Next: next, User: id, Error: msg})
		return
	}
	// A new id after log-in: a session fixed before it is worth nothing.
	a.sessions.drop(anon.id)
	s := a.sessions.create(&u)
	a.setCookie(w, r, s)
	if f := r.PostFormValue("fragment"); fragment.MatchString(f) {
		next += f
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	a.sessions.drop(sessionOf(r.Context()).id)
	a.clearCookie(w, r)
	http.Redirect(w, r, "/app/login", http.StatusSeeOther)
}
