package webapp

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AuditEntry is one entry of the hub's audit log as the audit page shows
// it (issue 13 point 3, R-V9).
type AuditEntry struct {
	Seq                            int64 // its leaf number in the tree
	At                             time.Time
	User, Role, From               string
	Action                         string
	Recording, Interaction         string
	Customer, Kind                 string
	Reason, Query, Outcome, SHA256 string
	Late                           bool // audited when the hub started, not as it happened
}

// AuditFilter selects audit entries; empty fields match all.
type AuditFilter struct {
	User, Recording, Action, Outcome string
	From, To                         time.Time // at in [From, To)
	Before                           int64     // entries before this leaf (a page's Next); 0: from the newest
	Limit                            int
}

// AuditPage is a page of entries, newest first: how many match in all,
// and the next (older) page's Before (0: none).
type AuditPage struct {
	Entries []AuditEntry
	Total   int
	Next    int64
}

// AuditCheckpoint is the newest signed checkpoint of the audit log.
type AuditCheckpoint struct {
	Size     int64
	At       time.Time
	Root     string // base64, as signed
	Verifier string // the name of the key that signed it
}

// Auditor is a Backend with an audit log (issue 13 point 3): the audit
// page (Rights.Audit) and a recording's access history (Rights.History).
// A Backend without it shows neither.
type Auditor interface {
	// AuditEntries lists a page of entries f selects.
	AuditEntries(ctx context.Context, u User, f AuditFilter) (AuditPage, error)
	// EachAuditEntry calls fn with every entry f selects, newest first,
	// at most f.Limit of them (0: all): the CSV export.
	EachAuditEntry(ctx context.Context, u User, f AuditFilter, fn func(AuditEntry) error) error
	// AuditCheckpoint is the newest signed checkpoint (ok false: none yet).
	AuditCheckpoint(ctx context.Context) (c AuditCheckpoint, ok bool, err error)
	// AccessHistory lists the accesses to a recording u may see (the page
	// already decided u may open it), newest first, at most limit, and
	// whether there are more: for an agent only views, playbacks and
	// downloads, without the address or the reason.
	AccessHistory(ctx context.Context, u User, recording string, limit int) ([]AuditEntry, bool, error)
}

// auditOutcomes are the outcomes an entry may have, for the filter.
var auditOutcomes = []string{"ok", "denied", "not_found", "failed", "locked", "retry"}

// auditActions are the actions the filter suggests (others are typed).
var auditActions = []string{"login", "search", "view", "play", "download", "export", "report", "bookmark", "users",
	"audit", "audit_export", "stored", "erase", "archive", "purge", "restore", "hold", "release", "mail"}

// auditKeys are the audit page's filter fields in its query string.
var auditKeys = []string{"user", "recording", "action", "outcome", "from", "to"}

type auditPage struct {
	Q          url.Values
	Query      string // the filter's query string (no cursor)
	Actions    []string
	Outcomes   []string
	Rows       []AuditEntry
	Total      int
	Next       string
	Newest     string // the first page, when this is a later one
	ExportURL  string
	Checkpoint *AuditCheckpoint
	Error      string
}

// parseAuditFilter reads the audit page's query string. Dates are UTC: a
// day (2006-01-02) or a minute (2006-01-02T15:04); a "to" day includes
// that day.
func parseAuditFilter(q url.Values) (AuditFilter, error) {
	f := AuditFilter{User: q.Get("user"), Recording: q.Get("recording"), Action: q.Get("action"), Outcome: q.Get("outcome")}
	for _, k := range auditKeys[:4] {
		if len(q.Get(k)) > 200 {
			return f, fmt.Errorf("%s: at most 200 characters", k)
		}
	}
	var err error
	if f.From, err = parseWhen(q.Get("from"), false); err != nil {
		return f, fmt.Errorf("from: %w", err)
	}
	if f.To, err = parseWhen(q.Get("to"), true); err != nil {
		return f, fmt.Errorf("to: %w", err)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, fmt.Errorf("to must be after from")
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, fmt.Errorf("that page link is out of date: start again")
		}
		f.Before = n
	}
	return f, nil
}

func parseWhen(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		if end {
			t = t.Add(time.Minute)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-12-03) or a time (2026-12-03T09:30), UTC", s)
}

