package store

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// CheckSavedSearch checks a saved search before a store keeps it (every
// store: ErrBadFilter, ErrTooLong) and fills in its id and time when
// unset.
func CheckSavedSearch(ss *SavedSearch) error {
	switch {
	case strings.TrimSpace(ss.User) == "" || strings.TrimSpace(ss.Name) == "":
		return fmt.Errorf("%w: a saved search needs a user and a name", ErrBadFilter)
	case len(ss.Name) > MaxSearchName:
		return fmt.Errorf("%w: a saved search's name is at most %d bytes", ErrTooLong, MaxSearchName)
	case len(ss.Query) > MaxSearchQuery:
		return fmt.Errorf("%w: a saved search's query is at most %d bytes", ErrTooLong, MaxSearchQuery)
	}
	q, err := url.ParseQuery(ss.Query)
	if err == nil {
		_, err = ParseQuery(q)
	}
	if err != nil {
		return fmt.Errorf("%w: a saved search's query is not a search: %v", ErrBadFilter, err)
	}
	if ss.ID == "" {
		ss.ID = NewID()
	}
	if ss.Created.IsZero() {
		ss.Created = time.Now().UTC()
	}
	return nil
}

// CheckLift checks the lifting of a legal hold before a store records it
// (every store: ErrBadFilter, ErrTooLong) and returns its time, now when
// at is zero.
func CheckLift(by, why string, at time.Time) (time.Time, error) {
	switch {
	case strings.TrimSpace(by) == "" || strings.TrimSpace(why) == "":
		return at, fmt.Errorf("%w: lifting a legal hold needs who and a reason", ErrBadFilter)
	case len(why) > MaxHoldText:
		return at, fmt.Errorf("%w: a reason is at most %d bytes", ErrTooLong, MaxHoldText)
	}
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return at, nil
}

// CheckHold checks a legal hold before a store places it (every store:
// ErrBadFilter, ErrTooLong), fills in its id and time when unset, and
// clears what only a lift sets.
func CheckHold(h *Hold) error {
	switch {
	case strings.TrimSpace(h.PlacedBy) == "" || strings.TrimSpace(h.Reason) == "":
		return fmt.Errorf("%w: a legal hold needs who placed it and a reason", ErrBadFilter)
	case len(h.Matter) > MaxHoldText || len(h.Reason) > MaxHoldText:
		return fmt.Errorf("%w: a hold's matter and reason are at most %d bytes each", ErrTooLong, MaxHoldText)
	case len(h.Query) > MaxSearchQuery:
		return fmt.Errorf("%w: a hold's search is at most %d bytes", ErrTooLong, MaxSearchQuery)
	case h.Matter != "" && (h.Recording != "" || h.Interaction != ""):
		return fmt.Errorf("%w: a hold is on a matter (a search) or on one recording, not both", ErrBadFilter)
	case h.Matter == "" && (h.Recording == "" || h.Interaction == ""):
		return fmt.Errorf("%w: a hold on one recording names it and its interaction (or give a matter and a search)", ErrBadFilter)
	}
	if h.Matter != "" {
		q, err := url.ParseQuery(h.Query)
		if err == nil {
			_, err = ParseQuery(q)
		}
		if err != nil {
			return fmt.Errorf("%w: the matter's search: %v", ErrBadFilter, err)
		}
	}
	if h.ID == "" {
		h.ID = NewID()
	}
	if h.PlacedAt.IsZero() {
		h.PlacedAt = time.Now().UTC()
	}
	h.LiftedBy, h.LiftedAt, h.LiftReason = "", time.Time{}, ""
	return nil
}
