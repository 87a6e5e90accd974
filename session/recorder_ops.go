package session

import (
	"fmt"
	"slices"
	"time"
)

// move is the one function through which every recording changes state.
func (r *Recorder) move(rec *Recording, op RecOp, by Actor, now time.Time) error {
	next, err := step(rec.State, op)
	if err != nil {
		return err
	}
	switch op {
	case OpStart: // continue: a new part (R-C1)
		rec.Parts = append(rec.Parts, Part{Start: now})
	case OpStop:
		p := &rec.Parts[len(rec.Parts)-1]
		p.End = now
		if n := len(p.Pauses); n > 0 && p.Pauses[n-1].To.IsZero() {
			p.Pauses[n-1].To = now
		}
	case OpPause:
		p := &rec.Parts[len(rec.Parts)-1]
		p.Pauses = append(p.Pauses, Span{From: now})
	case OpResume:
		p := &rec.Parts[len(rec.Parts)-1]
		p.Pauses[len(p.Pauses)-1].To = now
	}
	rec.Log = append(rec.Log, RecChange{At: now, Op: op.String(), From: rec.State.String(), To: next.String(), By: by})
	rec.State = next
	return nil
}

func (r *Recorder) newRecording(kind Kind, id, side, dest string, partitions []string) *Recording {
	r.seq++
	if id == "" {
		id = fmt.Sprintf("%s-%s-%d", r.chat, kind, r.seq)
	}
	owner := r.owner
	rec := &Recording{
		ID: id, Kind: kind, State: RecStopped, Agent: owner, Side: side, Dest: dest,
		Partitions: slices.Clone(partitions),
		Screen:     Sampled(r.chat, "screen", r.rights[owner].ScreenPercent),
		Agents:     slices.Clone(r.present),
	}
	if len(rec.Agents) == 0 && owner != "" {
		rec.Agents = []string{owner}
	}
	r.recs = append(r.recs, rec)
	return rec
}

// begin creates a recording and starts its first part.
func (r *Recorder) begin(kind Kind, id, side, dest string, partitions []string, by Actor, now time.Time) *Recording {
	rec := r.newRecording(kind, id, side, dest, partitions)
	_ = r.move(rec, OpStart, by, now) // a new recording is stopped: start is always legal
	return rec
}

func (r *Recorder) ofKind(k Kind) *Recording {
	for _, rec := range r.recs {
		if rec.Kind == k {
			return rec
		}
	}
	return nil
}

func (r *Recorder) automatic() bool { return r.ofKind(KindAuto) != nil }

// plan works out what pressing b would do, without doing it: the recordings
// it changes and the op, or why it is unavailable.
func (r *Recorder) plan(b Button, agent string) ([]*Recording, RecOp, Kind, error) {
	rights := r.rights[agent]
	if r.state != Connected {
		return nil, 0, 0, ErrChatNotConnected
	}
	switch b {
	case BtnRecord, BtnSnip:
		kind, other := KindRecord, KindSnip
		right, usedErr, noRight := rights.MayRecord, ErrRecordAfterSnip, ErrNoRecordRight
		if b == BtnSnip {
			kind, other = KindSnip, KindRecord
			right, usedErr, noRight = rights.MaySnip, ErrSnipAfterRecord, ErrNoSnipRight
		}
		switch {
		case !right:
			return nil, 0, 0, noRight
		case r.ofKind(other) != nil:
			return nil, 0, 0, usedErr // R-C2
		case r.automatic():
			return nil, 0, 0, ErrAutomatic // R-H3
		}
		rec := r.ofKind(kind)
		if rec != nil && (rec.State == RecOn || rec.State == RecPaused) {
			return []*Recording{rec}, OpStop, kind, nil
		}
		if err := r.blocked(); err != nil {
			return nil, 0, 0, err
		}
		if rec != nil {
			return []*Recording{rec}, OpStart, kind, nil // continue (R-C1)
		}
		return nil, OpStart, kind, nil
	case BtnPause:
		if !rights.MayPause {
			return nil, 0, 0, ErrNoPauseRight
		}
		return r.pauseTargets()
	}
	return nil, 0, 0, ErrBadRecOp
}

// pauseTargets: Pause pauses every running pausable recording the agent may
// pause; when all of them are paused it resumes them (R-C4, R-H3).
func (r *Recorder) pauseTargets() ([]*Recording, RecOp, Kind, error) {
	var on, paused []*Recording
	snipOn := false
	for _, rec := range r.recs {
		switch {
		case rec.Kind == KindSnip:
			snipOn = snipOn || rec.State == RecOn
		case rec.Kind == KindAbuse:
		case rec.State == RecOn:
			on = append(on, rec)
		case rec.State == RecPaused:
			paused = append(paused, rec)
		}
	}
	switch {
	case len(on) > 0:
		return on, OpPause, 0, nil
	case len(paused) > 0:
		return paused, OpResume, 0, nil
	case snipOn:
		return nil, 0, 0, ErrPauseSnip
	}
	return nil, 0, 0, ErrNothingToPause
}

