package store

import (
	"context"
	"errors"
	"time"
)

// Errors of Retention.
var (
	// ErrLifted: a legal hold that was lifted already.
	ErrLifted = errors.New("store: the hold was lifted already")
	// ErrHeld: a recording under a legal hold of its own cannot be
	// purged (the store refuses it too, not only the hub).
	ErrHeld = errors.New("store: the recording is on legal hold")
)

// MaxHoldText bounds a hold's matter name and each reason, bytes.
const MaxHoldText = 2000

// Hold is a legal hold (issue 13 point 5): on one recording (Recording and
// Interaction), or on a named matter that covers a saved search's
// recordings (Matter and Query: the search, copied when the hold was
// placed, so that editing or deleting the saved search lifts nothing). A
// hold stops the purge and the erasure of what it covers; there is no cap
// on how many recordings one covers or how many holds there are.
type Hold struct {
	ID          string `json:"id"`
	Matter      string `json:"matter,omitempty"`
	Recording   string `json:"recording,omitempty"`
	Interaction string `json:"interaction,omitempty"`
	// Query is the matter's search (RecordingFilter.Values form, read by
	// ParseQuery); Search the saved search's id it was copied from.
	Query    string    `json:"query,omitempty"`
	Search   string    `json:"search,omitempty"`
	PlacedBy string    `json:"placed_by"` // "role user", e.g. "compliance cora"
	PlacedAt time.Time `json:"placed_at"`
	Reason   string    `json:"reason"`
	LiftedBy string    `json:"lifted_by,omitempty"`
	LiftedAt time.Time `json:"lifted_at,omitzero"`
	// LiftReason is why it was lifted.
	LiftReason string `json:"lift_reason,omitempty"`
}

// Active reports whether the hold is in force.
func (h Hold) Active() bool { return h.LiftedAt.IsZero() }

// Name is how the hold is named to whoever it stops: the matter's name or
// the recording's hold, with its id.
func (h Hold) Name() string {
	if h.Matter != "" {
		return "legal hold " + h.ID + " (matter " + h.Matter + ")"
	}
	return "legal hold " + h.ID + " (on recording " + h.Recording + ")"
}

// Purge is one recording to delete for good (retention's purge or a
// compliance erasure): its row, its index rows, the lines it alone took,
// its files' index rows; the tombstones say what went.
type Purge struct {
	Interaction, Recording string
	At                     time.Time
	By, Why                string
}

// Retention is what retention, legal holds and erasure need of a store
// (issue 13 points 4-6, R-V6). The hub's core holds them in order: it
// checks holds and deletes under one lock of its own.
type Retention interface {
	// PlaceHold keeps h (active). An empty ID gets NewID, a zero PlacedAt
	// the current time; h is updated with both. PlacedBy and Reason are
	// required, and either Matter and Query (which must read as a search,
	// ParseQuery) or Recording and Interaction (ErrBadFilter); a matter
	// or a reason over MaxHoldText is ErrTooLong.
	PlaceHold(ctx context.Context, h *Hold) error
	// LiftHold ends the hold with id: who, when, why (required,
	// ErrBadFilter; over MaxHoldText ErrTooLong). An unknown id is
	// ErrNotFound, a hold lifted already ErrLifted. It returns the hold
	// as lifted.
	LiftHold(ctx context.Context, id, by, why string, at time.Time) (Hold, error)
	// Holds lists the holds, active ones only unless all, oldest first.
	Holds(ctx context.Context, all bool) ([]Hold, error)
	// SetArchived marks the stored file with id archived at at (a zero
	// time: restored, no longer archived). An unknown id is ErrNotFound.
	SetArchived(ctx context.Context, id string, at time.Time) error
	// PurgeRecording deletes the recording p names and what is only its:
	// its row (and so its full-text, partition, tag and bookmark rows),
	// its takes and the transcript lines no other recording took, its
	// stored files' index rows; it keeps one tombstone per file (one for
	// the recording when it had none) and returns them, all in one
	// transaction. An unknown recording is ErrNotFound; one under an
	// active hold on that recording is ErrHeld, and nothing is deleted.
	PurgeRecording(ctx context.Context, p Purge) ([]Tombstone, error)
}
