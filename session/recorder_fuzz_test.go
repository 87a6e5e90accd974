package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// FuzzRecorder drives one interaction's recordings through random event
// sequences and checks the invariants of R-C2, R-C4, R-C5, R-H6 and R-H7
// after every step and at the end.
func FuzzRecorder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 9, 3})
	f.Add([]byte{1, 2, 0, 12, 13})
	f.Add([]byte{4, 5, 6, 7, 11, 10, 8})
	f.Add([]byte{0, 2, 2, 0, 0, 14, 15, 16})
	f.Add([]byte{0x80, 0x81, 0x82, 0x80, 0, 3, 9, 0, 14})
	f.Fuzz(func(t *testing.T, ops []byte) {
		permits := agentRights
		permits.FullTime = len(ops) > 0 && ops[0]&0x80 != 0
		permits.Auto, permits.AutoPercent = len(ops) > 1 && ops[1]&0x80 != 0, 50
		deny := Rights{MayRecord: true, MaySnip: true, MayPause: true}
		r := NewRecorder(fmt.Sprintf("chat-%d", len(ops)))
		if len(ops) > 3 && ops[3]&0x80 != 0 {
			r.AskConsent() // nothing runs until a Yes
		}
		r.Connect("ada", permits, Route{RecordDestination: len(ops) > 2 && ops[2]&0x80 != 0}, atSec(0))
		denied, declined, deleted := false, false, false
		sup := Actor{Role: "supervisor", ID: "sue"}
		for i, op := range ops {
			now := atSec(i + 1)
			before := map[*Recording]int{}
			for _, rec := range r.Recordings() {
				before[rec] = len(rec.Lines)
			}
			switch op % 17 {
			case 0:
				r.Press(BtnRecord, "ada", now)
			case 1:
				r.Press(BtnSnip, "ada", now)
			case 2:
				r.Press(BtnPause, "ada", now)
			case 3, 4, 5, 6:
				r.API(APIRequest{Op: RecOp(3013 + int(op%17) - 3), ID: []string{"", "q1", "q2"}[int(op>>5)%3], By: sup}, now)
			case 7:
				r.Involve("sue", agentRights)
			case 8:
				r.Involve("sam", deny)
				denied = true
			case 9:
				r.SetConsent(op&0x20 != 0, now)
				declined = declined || op&0x20 == 0
			case 10:
				r.ConfirmDeletion("ada", now)
				deleted = true
			case 11:
				r.FlagAbusive(sup)
			case 12:
				if op&0x20 != 0 {
					r.Transfer("bob", agentRights, Route{}, now)
				} else {
					r.Transfer("bob", deny, Route{}, now)
					denied = true
				}
			case 13:
				r.SetState(ACW, now)
			default:
				r.Capture(MessageData{ID: int64(i), From: FromCustomer, Text: "x", At: now})
				for _, rec := range r.Recordings() {
					if rec.State != RecOn && len(rec.Lines) != before[rec] {
						t.Fatalf("R-C5: a %s recording kept a line", rec.State)
					}
				}
			}
			checkRecorder(t, r)
			if r.ConsentPending() {
				for _, rec := range r.Recordings() {
					if rec.State == RecOn || rec.State == RecPaused {
						t.Fatalf("X-1: a %s recording runs before the customer's answer", rec.Kind)
					}
				}
			}
			r = roundTrip(t, r) // the hub's store keeps it between any two steps
		}
		out := r.Finish(atSec(len(ops) + 2))
		produced := 0
		for _, o := range out {
			if o.Produced {
				produced++
			}
		}
		switch {
		case r.Abusive() && produced == 0:
			t.Fatal("R-H7: an abusive chat ended without a recording")
		case !r.Abusive() && (denied || declined || deleted) && produced > 0:
			t.Fatalf("R-H6: produced %d recordings (denied=%v declined=%v deleted=%v)", produced, denied, declined, deleted)
		}
	})
}

// roundTrip stores r as the hub does (its state as JSON, the lines apart)
// and restores it; the restored Recorder must be the same in every respect.
func roundTrip(t *testing.T, r *Recorder) *Recorder {
	t.Helper()
	b, err := json.Marshal(r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var st RecorderState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	took := map[string][]int64{}
	for _, rec := range r.Recordings() {
		for _, m := range rec.Lines {
			took[rec.ID] = append(took[rec.ID], m.ID)
		}
	}
	back, err := RestoreRecorder(st, r.all, took)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normal(r), normal(back)) {
		t.Fatalf("restored recorder differs:\n got %+v\nwant %+v", normal(back), normal(r))
	}
	return back
}

// normal is a Recorder with nil and empty slices made alike and times
// compared as instants, for DeepEqual.
func normal(r *Recorder) string {
	b, _ := json.Marshal(struct {
		S    RecorderState
		Recs []*Recording
		All  []MessageData
	}{r.Snapshot(), r.recs, r.all})
	return string(b)
}

func checkRecorder(t *testing.T, r *Recorder) {
	t.Helper()
	var record, snip bool
	for _, rec := range r.Recordings() {
		record = record || rec.Kind == KindRecord
		snip = snip || rec.Kind == KindSnip
		if rec.Kind == KindSnip && rec.State == RecPaused {
			t.Fatal("R-C4: a snippet was paused")
		}
		for _, p := range rec.Parts {
			if !p.End.IsZero() && p.End.Before(p.Start) {
				t.Fatalf("part ends before it starts: %+v", p)
			}
		}
	}
	if record && snip {
		t.Fatal("R-C2: Record and Snip on one interaction")
	}
}
