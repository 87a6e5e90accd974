package store

import (
	"context"
	"fmt"
	"time"
)

// The causes of a coverage gap (Gap.Cause) the store names itself; a
// recording dropped for another reason gives its own Why.
const (
	CauseConsent  = "declined consent"
	CauseDeletion = "deletion request"
	CauseNoFile   = "no file uploaded"
)

// MaxGaps bounds Stats.Gaps.
const MaxGaps = 1000

// Stats are the dashboard's figures (issue 12 point 7) for the UTC days
// of a span, each day present (zeros included).
type Stats struct {
	Days []DayStats
	// Gaps are the recordings that had to be made and are not stored
	// with a file (R-V10), oldest first, at most MaxGaps (MoreGaps says
	// when some were left out).
	Gaps     []Gap
	MoreGaps bool
}

// DayStats are one UTC day's figures.
type DayStats struct {
	Day     time.Time      // midnight UTC
	ByKind  map[string]int // produced recordings finished that day, by kind
	ByQueue map[string]int // and by queue
	Bytes   int64          // bytes of the files stored that day
	Total   int64          // bytes of every file stored up to the day's end
	// Coverage (R-V10): Required is every recording that finished that
	// day, produced or not; Stored those of them produced and stored
	// with a file.
	Required, Stored int
}

// Gap is a recording that had to be made and is not stored, and why.
type Gap struct {
	Recording   string    `json:"recording"`
	Interaction string    `json:"interaction"`
	Agent       string    `json:"agent"` // whose desktop should have uploaded it
	Queue       string    `json:"queue"`
	Kind        string    `json:"kind"`
	FinishedAt  time.Time `json:"finished_at"` // its age is now minus this
	Cause       string    `json:"cause"`
}

// Dashboard computes the dashboard's figures.
type Dashboard interface {
	// Stats returns the figures of the UTC days from from's day to the
	// day before to's (to is exclusive; its own day is included when it
	// is not a midnight).
	Stats(ctx context.Context, from, to time.Time) (Stats, error)
}

// StatsDays starts the Stats of from to to for a store: one DayStats a
// day (UTC) from from's day up to, not including, to, and that span's
// first instant and end. Nothing to count (to not after from's day): no
// days. More than ten years: ErrBadFilter.
func StatsDays(from, to time.Time) (st Stats, first, end time.Time, err error) {
	first = from.UTC().Truncate(24 * time.Hour)
	if to.Before(first) || to.Equal(first) {
		return st, first, first, nil
	}
	days := int(to.UTC().Sub(first).Hours()/24) + 1
	if to.UTC().Equal(to.UTC().Truncate(24 * time.Hour)) {
		days--
	}
	if days > 3660 {
		return st, first, first, fmt.Errorf("%w: at most ten years of days (asked %d)", ErrBadFilter, days)
	}
	end = first.AddDate(0, 0, days)
	for d := range days {
		st.Days = append(st.Days, DayStats{Day: first.AddDate(0, 0, d), ByKind: map[string]int{}, ByQueue: map[string]int{}})
	}
	return st, first, end, nil
}
