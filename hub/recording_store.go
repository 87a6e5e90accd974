package hub

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Where a finished recording goes (R-C7).
const (
	DeliveryStore = "store" // the recording store, recorder users only: snippets and policy recordings
	DeliveryAgent = "agent" // a file delivered to the agent: ad hoc Record
)

// StoredRecording is one recording as the hub keeps it: finished ones with
// their lines, parts and change log (who caused each change and why), live
// ones as they stand, dropped ones (R-H6) without their lines.
type StoredRecording struct {
	ID          string                `json:"id"`
	Name        string                `json:"name,omitempty"` // file name from the admin's template (R-H4)
	Interaction string                `json:"interaction"`
	Queue       string                `json:"queue"`
	Customer    string                `json:"customer"`
	Agent       string                `json:"agent"`
	Kind        string                `json:"kind"`
	State       string                `json:"state"`
	Delivery    string                `json:"delivery"` // DeliveryStore or DeliveryAgent (R-C7)
	Side        string                `json:"side,omitempty"`
	Dest        string                `json:"dest,omitempty"`
	Partitions  []string              `json:"partitions,omitempty"`
	Screen      bool                  `json:"screen"` // the screen is recorded too (R-V1)
	Parts       []session.Part        `json:"parts"`
	Lines       []session.MessageData `json:"lines"`
	Log         []session.RecChange   `json:"log"`
	Produced    bool                  `json:"produced"`
	Why         string                `json:"why,omitempty"` // why it was not produced
	FinishedAt  time.Time             `json:"finished_at,omitzero"`
}

// RecordingList is the answer of GET /v1/recordings.
type RecordingList struct {
	Recordings []StoredRecording `json:"recordings"` // finished and produced, oldest first
	Dropped    []StoredRecording `json:"dropped"`    // finished but not produced (R-H6), no lines
	Live       []StoredRecording `json:"live"`       // of chats not yet done
}

// recStore keeps finished recordings in memory. Only touched under the
// hub's lock.
type recStore struct {
	done    []StoredRecording
	dropped []StoredRecording
	names   map[string]bool
}

func (st *recStore) taken(name string) bool { return st.names[name] }

func delivery(k session.Kind) string {
	if k == session.KindRecord {
		return DeliveryAgent
	}
	return DeliveryStore
}

func (c *chat) stored(r *session.Recording) StoredRecording {
	return StoredRecording{
		ID: r.ID, Name: c.names[r.ID], Interaction: c.id, Queue: c.queue, Customer: c.name, Agent: r.Agent,
		Kind: r.Kind.String(), State: r.State.String(), Delivery: delivery(r.Kind), Side: r.Side, Dest: r.Dest,
		Partitions: slices.Clone(r.Partitions), Screen: r.Screen, Parts: slices.Clone(r.Parts),
		Lines: slices.Clone(r.Lines), Log: slices.Clone(r.Log), Produced: true,
	}
}

// recFinish ends the chat's recordings when it is done: the parts of each
// are joined (R-C6), each produced one is named by the admin's template
// with a name unique in the hub (R-H4) and kept; the agent is told.
func (s *Server) recFinish(c *chat) {
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		var names, why []string
		for _, out := range c.rec.Finish(now) {
			r := out.Recording
			if !out.Produced {
				sr := c.stored(r)
				sr.Produced, sr.Why, sr.Lines, sr.FinishedAt = false, out.Why, nil, now
				s.store.dropped = append(s.store.dropped, sr)
				why = append(why, out.Why)
				continue
			}
			name := s.fileName(c, r, now)
			if c.names == nil {
				c.names = map[string]string{}
			}
			c.names[r.ID] = name
			s.store.names[name] = true
			sr := c.stored(r)
			sr.FinishedAt = now
			s.store.done = append(s.store.done, sr)
			names = append(names, name)
		}
		switch {
		case len(names) > 0:
			return fmt.Sprintf("the hub stored %d recording(s): %s", len(names), strings.Join(names, ", ")), nil
		case len(why) > 0:
			return "no recording was stored: " + why[0], nil
		}
		return "", nil
	})
	// The store has copies now, and the agent its last frame: the chat,
	// which the hub keeps for late frames, forgets the transcript its
	// Recorder held.
	done := session.NewRecorder(c.id)
	done.SetState(session.Done, time.Now())
	c.rec = done
}

func (s *Server) fileName(c *chat, r *session.Recording, now time.Time) string {
	at := now
	if len(r.Parts) > 0 {
		at = r.Parts[0].Start
	}
	f := session.FileNameFields{
		At: at, Interaction: c.id, Agent: r.Agent, Queue: c.queue, Customer: c.name,
		Kind: r.Kind.String(), ID: r.ID,
	}
	name, err := session.FileName(s.cfg.Recording.FileNameTemplate, f, s.store.taken)
	if err != nil { // the template was validated at load
		name, _ = session.FileName(session.DefaultFileNameTemplate, f, s.store.taken)
	}
	return name
}

// Recordings lists the recordings of interaction (all when empty): the
// finished, the dropped and the live ones.
func (s *Server) Recordings(interaction string) RecordingList {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := RecordingList{Recordings: []StoredRecording{}, Dropped: []StoredRecording{}, Live: []StoredRecording{}}
	match := func(sr StoredRecording) bool { return interaction == "" || sr.Interaction == interaction }
	for _, sr := range s.store.done {
		if match(sr) {
			l.Recordings = append(l.Recordings, sr)
		}
	}
	for _, sr := range s.store.dropped {
		if match(sr) {
			l.Dropped = append(l.Dropped, sr)
		}
	}
	var live []*chat
	for _, c := range s.chats {
		if c.state != session.Done && c.rec != nil && (interaction == "" || c.id == interaction) {
			live = append(live, c)
		}
	}
	slices.SortFunc(live, func(x, y *chat) int { return int(x.seq - y.seq) })
	for _, c := range live {
		for _, r := range c.rec.Recordings() {
			sr := c.stored(r)
			sr.Produced = false // not yet
			l.Live = append(l.Live, sr)
		}
	}
	return l
}
