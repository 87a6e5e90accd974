package session

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestTransferStopsWhatWasTheOwners_R_G1_R_H2: at a transfer the leaving
// agent's full-time, automatic and ad hoc recordings stop (their desktop
// no longer captures the chat); a recording the dynamic API runs goes on
// and names the new agent too.
func TestTransferStopsWhatWasTheOwners_R_G1_R_H2(t *testing.T) {
	rights := agentRights
	rights.FullTime, rights.Auto, rights.AutoPercent = true, true, 100
	r := NewRecorder("c")
	r.Connect("ada", rights, Route{}, atSec(0))
	if _, err := r.API(APIRequest{Op: OpStart, ID: "dyn", By: Actor{Role: "supervisor", ID: "sue"}}, atSec(1)); err != nil {
		t.Fatal(err)
	}
	r.Transfer("bob", agentRights, Route{}, atSec(2))
	for _, rec := range r.Recordings() {
		running := rec.State == RecOn
		if running != (rec.Kind == KindDynamic) {
			t.Fatalf("after the transfer %s is %s", rec.Kind, rec.State)
		}
		want := []string{"ada"}
		if rec.Kind == KindDynamic {
			want = []string{"ada", "bob"}
		}
		if !slices.Equal(rec.Agents, want) {
			t.Fatalf("%s names %v, want %v", rec.Kind, rec.Agents, want)
		}
	}
	if got := r.Present(); !slices.Equal(got, []string{"bob"}) {
		t.Fatalf("present %v", got)
	}
}

// TestJoinLeave_R_H6_R_I8: a conferenced agent is named on the running
// recordings and, if they do not permit recordings, none is produced
// (R-H6) even after they left; when the owner leaves, the first party owns
// the recorder; the state survives a snapshot and restore.
func TestJoinLeave_R_H6_R_I8(t *testing.T) {
	r := NewRecorder("c")
	r.Connect("ada", agentRights, Route{}, atSec(0))
	if _, err := r.Press(BtnRecord, "ada", atSec(1)); err != nil {
		t.Fatal(err)
	}
	deny := agentRights
	deny.Permits = false
	r.Join("grace", agentRights)
	r.Join("sam", deny)
	r.Leave("sam")
	r.Leave("ada")
	if got := r.Present(); !slices.Equal(got, []string{"grace"}) {
		t.Fatalf("present %v", got)
	}
	b, _ := json.Marshal(r.Snapshot())
	var st RecorderState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	r2, err := RestoreRecorder(st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r2.Present(), []string{"grace"}) || !slices.Equal(r2.Recordings()[0].Agents, []string{"ada", "grace", "sam"}) {
		t.Fatalf("restored: present %v, agents %v", r2.Present(), r2.Recordings()[0].Agents)
	}
	out := r2.Finish(atSec(5))
	if len(out) != 1 || out[0].Produced {
		t.Fatalf("R-H6: a party who does not permit recordings: %+v", out)
	}
}

// TestHandOver_R_I8: the owner leaves and a party who joined after another
// one takes the chat (the hub skips supervisors): the recorder's owner is
// the one the hub chose.
func TestHandOver_R_I8(t *testing.T) {
	r := NewRecorder("c")
	r.Connect("ada", agentRights, Route{}, atSec(0))
	r.Join("sue", agentRights)
	r.Join("grace", agentRights)
	r.Leave("ada")
	r.HandOver("grace")
	if got := r.Present(); !slices.Equal(got, []string{"grace", "sue"}) {
		t.Fatalf("present %v", got)
	}
	recs, err := r.Press(BtnRecord, "grace", atSec(1))
	if err != nil || len(recs) != 1 || recs[0].Agent != "grace" || !slices.Equal(recs[0].Agents, []string{"grace", "sue"}) {
		t.Fatalf("grace owns the recorder: %+v %v", recs, err)
	}
}
