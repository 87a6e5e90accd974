package session

import "fmt"

// RecorderState is a Recorder as the hub's store keeps it: everything but
// transcript lines, which the store keeps once, with the chat. Each
// recording's Lines are left out; the store keeps which lines each one
// took and RestoreRecorder puts them back.
type RecorderState struct {
	Chat       string            `json:"chat"`
	State      State             `json:"state"`
	Owner      string            `json:"owner,omitempty"`
	Present    []string          `json:"present,omitempty"` // the owner, then the conferenced agents
	Rights     map[string]Rights `json:"rights,omitempty"`
	Recordings []Recording       `json:"recordings,omitempty"`
	Abusive    bool              `json:"abusive,omitempty"`
	AbusiveBy  Actor             `json:"abusive_by,omitzero"`
	Consent    int               `json:"consent,omitempty"` // 0 not asked, 1 yes, -1 no, 2 asked
	Waiting    *Route            `json:"waiting,omitempty"` // the route held until the customer's Yes
	Deletion   bool              `json:"deletion,omitempty"`
	Denied     bool              `json:"denied,omitempty"`
	Seq        int               `json:"seq,omitempty"`
}

// Snapshot returns the Recorder's state without lines. It shares slices
// with the Recorder: encode it before the Recorder changes again.
func (r *Recorder) Snapshot() RecorderState {
	st := RecorderState{
		Chat: r.chat, State: r.state, Owner: r.owner, Present: r.present, Rights: r.rights,
		Abusive: r.abusive, AbusiveBy: r.abusiveBy, Consent: r.consent, Waiting: r.waiting,
		Deletion: r.deletion, Denied: r.denied, Seq: r.seq,
	}
	if len(st.Rights) == 0 {
		st.Rights = nil
	}
	for _, rec := range r.recs {
		c := *rec
		c.Lines = nil
		st.Recordings = append(st.Recordings, c)
	}
	return st
}

// RestoreRecorder rebuilds a Recorder from its state, the chat's whole
// transcript (every line it was offered, in order) and, per recording id,
// the ids of the lines that recording took. A line id the transcript does
// not have is an error: the store lost a line.
func RestoreRecorder(st RecorderState, transcript []MessageData, took map[string][]int64) (*Recorder, error) {
	r := &Recorder{
		chat: st.Chat, state: st.State, owner: st.Owner, present: st.Present, rights: map[string]Rights{},
		abusive: st.Abusive, abusiveBy: st.AbusiveBy, consent: st.Consent, waiting: st.Waiting,
		deletion: st.Deletion, denied: st.Denied, seq: st.Seq,
	}
	for k, v := range st.Rights {
		r.rights[k] = v
	}
	r.all = append([]MessageData(nil), transcript...)
	byID := make(map[int64]int, len(transcript))
	for i, m := range transcript {
		byID[m.ID] = i
	}
	for i := range st.Recordings {
		rec := st.Recordings[i]
		rec.Lines = nil
		for _, id := range took[rec.ID] {
			j, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("session: restore %s: recording %s took line %d, which the transcript lacks", st.Chat, rec.ID, id)
			}
			rec.Lines = append(rec.Lines, transcript[j])
		}
		r.recs = append(r.recs, &rec)
	}
	return r, nil
}
