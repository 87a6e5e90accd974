package webapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
)

// Compliance is a Backend that serves the compliance page (issue 13
// points 4-6, docs/retention.md): the legal holds, the retention dry run,
// lifting a hold and erasing a recording. A Backend without it has no
// such page.
type Compliance interface {
	// ComplianceOfficer reports whether u uses the page (compliance
	// officers and admins; everyone else gets the 404 of an unknown page).
	ComplianceOfficer(u User) bool
	// Holds lists the legal holds in force.
	Holds(ctx context.Context, u User) ([]store.Hold, error)
	// RetentionDryRun is what the retention rules would archive and purge
	// now, and why.
	RetentionDryRun(ctx context.Context, u User) (retention.Report, error)
	// LiftHold lifts a hold as u, from the address from, with a reason.
	LiftHold(ctx context.Context, u User, id, reason, from string) error
	// EraseRecording erases a recording u may see (GDPR art. 17), with a
	// reason; a hold or the immutable store refuses it, in words.
	EraseRecording(ctx context.Context, u User, id, reason, from string) error
}

type compliancePage struct {
	Holds     []store.Hold
	Report    retention.Report
	Recording string // the erase form's recording (?recording=, from its page)
	Done      string
	Error     string
}

// officer is the Compliance backend when u may use it.
func (a *App) officer(w http.ResponseWriter, r *http.Request) (Compliance, User, bool) {
	u := *sessionOf(r.Context()).user
	c, ok := a.b.(Compliance)
	if !ok || !c.ComplianceOfficer(u) {
		a.noSuchPage(w, r)
		return nil, u, false
	}
	return c, u, true
}

// complianceShow shows the holds, the dry run and the erase form.
func (a *App) complianceShow(w http.ResponseWriter, r *http.Request) {
	c, u, ok := a.officer(w, r)
	if !ok {
		return
	}
	a.complianceRender(w, r, c, u, http.StatusOK, compliancePage{Done: r.URL.Query().Get("done"), Recording: r.URL.Query().Get("recording")})
}

func (a *App) complianceRender(w http.ResponseWriter, r *http.Request, c Compliance, u User, status int, p compliancePage) {
	var err error
	if p.Holds, err = c.Holds(r.Context(), u); err != nil {
		a.unavailable(w, r, "the legal holds", err)
		return
	}
	if p.Report, err = c.RetentionDryRun(r.Context(), u); err != nil {
		a.unavailable(w, r, "the retention dry run", err)
		return
	}
	a.render(w, r, status, "compliance", p)
}

// complianceErase erases the recording of the form, with its reason.
func (a *App) complianceErase(w http.ResponseWriter, r *http.Request) {
	c, u, ok := a.officer(w, r)
	if !ok {
		return
	}
	id, reason := strings.TrimSpace(r.PostFormValue("recording")), strings.TrimSpace(r.PostFormValue("reason"))
	if err := c.EraseRecording(r.Context(), u, id, reason, a.o.ClientIP(r)); err != nil {
		a.complianceRender(w, r, c, u, http.StatusConflict, compliancePage{Recording: id, Error: "Recording " + id + " was not erased: " + err.Error()})
		return
	}
	http.Redirect(w, r, "/app/compliance?done="+url.QueryEscape("Erased recording "+id), http.StatusSeeOther)
}

// complianceLift lifts the hold of the path, with the form's reason.
func (a *App) complianceLift(w http.ResponseWriter, r *http.Request) {
	c, u, ok := a.officer(w, r)
	if !ok {
		return
	}
	id := r.PathValue("hid")
	if err := c.LiftHold(r.Context(), u, id, strings.TrimSpace(r.PostFormValue("reason")), a.o.ClientIP(r)); err != nil {
		a.complianceRender(w, r, c, u, http.StatusConflict, compliancePage{Error: "The hold " + id + " was not lifted: " + err.Error()})
		return
	}
	http.Redirect(w, r, "/app/compliance?done="+url.QueryEscape("Lifted legal hold "+id), http.StatusSeeOther)
}
