package hub

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
)

// AuditConfig is the top-level "audit:" section: the tamper-evident audit
// log (issue 13, docs/audit.md).
type AuditConfig struct {
	// CheckpointEvery is how often the hub signs a checkpoint of the log
	// when entries were added since the last (and it signs one as it
	// stops). 0: a minute.
	CheckpointEvery time.Duration `yaml:"checkpoint_every"`
	// CheckpointDir, when set, gets a copy of every checkpoint as it is
	// made: a folder on another disk or machine, out of reach of whoever
	// could rewrite the store.
	CheckpointDir string `yaml:"checkpoint_dir"`
	// CheckpointURL, when set, is POSTed every checkpoint as it is made
	// (text/plain, the signed note), tried again with backoff: a witness
	// or a log collector elsewhere.
	CheckpointURL string `yaml:"checkpoint_url"`
	// KeyFile is the checkpoints' Ed25519 signing key (made at first start,
	// mode 0600). "": audit.key in store.dir.
	KeyFile string `yaml:"key_file"`
}

// DefaultCheckpointEvery is audit.checkpoint_every's default.
const DefaultCheckpointEvery = time.Minute

// validateAudit checks the audit section.
func (c *Config) validateAudit(bad func(string, ...any)) {
	if c.Audit.CheckpointEvery < 0 || (c.Audit.CheckpointEvery > 0 && c.Audit.CheckpointEvery < 100*time.Millisecond) {
		bad("audit.checkpoint_every: %v is too short; use a duration such as 1m (at least 100ms)", c.Audit.CheckpointEvery)
	}
	if u := c.Audit.CheckpointURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad("audit.checkpoint_url: %q is not an http or https URL, e.g. https://witness.example.org/agentdesk", u)
		}
	}
}

// AuditKeyFile is where the hub keeps the audit log's signing key: the
// config's audit.key_file, else audit.key in the store folder ("" for a
// hub without one: its key lives in memory).
func AuditKeyFile(cfg *Config) string {
	if cfg.Audit.KeyFile != "" {
		return cfg.Audit.KeyFile
	}
	if cfg.Store.Dir == "" {
		return ""
	}
	return filepath.Join(cfg.Store.Dir, audit.KeyFile)
}

// openAudit starts the audit log on the store (nil when the store keeps
// none), with its key and its checkpoint timer.
func (s *Server) openAudit(raw store.Store) error {
	al, ok := raw.(store.AuditLog)
	if !ok {
		s.log.Warn("the store keeps no audit log")
		return nil
	}
	var signer note.Signer
	if path := AuditKeyFile(s.cfg); path != "" {
		sg, _, err := audit.LoadOrCreateKey(path, audit.DefaultKeyName)
		if err != nil {
			return err
		}
		signer = sg
	} else {
		skey, _, err := note.GenerateKey(rand.Reader, audit.DefaultKeyName)
		if err != nil {
			return fmt.Errorf("audit: key: %w", err)
		}
		if signer, err = note.NewSigner(skey); err != nil {
			return fmt.Errorf("audit: key: %w", err)
		}
	}
	every := s.cfg.Audit.CheckpointEvery
	if every <= 0 {
		every = DefaultCheckpointEvery
	}
	l, err := audit.Open(context.Background(), al, audit.Options{Signer: signer, Every: every,
		Dir: s.cfg.Audit.CheckpointDir, URL: s.cfg.Audit.CheckpointURL, Now: s.clock.Now, Log: s.log})
	if err != nil {
		return err
	}
	s.audit = l
	s.tokens.OnLogin(s.loginAudited)
	s.tokens.OnReload(s.usersReloaded)
	if err := s.auditMissed(context.Background(), al); err != nil {
		s.log.Error("audit: the accesses left unaudited by the last run", "err", err)
	}
	return nil
}

// fromAccessLog reports whether an entry audits an access of the access
// log (every entry with an id but a stored file's or an erasure's).
func fromAccessLog(e audit.Entry) bool {
	return e.ID != "" && e.Action != audit.ActionStored && e.Action != ActionErase && e.Action != audit.ActionLogin
}

