package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
)

// Errors of Login.
var (
	// ErrBadLogin: the user is unknown, disabled, has no password, or the
	// password is wrong. Which of these is never told.
	ErrBadLogin = errors.New("wrong user or password")
	// ErrLockedOut: too many failed logins for the user, or from the
	// address, in a row; LockedOut says until when.
	ErrLockedOut = errors.New("too many failed logins")
)

// LockedOut is ErrLockedOut with the time it ends.
type LockedOut struct{ Until time.Time }

func (e *LockedOut) Error() string {
	return fmt.Sprintf("%v: try again after %s", ErrLockedOut, e.Until.UTC().Format("15:04:05 UTC"))
}

// Unwrap makes errors.Is(err, ErrLockedOut) true.
func (e *LockedOut) Unwrap() error { return ErrLockedOut }

// Options build a Directory.
type Options struct {
	People People // the config's teams: and users:
	// File is the users file IT pushes (store.users_file); "" for none.
	// It is read again when it changes (checked at most every
	// ReloadEvery), and a file that does not validate is logged and the
	// previous one kept.
	File        string
	ReloadEvery time.Duration // 0: 2 s
	Agents      []Agent       // the config's agents: their desktop tokens and teams
	Services    []api.Token   // the config's recording API tokens: see every recording
	// ReasonRequired lists the roles that must give a reason code before
	// they play a recording (access.reason_required).
	ReasonRequired []string
	// Failures failed logins in a row lock a user (and 4×Failures an
	// address) out for LockFor. 0: 5 and 15 minutes.
	Failures int
	LockFor  time.Duration
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger
}

// Directory answers who a caller is and what they may see. Safe for
// concurrent use.
type Directory struct {
	o     Options
	now   func() time.Time
	log   *slog.Logger
	fixed *api.Tokens // agents' and services' tokens from the config

	edit    sync.Mutex // serialises Edit
	mu      sync.Mutex
	snap    *snapshot
	checked time.Time // when File was last looked at
	modTime time.Time
	size    int64
	fails   map[string]*failures // "user:ID" and "addr:IP"
	onLogin func(LoginAttempt)   // the audit log's hook (OnLogin)
	// onReload is told of the users file read again (OnReload).
	onReload func(before, after People)
}

// OnReload sets f to be told of each time the users file is read again
// because it changed (by `chathub user` or IT), with the people before and
// after (not of Edit's changes). f runs on the caller's goroutine.
func (d *Directory) OnReload(f func(before, after People)) {
	d.mu.Lock()
	d.onReload = f
	d.mu.Unlock()
}

// LoginAttempt is one call of Login as the audit log keeps it: the user
// named, the address, who logged in (when it worked) and the error.
type LoginAttempt struct {
	User, From string
	Caller     api.Caller
	Err        error // nil, ErrBadLogin or a *LockedOut
}

// OnLogin sets f to be told of every Login, after it is decided (the hub's
// audit log, issue 13). f runs on the caller's goroutine.
func (d *Directory) OnLogin(f func(LoginAttempt)) {
	d.mu.Lock()
	d.onLogin = f
	d.mu.Unlock()
}

// snapshot is the people as last loaded.
type snapshot struct {
	users     map[string]User
	tokens    map[string]api.Caller // token SHA-256 → its user
	parent    map[string]string     // team → parent
	agentTeam map[string]string     // agent id → team
	teams     []Team
	list      []User
}

type failures struct {
	n     int
	until time.Time
	last  time.Time
}

