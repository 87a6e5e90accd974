package retention

import "time"

// Item is one recording the rules say is due, in a dry run or a run: what
// it is, which rule and why, and what was done (or would be).
type Item struct {
	Recording   string    `json:"recording"`
	Interaction string    `json:"interaction"`
	Agent       string    `json:"agent,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Kind        string    `json:"kind,omitempty"`
	Finished    time.Time `json:"finished"`
	// Age is how long ago it finished, as the rule reads it.
	Age    Age    `json:"age"`
	Rule   string `json:"rule"`   // the rule's label
	Action string `json:"action"` // Archive or Purge
	Files  []File `json:"files,omitempty"`
	// Skipped says why the action is not (or would not be) done: a legal
	// hold (named), already archived, no stored file to archive.
	Skipped string `json:"skipped,omitempty"`
	// Done is true once a run did it; Error says why it failed.
	Done  bool   `json:"done,omitempty"`
	Error string `json:"error,omitempty"`
}

// File is a stored file of an Item.
type File struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Archived bool   `json:"archived,omitempty"`
}

// Report is a dry run's or a run's list.
type Report struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dry_run"`
	Items  []Item    `json:"items"`
	// Counts per action done (a dry run's: would be done), and skipped.
	Archived int `json:"archived"`
	Purged   int `json:"purged"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

// Count adds it to the report's counts.
func (r *Report) Count(it Item) {
	switch {
	case it.Error != "":
		r.Failed++
	case it.Skipped != "":
		r.Skipped++
	case it.Action == Archive:
		r.Archived++
	case it.Action == Purge:
		r.Purged++
	}
}
