package webapp

import (
	"net/http"
	"net/url"
	"time"
)

// Stats are the dashboard's figures (point 7), within the user's scope.
type Stats struct {
	Days    []DayStats // oldest first, one per day of the range
	Backlog []Backlog  // uploads started and not finished, per desktop
	Gaps    []Gap      // chats that had to be recorded and have no stored recording (R-V10)
}

// DayStats are one day's figures.
type DayStats struct {
	Day     time.Time
	ByKind  map[string]int // recordings finished that day by kind
	ByQueue map[string]int // and by queue
	Stored  int64          // bytes stored at the end of the day (all of them)
	// MustRecord are the chats of the day that had to be recorded (R-V10);
	// Recorded those of them with a stored recording.
	MustRecord, Recorded int
}

// Backlog is one desktop's uploads that started and have not finished.
type Backlog struct {
	Desktop string // the agent's id
	Uploads int
	Bytes   int64
	Oldest  time.Time // when the oldest of them started
}

// Gap is a chat that had to be recorded and has no stored recording, and
// why (declined consent, deletion request, never uploaded, ...).
type Gap struct {
	Day         time.Time
	Interaction string
	Agent       string
	Cause       string
}

type dashboardPage struct {
	From, To time.Time
	Charts   []chart
	Backlog  chart
	Gaps     []Gap
	Complete bool // every chat that had to be recorded was
	Must     int
	Missing  int
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	if !a.b.Rights(u).Dashboard {
		a.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not found", Message: "No such page."})
		return
	}
	to := a.o.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	from := to.AddDate(0, 0, -dashboardDays)
	st, err := a.b.Stats(r.Context(), u, from, to)
	if err != nil {
		a.unavailable(w, r, "the dashboard's figures", err)
		return
	}
	// The dashboard's figures are a report: who read them is audited.
	a.logAccess(r, Access{Action: "report", Query: url.Values{"report": {"dashboard"}, "from": {from.Format("2006-01-02")},
		"to": {to.AddDate(0, 0, -1).Format("2006-01-02")}}.Encode()})
	p := dashboardPage{From: from, To: to.AddDate(0, 0, -1), Gaps: st.Gaps}
	p.Charts = []chart{
		stacked("by-kind", "Recordings per day by kind", st.Days, func(d DayStats) map[string]int { return d.ByKind }, kindName),
		stacked("by-queue", "Recordings per day by queue", st.Days, func(d DayStats) map[string]int { return d.ByQueue }, func(s string) string { return s }),
		storage(st.Days),
		coverage(st.Days),
	}
	for _, d := range st.Days {
		p.Must += d.MustRecord
		p.Missing += d.MustRecord - d.Recorded
	}
	p.Complete = p.Missing == 0 && len(st.Gaps) == 0
	p.Backlog = backlog(st.Backlog, a.o.Now())
	a.render(w, r, http.StatusOK, "dashboard", p)
}

// yTicks is the number of steps on a y axis.
const yTicks = 4
