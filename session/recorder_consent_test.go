package session

import (
	"errors"
	"testing"
)

// TestNothingBeforeConsent_X_1: while the customer is asked for consent,
// no policy starts a recording and no button or API call may; the lines
// of that time go into none. A Yes starts what the policies held back, from
// then on; a No leaves nothing to produce, for good.
func TestNothingBeforeConsent_X_1(t *testing.T) {
	rights := agentRights
	rights.FullTime, rights.Auto, rights.AutoPercent = true, true, 100
	route := Route{RecordDestination: true, Dest: "billing-archive"}
	for _, yes := range []bool{true, false} {
		r := NewRecorder("chat-1")
		r.AskConsent()
		r.Connect("ada", rights, route, atSec(0))
		if n := len(r.Recordings()); n != 0 || !r.ConsentPending() {
			t.Fatalf("%d recordings begun while consent is asked", n)
		}
		if _, err := r.Press(BtnRecord, "ada", atSec(1)); !errors.Is(err, ErrConsentPending) {
			t.Fatalf("Record while consent is asked: %v", err)
		}
		if _, err := r.API(APIRequest{Op: OpStart, By: Actor{Role: "supervisor", ID: "sue"}}, atSec(1)); !errors.Is(err, ErrConsentPending) {
			t.Fatalf("the API while consent is asked: %v", err)
		}
		r.Capture(recLine(1, "before the answer"))
		r = roundTrip(t, r) // the hub's store keeps the wait too
		r.SetConsent(yes, atSec(2))
		r.Capture(recLine(2, "after the answer"))
		if !yes {
			if n := len(r.Recordings()); n != 0 {
				t.Fatalf("%d recordings after a No", n)
			}
			if _, err := r.Press(BtnRecord, "ada", atSec(3)); !errors.Is(err, ErrConsentDeclined) {
				t.Fatalf("Record after a No: %v", err)
			}
			continue
		}
		kinds := map[Kind]bool{}
		for _, rec := range r.Recordings() {
			kinds[rec.Kind] = true
			if rec.State != RecOn || len(rec.Lines) != 1 || rec.Lines[0].Text != "after the answer" || !rec.Parts[0].Start.Equal(atSec(2)) {
				t.Fatalf("%s after a Yes: %v, lines %+v, parts %+v", rec.Kind, rec.State, rec.Lines, rec.Parts)
			}
		}
		if !kinds[KindFullTime] || !kinds[KindAuto] || !kinds[KindSelective] {
			t.Fatalf("a Yes started %v, want full-time, automatic and selective", kinds)
		}
	}
}
