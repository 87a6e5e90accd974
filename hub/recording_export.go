package hub

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
)

// wantsCSV reports whether a recording list is asked for as CSV:
// format=csv, or an Accept of text/csv without format=json.
func wantsCSV(r *http.Request) bool {
	switch r.URL.Query().Get("format") {
	case "csv":
		return true
	case "json":
		return false
	}
	for _, a := range strings.Split(r.Header.Get("Accept"), ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(a)); err == nil && t == "text/csv" {
			return true
		}
	}
	return false
}

// serveRecordingCSV streams every finished recording f (already scoped)
// selects as CSV (store.ExportCSV: at most store.MaxExport, else a 400
// before anything is sent) when the caller may export (auth.Scope's
// CanExport: compliance, admin, a supervisor recording API token; R-V5:
// compliance officers retrieve for legal purposes), and keeps the export,
// allowed or not, in the access log (R-V9).
func (s *Server) serveRecordingCSV(w http.ResponseWriter, r *http.Request, c api.Caller, may bool, f store.RecordingFilter) {
	query := f.Values()
	query.Del("cursor")
	query.Del("limit")
	acc := &store.Access{User: c.ID, Role: c.Role, From: s.clientIP(r), Action: store.ActionExport, Query: query.Encode()}
	defer func() {
		if err := s.st.LogAccess(context.WithoutCancel(r.Context()), acc); err != nil {
			s.log.Error("store: access log", "err", err)
		}
	}()
	if !may {
		acc.Outcome = store.OutcomeDenied
		api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "the %s %s may not export recordings (compliance and admin may)", c.Role, c.ID)
		return
	}
	s.j.sync() // what was acknowledged before this call is in the export
	out := &lazyCSV{w: w, name: "recordings-" + time.Now().UTC().Format("20060102-150405") + ".csv"}
	n, err := store.ExportCSV(r.Context(), s.st, f, out, store.MaxExport)
	switch {
	case err == nil:
		acc.Outcome = store.OutcomeOK
		s.log.Info("recordings exported", "by", c.ID, "rows", n, "query", acc.Query)
		return
	case out.started: // the answer is on its way: it ends short
		acc.Outcome = store.OutcomeFailed
		s.log.Error("export cut short", "by", c.ID, "rows", n, "err", err)
	case errors.Is(err, store.ErrExportTooLarge), errors.Is(err, store.ErrBadFilter):
		acc.Outcome = store.OutcomeDenied
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%s", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrBadCursor):
		acc.Outcome = store.OutcomeDenied
		api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%v", err)
	default:
		acc.Outcome = store.OutcomeFailed
		s.log.Error("store: export", "err", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the store cannot be read just now; try again")
	}
}

// lazyCSV sends the CSV headers with its first write, so that an export
// refused before any row still answers in JSON.
type lazyCSV struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (l *lazyCSV) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": l.name}))
		h.Set("X-Content-Type-Options", "nosniff")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