// auditQuery keeps the filter's own fields of q (no cursor).
func auditQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, k := range auditKeys {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// auditorFor is the Backend's Auditor when u may read the audit log.
func (a *App) auditorFor(u User) (Auditor, bool) {
	ad, ok := a.b.(Auditor)
	return ad, ok && a.b.Rights(u).Audit
}

// audit is the audit page (compliance and admin; others get the 404 of
// an unknown page): the entries a filter selects, newest first, a page
// at a time, and the newest signed checkpoint. Reading it is audited too.
func (a *App) audit(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	ad, ok := a.auditorFor(u)
	if !ok {
		a.noSuchPage(w, r)
		return
	}
	q := auditQuery(r.URL.Query())
	p := auditPage{Q: q, Query: q.Encode(), Actions: auditActions, Outcomes: auditOutcomes}
	if c, ok, err := ad.AuditCheckpoint(r.Context()); err != nil {
		a.o.Log.Error("webapp: audit checkpoint", "err", err)
	} else if ok {
		p.Checkpoint = &c
	}
	full := cloneValues(q)
	if b := r.URL.Query().Get("before"); b != "" {
		full.Set("before", b)
	}
	f, err := parseAuditFilter(full)
	if err != nil {
		p.Error = err.Error()
		a.render(w, r, http.StatusBadRequest, "audit", p)
		return
	}
	f.Limit = pageSize
	res, err := ad.AuditEntries(r.Context(), u, f)
	if err != nil {
		a.unavailable(w, r, "the audit log", err)
		return
	}
	a.logAccess(r, Access{Action: "audit", Query: q.Encode()})
	p.Rows, p.Total = res.Entries, res.Total
	if res.Next > 0 {
		nq := cloneValues(q)
		nq.Set("before", strconv.FormatInt(res.Next, 10))
		p.Next = "/app/audit?" + nq.Encode()
	}
	if f.Before > 0 {
		p.Newest = "/app/audit?" + q.Encode()
	}
	p.ExportURL = "/app/audit.csv?" + q.Encode()
	a.render(w, r, http.StatusOK, "audit", p)
}

// maxAuditExport bounds one CSV export of the audit log.
const maxAuditExport = 1_000_000

// auditExport writes the entries the filter selects as CSV, newest first
// (compliance and admin); the export is itself audited, before it runs.
func (a *App) auditExport(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	ad, ok := a.auditorFor(u)
	if !ok {
		a.noSuchPage(w, r)
		return
	}
	q := auditQuery(r.URL.Query())
	f, err := parseAuditFilter(q)
	if err != nil {
		a.render(w, r, http.StatusBadRequest, "message", messagePage{Title: "Bad filter", Message: err.Error(), Back: "/app/audit"})
		return
	}
	f.Limit = maxAuditExport
	a.logAccess(r, Access{Action: "audit_export", Query: q.Encode()})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"leaf", "at", "user", "role", "from", "action", "recording", "interaction", "customer", "kind",
		"reason", "query", "outcome", "sha256", "late"})
	err = ad.EachAuditEntry(r.Context(), u, f, func(e AuditEntry) error {
		return cw.Write(safeCSV([]string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.User, e.Role,
			e.From, e.Action, e.Recording, e.Interaction, e.Customer, e.Kind, e.Reason, e.Query, e.Outcome, e.SHA256,
			strconv.FormatBool(e.Late)}))
	})
	if err != nil {
		a.o.Log.Error("webapp: audit export", "err", err)
		_ = cw.Write([]string{"# the export stopped: the audit log could not be read"})
	}
	cw.Flush()
}

// safeCSV defuses cells a spreadsheet would run as a formula (CSV
// injection): one starting with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe. It changes row in place and returns it.
func safeCSV(row []string) []string {
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

// historyView is a recording's own access history on its page.
type historyView struct {
	Entries []AuditEntry
	More    bool
	AllURL  string // the audit page for the recording (Rights.Audit)
	Agent   bool   // shown to an agent: no address, no reason
}

// maxHistory is how many accesses a recording's page lists.
const maxHistory = 50

// history is rec's access history for u, nil when u may not see it.
func (a *App) history(r *http.Request, u User, rec string) *historyView {
	ad, ok := a.b.(Auditor)
	rights := a.b.Rights(u)
	if !ok || !rights.History {
		return nil
	}
	es, more, err := ad.AccessHistory(r.Context(), u, rec, maxHistory)
	if err != nil {
		a.o.Log.Error("webapp: access history", "err", err)
		return nil
	}
	h := &historyView{Entries: es, More: more, Agent: u.Role == "agent"}
	if rights.Audit {
		h.AllURL = "/app/audit?" + url.Values{"recording": {rec}}.Encode()
	}
	return h
}