// Check reports whether agent may press b now: nil, or the named error the
// desktop shows beside the disabled button.
func (r *Recorder) Check(b Button, agent string) error {
	_, _, _, err := r.plan(b, agent)
	return err
}

// Press is the agent pressing b: Record and Snip start, stop and continue
// (R-C1); Pause pauses and resumes (R-C4). It returns the recordings changed.
func (r *Recorder) Press(b Button, agent string, now time.Time) ([]*Recording, error) {
	recs, op, kind, err := r.plan(b, agent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b, err)
	}
	by := Actor{Role: "agent", ID: agent, Reason: b.String() + " pressed"}
	if recs == nil {
		return []*Recording{r.begin(kind, "", "destination", "", nil, by, now)}, nil
	}
	for _, rec := range recs {
		if err := r.move(rec, op, by, now); err != nil {
			return nil, fmt.Errorf("%s: %w", b, err)
		}
	}
	return recs, nil
}

// APIRequest is a dynamic recording request (R-G3).
type APIRequest struct {
	Op         RecOp
	ID         string   // the recording; optional for START (generated) and for the others (all)
	Side       string   // "source" or "destination"; default destination
	Partitions []string // kept on the recording
	By         Actor
}

// API carries out a dynamic recording request (R-G3). START begins a new
// recording (or continues a stopped one with the same id); STOP, PAUSE and
// RESUME act on the recording with the id, or on every recording they apply
// to, including those begun by full-time and selective recording.
func (r *Recorder) API(req APIRequest, now time.Time) ([]*Recording, error) {
	if req.Side == "" {
		req.Side = "destination"
	}
	if req.Side != "source" && req.Side != "destination" {
		return nil, fmt.Errorf("%w: record must be source or destination, not %q", ErrBadRecOp, req.Side)
	}
	if r.state != Connected {
		return nil, ErrChatNotConnected
	}
	if req.Op == OpStart {
		if rec := r.Find(req.ID); rec != nil {
			if err := r.blockedFor(rec); err != nil {
				return nil, err
			}
			return []*Recording{rec}, r.move(rec, OpStart, req.By, now)
		}
		if err := r.blocked(); err != nil {
			return nil, err
		}
		return []*Recording{r.begin(KindDynamic, req.ID, req.Side, "", req.Partitions, req.By, now)}, nil
	}
	if req.Op != OpStop && req.Op != OpPause && req.Op != OpResume {
		return nil, fmt.Errorf("%w: %d", ErrBadRecOp, int(req.Op))
	}
	targets := r.recs
	if req.ID != "" {
		rec := r.Find(req.ID)
		if rec == nil {
			return nil, fmt.Errorf("%w: %q", ErrNoSuchRecording, req.ID)
		}
		targets = []*Recording{rec}
	}
	var changed []*Recording
	var lastErr error = ErrNothingToPause
	for _, rec := range targets {
		if req.Op == OpPause && !rec.Kind.Pausable() {
			lastErr = ErrPauseSnip
			continue
		}
		if err := r.move(rec, req.Op, req.By, now); err != nil {
			lastErr = err
			continue
		}
		changed = append(changed, rec)
	}
	if len(changed) == 0 {
		return nil, lastErr
	}
	return changed, nil
}

func (r *Recorder) blockedFor(rec *Recording) error {
	if rec.State == RecStopped {
		return r.blocked()
	}
	return nil
}

// RecStatus summarises an interaction's recordings for the desktop: what is
// recording, whether it is paused, and whether someone other than the agent
// is recording it (R-C8).
type RecStatus struct {
	Recording bool      // at least one recording is on
	Paused    bool      // nothing is on, at least one is paused
	Kinds     []Kind    // kinds of the running or paused recordings
	Observed  bool      // a supervisor or flow is recording the chat (R-C8)
	Since     time.Time // start of the oldest running part
}

// Status summarises the recordings now.
func (r *Recorder) Status() RecStatus {
	var st RecStatus
	for _, rec := range r.recs {
		if rec.State != RecOn && rec.State != RecPaused {
			continue
		}
		st.Kinds = append(st.Kinds, rec.Kind)
		if rec.State == RecOn {
			st.Recording = true
			if p := rec.Parts[len(rec.Parts)-1]; st.Since.IsZero() || p.Start.Before(st.Since) {
				st.Since = p.Start
			}
		}
		if len(rec.Log) > 0 {
			if role := rec.Log[0].By.Role; role == "supervisor" || role == "flow" {
				st.Observed = true
			}
		}
	}
	st.Paused = !st.Recording && len(st.Kinds) > 0
	return st
}