// auditMissed appends, marked late, the accesses the access log kept
// after the last one audited: a hub killed between the two left them
// (each is two commits), and a store older than the audit log holds its
// whole access log so. It reads the audit log's tail, further back while
// it finds no access.
func (s *Server) auditMissed(ctx context.Context, al store.AuditLog) error {
	size := s.audit.Size()
	last := ""
	for back := int64(1000); ; back *= 100 {
		from := max(0, size-back)
		err := s.audit.Scan(ctx, from, func(e audit.Entry) error {
			if fromAccessLog(e) {
				last = e.ID
			}
			return nil
		})
		if err != nil {
			return err
		}
		if last != "" || from == 0 {
			break
		}
	}
	n := 0
	for {
		page, err := al.AccessesAfter(ctx, last, 1000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		es := make([]audit.Entry, len(page))
		for i, a := range page {
			es[i] = audit.FromAccess(a)
			es[i].Late = true
		}
		if _, err := s.audit.AppendBatch(ctx, es); err != nil {
			return err
		}
		n += len(page)
		last = page[len(page)-1].ID
	}
	if n > 0 {
		s.log.Warn("audit: accesses logged but not audited (the hub stopped in between, or they predate the audit log) were audited now, marked late", "accesses", n)
	}
	return nil
}

// Audit is the hub's audit log (nil when its store keeps none).
func (s *Server) Audit() *audit.Log { return s.audit }

// audited appends e to the audit log; a failure is an error in the hub's
// log (what was audited has happened already).
func (s *Server) audited(ctx context.Context, e audit.Entry) {
	if s.audit == nil {
		return
	}
	if _, err := s.audit.Append(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit: append", "err", err, "action", e.Action, "user", e.User)
	}
}

// loginAudited keeps a login, failed or not, in the audit log.
func (s *Server) loginAudited(a auth.LoginAttempt) {
	e := audit.Entry{Action: audit.ActionLogin, At: s.clock.Now().UTC().Format(time.RFC3339Nano), User: a.User,
		Role: a.Caller.Role, From: a.From, Outcome: store.OutcomeOK}
	switch {
	case errors.Is(a.Err, auth.ErrLockedOut):
		e.Outcome = audit.OutcomeLocked
	case a.Err != nil:
		e.Outcome = store.OutcomeDenied
	}
	s.audited(context.Background(), e)
}

// auditedStore is the hub's store with every access logged (store.LogAccess,
// whoever calls it: the hub, its exports, the web app) and every stored
// file's arrival also appended to the audit log.
type auditedStore struct {
	store.Store
	s *Server
}

// LogAccess keeps the access and audits it.
func (a auditedStore) LogAccess(ctx context.Context, acc *store.Access) error {
	err := a.Store.LogAccess(ctx, acc)
	if err == nil {
		a.s.audited(ctx, audit.FromAccess(*acc))
	}
	return err
}

// PutFile indexes a stored file and audits its arrival with its SHA-256.
func (a auditedStore) PutFile(ctx context.Context, f *store.File) error {
	err := a.Store.PutFile(ctx, f)
	if err == nil {
		a.s.audited(ctx, audit.FromFile(*f, f.Created))
	}
	return err
}

// closeAudit stops the audit log's timer and signs its last checkpoint.
func (s *Server) closeAudit() {
	if s.audit == nil {
		return
	}
	if err := s.audit.Close(context.Background()); err != nil {
		s.log.Error("audit: last checkpoint", "err", err)
	}
}

// ActionErase is the audit entry of a recording's file deleted at the
// customer's request (R-H6): its tombstone, never its content.
const ActionErase = "erase"

// erasedAudited appends an erasure's tombstones to the audit log: who
// decided ("agent ID" or "customer"), why, each file's SHA-256 and size.
func (s *Server) erasedAudited(stones []store.Tombstone) {
	for _, t := range stones {
		role, user, _ := strings.Cut(t.By, " ")
		if user == "" {
			user = role
		}
		meta, _ := json.Marshal(map[string]any{"file": t.File, "size": t.Size})
		s.audited(context.Background(), audit.Entry{Action: ActionErase, At: t.At.UTC().Format(time.RFC3339Nano),
			User: user, Role: role, Interaction: t.Interaction, Recording: t.Recording, ID: t.File, SHA256: t.SHA256,
			Metadata: meta, Reason: t.Why, Outcome: store.OutcomeOK})
	}
}

// UsersFileUser is who a change of the users file is audited as: the file
// was changed on the hub's machine (`chathub user`, or IT's own tools),
// by nobody the hub knows.
const UsersFileUser = "users_file"

// usersReloaded audits what changed in the users file when the hub read
// it again (by `chathub user` or IT): one entry per user or team, e.g.
// "user ada: role agent→supervisor". Never a password or a hash: only
// that it changed.
func (s *Server) usersReloaded(before, after auth.People) {
	at := s.clock.Now().UTC().Format(time.RFC3339Nano)
	for _, what := range peopleDiff(before, after) {
		s.audited(context.Background(), audit.Entry{Action: store.ActionUsers, At: at, User: UsersFileUser, Role: "it",
			From: s.cfg.Access.UsersFile, Query: what, Outcome: store.OutcomeOK})
	}
}

// peopleDiff says in words what changed from before to after, one line
// per team or user, teams first, each in id order.
func peopleDiff(before, after auth.People) []string {
	var out []string
	bt, at := map[string]auth.Team{}, map[string]auth.Team{}
	for _, t := range before.Teams {
		bt[t.Name] = t
	}
	for _, t := range after.Teams {
		at[t.Name] = t
	}
	for _, name := range sortedKeys(bt, at) {
		b, inB := bt[name]
		a, inA := at[name]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("team %s added%s", name, orNone(" under ", a.Parent)))
		case !inA:
			out = append(out, fmt.Sprintf("team %s removed", name))
		case a.Parent != b.Parent:
			out = append(out, fmt.Sprintf("team %s: parent %s→%s", name, dash(b.Parent), dash(a.Parent)))
		}
	}
	bu, au := map[string]auth.User{}, map[string]auth.User{}
	for _, u := range before.Users {
		bu[u.ID] = u
	}
	for _, u := range after.Users {
		au[u.ID] = u
	}
	for _, id := range sortedKeys(bu, au) {
		b, inB := bu[id]
		a, inA := au[id]
		switch {
		case !inB:
			d := fmt.Sprintf("user %s added: role %s%s%s", id, a.Role, orNone(", team ", a.Team), orNone(", name ", a.Name))
			if a.Password != "" {
				d += ", password set"
			}
			if a.Disabled {
				d += ", disabled"
			}
			out = append(out, d+tokensDiff(nil, a.Tokens))
		case !inA:
			out = append(out, fmt.Sprintf("user %s removed (was %s%s)", id, b.Role, orNone(", team ", b.Team)))
		default:
			var ch []string
			for _, f := range [][3]string{{"role", b.Role, a.Role}, {"team", b.Team, a.Team}, {"name", b.Name, a.Name}} {
				if f[1] != f[2] {
					ch = append(ch, fmt.Sprintf("%s %s→%s", f[0], dash(f[1]), dash(f[2])))
				}
			}
			switch {
			case a.Password != b.Password && a.Password == "":
				ch = append(ch, "password removed")
			case a.Password != b.Password:
				ch = append(ch, "password changed")
			}
			if a.Disabled != b.Disabled {
				ch = append(ch, map[bool]string{true: "disabled", false: "enabled"}[a.Disabled])
			}
			if d := tokensDiff(b.Tokens, a.Tokens); d != "" {
				ch = append(ch, strings.TrimPrefix(d, ", "))
			}
			if len(ch) > 0 {
				out = append(out, fmt.Sprintf("user %s: %s", id, strings.Join(ch, ", ")))
			}
		}
	}
	return out
}

// tokensDiff names the API tokens added and removed (by name, never their
// hash), each after ", ".
func tokensDiff(before, after []auth.UserToken) string {
	has := func(ts []auth.UserToken, t auth.UserToken) bool { return slices.Contains(ts, t) }
	var out string
	for _, t := range after {
		if !has(before, t) {
			out += ", token " + t.Name + " added"
		}
	}
	for _, t := range before {
		if !has(after, t) {
			out += ", token " + t.Name + " removed"
		}
	}
	return out
}

func sortedKeys[V any](a, b map[string]V) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