// New builds a Directory, reading the users file if there is one.
func New(o Options) (*Directory, error) {
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 2 * time.Second
	}
	if o.Failures <= 0 {
		o.Failures = 5
	}
	if o.LockFor <= 0 {
		o.LockFor = 15 * time.Minute
	}
	d := &Directory{o: o, now: o.Now, log: o.Log, fails: map[string]*failures{}}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	list := slices.Clone(o.Services)
	for _, a := range o.Agents {
		list = append(list, api.Token{Secret: a.Token, Caller: api.Caller{Role: api.RoleAgent, ID: a.ID, Name: a.Name, Team: a.Team}})
	}
	for i := range list[:len(o.Services)] {
		list[i].Caller.Service = true
	}
	d.fixed = api.NewTokens(list...)
	snap, err := d.load()
	if err != nil {
		return nil, err
	}
	d.snap, d.checked = snap, d.now()
	return d, nil
}

// load reads the users file and builds a snapshot of everyone.
func (d *Directory) load() (*snapshot, error) {
	p := d.o.People
	if d.o.File != "" {
		if fi, err := os.Stat(d.o.File); err == nil {
			d.modTime, d.size = fi.ModTime(), fi.Size()
		}
		f, err := ReadPeople(d.o.File)
		if err != nil {
			return nil, err
		}
		p = p.Merge(f)
	}
	if err := p.Validate(d.o.Agents); err != nil && p.Validate(nil) == nil {
		// Only agents' teams are unknown: the users file that declares
		// them may not be pushed yet. Their supervisors see nothing of
		// them until it is.
		d.log.Warn("agents name teams nobody declared", "err", err)
	} else if err != nil {
		if d.o.File != "" {
			return nil, fmt.Errorf("users (config and %s): %w", d.o.File, err)
		}
		return nil, fmt.Errorf("users: %w", err)
	}
	s := &snapshot{users: map[string]User{}, tokens: map[string]api.Caller{}, parent: map[string]string{},
		agentTeam: map[string]string{}, teams: p.Teams, list: p.Users}
	for _, t := range p.Teams {
		s.parent[t.Name] = t.Parent
	}
	for _, a := range d.o.Agents {
		s.agentTeam[a.ID] = a.Team
	}
	for _, u := range p.Users {
		s.users[u.ID] = u
		if u.Role == api.RoleAgent && u.Team != "" {
			s.agentTeam[u.ID] = u.Team
		}
		if u.Disabled {
			continue
		}
		for _, t := range u.Tokens {
			s.tokens[t.SHA256] = api.Caller{Role: u.Role, ID: u.ID, Name: u.Name, Team: u.Team}
		}
	}
	return s, nil
}

// current is the snapshot, re-read first when the users file changed
// (then OnReload's hook is told, outside the lock).
func (d *Directory) current() *snapshot {
	d.mu.Lock()
	before, f := d.snap, d.onReload
	snap := d.reread()
	d.mu.Unlock()
	if snap != before && f != nil {
		f(People{Teams: before.teams, Users: before.list}, People{Teams: snap.teams, Users: snap.list})
	}
	return snap
}

// reread is the snapshot, re-read first when the users file changed; the
// caller holds mu.
func (d *Directory) reread() *snapshot {
	now := d.now()
	if d.o.File == "" || now.Sub(d.checked) < d.o.ReloadEvery {
		return d.snap
	}
	d.checked = now
	fi, err := os.Stat(d.o.File)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return d.snap
	}
	if err == nil && fi.ModTime().Equal(d.modTime) && fi.Size() == d.size {
		return d.snap
	}
	if err != nil && d.modTime.IsZero() {
		return d.snap
	}
	if err != nil {
		d.modTime, d.size = time.Time{}, 0
	}
	snap, lerr := d.load()
	if lerr != nil {
		d.log.Error("users file: kept the previous users", "file", d.o.File, "err", lerr)
		return d.snap
	}
	d.log.Info("users file read again", "file", d.o.File, "users", len(snap.list), "teams", len(snap.teams))
	d.snap = snap
	return snap
}

// Users lists the users, as the config and the users file give them
// (their hashes too: callers must not show them).
func (d *Directory) Users() []User { return slices.Clone(d.current().list) }

// Teams lists the teams.
func (d *Directory) Teams() []Team { return slices.Clone(d.current().teams) }

