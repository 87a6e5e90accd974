package session

import (
	"errors"
	"testing"
)

// TestTransitionTable walks every (state, event) pair: the legal moves of
// R-I1 lead where the table says, and everything else is refused with a
// named error that tells an ended chat apart from a wrong state.
func TestTransitionTable(t *testing.T) {
	legal := map[[2]int]State{
		{int(Queued), int(EvOffer)}:    Offered,
		{int(Queued), int(EvAbandon)}:  Done,
		{int(Offered), int(EvRevoke)}:  Queued,
		{int(Offered), int(EvAccept)}:  Connected,
		{int(Offered), int(EvAbandon)}: Done,
		{int(Connected), int(EvEnd)}:   ACW,
		{int(ACW), int(EvDone)}:        Done,
	}
	for s := Queued; s <= Done; s++ {
		for e := EvOffer; e <= EvAbandon; e++ {
			next, err := Transition(s, e)
			want, ok := legal[[2]int{int(s), int(e)}]
			switch {
			case ok && err != nil:
				t.Errorf("R-I1: %s on %s: unexpected error %v", e, s, err)
			case ok && next != want:
				t.Errorf("R-I1: %s on %s = %s, want %s", e, s, next, want)
			case !ok && err == nil:
				t.Errorf("R-I1: %s on %s allowed (-> %s), want refused", e, s, next)
			case !ok && !s.Live() && !errors.Is(err, ErrChatEnded):
				t.Errorf("%s on ended %s: error %v, want ErrChatEnded", e, s, err)
			case !ok && s.Live() && !errors.Is(err, ErrBadTransition):
				t.Errorf("%s on %s: error %v, want ErrBadTransition", e, s, err)
			case !ok && next != s:
				t.Errorf("%s on %s: refused but state moved to %s", e, s, next)
			}
		}
	}
}

// TestLifecycle follows one chat through R-I1: offered, connected, ended,
// after-call work, done.
func TestLifecycle(t *testing.T) {
	s := Queued
	for _, e := range []Event{EvOffer, EvRevoke, EvOffer, EvAccept, EvEnd, EvDone} {
		next, err := Transition(s, e)
		if err != nil {
			t.Fatalf("R-I1: %s from %s: %v", e, s, err)
		}
		s = next
	}
	if s != Done {
		t.Fatalf("R-I1: chat ended in %s, want done", s)
	}
}

func TestStateNames(t *testing.T) {
	for s := Queued; s <= Done; s++ {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), got, err)
		}
		if s.Label() == "" {
			t.Errorf("%s has no label", s)
		}
	}
	if _, err := ParseState("ringing"); err == nil {
		t.Error("ParseState accepted an unknown name")
	}
	if State(42).String() != "state(42)" || Event(42).String() != "event(42)" {
		t.Error("out-of-range names are not marked")
	}
}
