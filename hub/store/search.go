package store

import (
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// RecordingFilter selects finished recordings (issue 12, R-V5, R-V7):
// each set field narrows the list; the zero filter matches all. Strings
// match exactly.
type RecordingFilter struct {
	// ID is one recording's id (the player opens it by its id).
	ID                           string
	Interaction                  string
	Agent, Queue, Kind, Customer string
	// AgentIn and KindIn narrow to a set (the caller's scope, a team's
	// agents: issue 12, R-V8): nil is no constraint; a non-nil empty set
	// matches nothing.
	AgentIn, KindIn []string
	// Contact is the customer's stable id (Recording.Contact).
	Contact string
	// Disposition is the chat's wrap-up disposition when it finished.
	Disposition string
	// Partitions matches a recording that has any one of them (R-G3).
	Partitions []string
	// MinDuration and MaxDuration bound the recording's length, both
	// included; zero is open.
	MinDuration, MaxDuration time.Duration
	// Screen and Voice: with or without the screen recorded, with or
	// without voice in a stored file (Recording.Voice).
	Screen, Voice Flag
	// Tags match metadata tags (R-V7) by exact value, every one given.
	Tags     map[string]string
	From, To time.Time // finished in [From, To); zero: open
	// Text is words of the recorded transcript (full text, every word
	// must occur; case and accents do not matter). At most MaxTextQuery
	// bytes.
	Text string
	// Sort is the column the list is in (SortFinished when empty), Desc
	// the other way round; ties go by the order recordings finished in.
	Sort string
	Desc bool
	// Count asks for RecordingPage.Total (it costs a second query).
	Count bool
	// NoLines leaves out each recording's lines (an export needs only
	// its columns and files).
	NoLines bool
	Cursor  string // a page's Next: the page after it ("" for the first); only for the same filter and sort
	Limit   int    // 0: DefaultLimit
}

// Flag is a yes/no filter that may be left open.
type Flag int8

// The values of a Flag.
const (
	Either  Flag = iota // no constraint
	With                // only recordings that have it
	Without             // only recordings that lack it
)

// The columns a recording list sorts by (RecordingFilter.Sort).
const (
	SortFinished    = "finished"
	SortAgent       = "agent"
	SortQueue       = "queue"
	SortKind        = "kind"
	SortCustomer    = "customer"
	SortDuration    = "duration"
	SortDisposition = "disposition"
)

// SortColumns are the columns a recording list sorts by, in the order a
// table shows them.
var SortColumns = []string{SortFinished, SortAgent, SortQueue, SortKind, SortCustomer, SortDuration, SortDisposition}

// MaxTextQuery bounds RecordingFilter.Text.
const MaxTextQuery = 500

// MaxTags bounds the configured metadata tags (R-V7: up to 10 elements).
const MaxTags = 10

// RecordingPage is one page of Recordings.
type RecordingPage struct {
	Recordings []Recording
	Next       string // the cursor of the next page; "" when this is the last
	// Total is how many recordings the filter matches, all pages
	// together; only when the filter asked (Count), else 0.
	Total int
}

// PartsLength is how long a recording's parts last together, pauses
// included (they are padded, R-G4): the length of its file. A part that
// has not ended counts nothing.
func PartsLength(parts []session.Part) time.Duration {
	var d time.Duration
	for _, p := range parts {
		if !p.End.IsZero() && p.End.After(p.Start) {
			d += p.End.Sub(p.Start)
		}
	}
	return d
}