// User returns the user with id.
func (d *Directory) User(id string) (User, bool) {
	u, ok := d.current().users[id]
	return u, ok
}

// ReasonRequired reports whether role must give a reason code before
// playing a recording.
func (d *Directory) ReasonRequired(role string) bool {
	return slices.Contains(d.o.ReasonRequired, role)
}

// Login checks a user's password. After Failures wrong ones in a row the
// user is locked out for LockFor, and after 4×Failures from one address
// that address is; a locked login is not even checked. An unknown user
// costs the same hash as a known one, so timing does not tell who exists.
func (d *Directory) Login(id, password, from string) (c api.Caller, err error) {
	defer func() {
		d.mu.Lock()
		f := d.onLogin
		d.mu.Unlock()
		if f != nil {
			f(LoginAttempt{User: id, From: from, Caller: c, Err: err})
		}
	}()
	now := d.now()
	ukey, akey := "user:"+id, "addr:"+from
	if until := d.locked(now, ukey, akey); !until.IsZero() {
		return api.Caller{}, &LockedOut{Until: until}
	}
	u, ok := d.current().users[id]
	hash := u.Password
	if !ok || u.Disabled || hash == "" {
		hash = dummyHash
	}
	if checkPassword(hash, password) && ok && !u.Disabled && u.Password != "" {
		d.mu.Lock()
		delete(d.fails, ukey)
		d.mu.Unlock()
		return api.Caller{Role: u.Role, ID: u.ID, Name: u.Name, Team: u.Team}, nil
	}
	d.fail(now, ukey, d.o.Failures)
	if from != "" {
		d.fail(now, akey, 4*d.o.Failures)
	}
	return api.Caller{}, ErrBadLogin
}

// maxFailures bounds the lock-out table: a flood of made-up user names
// must not grow it without end.
const maxFailures = 100_000

// locked returns when the latest lock of keys ends (zero: none).
func (d *Directory) locked(now time.Time, keys ...string) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	var until time.Time
	for _, k := range keys {
		if f := d.fails[k]; f != nil && f.until.After(now) && f.until.After(until) {
			until = f.until
		}
	}
	return until
}

// fail counts a failed login against key and locks it at limit.
func (d *Directory) fail(now time.Time, key string, limit int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.fails) >= maxFailures {
		for k, f := range d.fails {
			if now.Sub(f.last) > d.o.LockFor && !f.until.After(now) {
				delete(d.fails, k)
			}
		}
		if len(d.fails) >= maxFailures {
			return // full of fresh failures: count no more until they age
		}
	}
	f := d.fails[key]
	if f == nil || now.Sub(f.last) > d.o.LockFor {
		f = &failures{}
		d.fails[key] = f
	}
	f.n++
	f.last = now
	if f.n >= limit {
		f.until, f.n = now.Add(d.o.LockFor), 0
	}
}

// TokenPrefix starts every per-user API token.
const TokenPrefix = "adk_"

// NewToken makes a per-user API token: the secret to hand out once, and
// the SHA-256 to keep.
func NewToken() (secret, sum string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, TokenSum(secret), nil
}

// TokenSum is a token's SHA-256 in hex, as the users file keeps it.
func TokenSum(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Lookup finds who a token names: an agent's desktop token, a recording
// API token of the config, or a user's own API token.
func (d *Directory) Lookup(secret string) (api.Caller, bool) {
	if c, ok := d.fixed.Lookup(secret); ok {
		return c, true
	}
	if !strings.HasPrefix(secret, TokenPrefix) {
		return api.Caller{}, false
	}
	c, ok := d.current().tokens[TokenSum(secret)]
	return c, ok
}

// FromRequest finds the caller by "Authorization: Bearer" or, when query
// is true, the access_token parameter.
func (d *Directory) FromRequest(r *http.Request, query bool) (api.Caller, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && query {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" {
		return api.Caller{}, false
	}
	return d.Lookup(tok)
}
