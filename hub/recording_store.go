package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Where a finished recording goes (R-C7).
const (
	DeliveryStore = "store" // the recording store, recorder users only: snippets and policy recordings
	DeliveryAgent = "agent" // a file delivered to the agent: ad hoc Record
)

// RecordingList is the answer of GET /v1/recordings.
type RecordingList struct {
	Recordings []store.Recording `json:"recordings"` // finished and produced, in the order they finished, with their files
	Dropped    []store.Recording `json:"dropped"`    // finished but not produced (R-H6), no lines
	Live       []store.Recording `json:"live"`       // of chats not yet done
	Next       string            `json:"next,omitempty"`
	// Total counts the finished recordings (produced and dropped) of
	// every page, when the search asked (count=1).
	Total *int `json:"total,omitempty"`
	// Mail is, for an agent's own ad hoc recordings, how far their e-mail
	// to the agent got, by recording id (issue 13 point 7, deliver.go).
	Mail map[string]MailState `json:"mail,omitempty"`
}

func delivery(k session.Kind) string {
	if k == session.KindRecord {
		return DeliveryAgent
	}
	return DeliveryStore
}

// stored is a recording of c as the store keeps it: with the chat's
// contact, disposition and, of its case data, the values of tags (R-V7).
func (c *chat) stored(r *session.Recording, tags func(map[string]string) map[string]string) store.Recording {
	return store.Recording{
		ID: r.ID, Name: c.names[r.ID], Interaction: c.id, Queue: c.queue, Customer: c.name, Contact: c.contact,
		Disposition: c.disposition, Tags: tags(c.caseData), Agent: r.Agent,
		Kind: r.Kind.String(), State: r.State.String(), Delivery: delivery(r.Kind), Side: r.Side, Dest: r.Dest,
		Partitions: slices.Clone(r.Partitions), Screen: r.Screen, Parts: slices.Clone(r.Parts),
		Lines: slices.Clone(r.Lines), Log: slices.Clone(r.Log), Produced: true, Agents: slices.Clone(r.Agents),
	}
}

// recFinish ends the chat's recordings when it is done: the parts of each
// are joined (R-C6), each produced one is named by the admin's template
// with a name unique in the store (R-H4), and every one goes to the store
// with why it was dropped if it was (R-H6); the agent is told.
func (s *Server) recFinish(c *chat) {
	var rows []store.Recording
	var took []store.Took
	_, _ = s.recDo(c, func(now time.Time) (string, error) {
		var names, why []string
		for _, out := range c.rec.Finish(now) {
			r := out.Recording
			if !out.Produced {
				delete(s.live, c.names[r.ID]) // a recording that is not produced has no name (R-H6)
				delete(c.names, r.ID)
				sr := c.stored(r, s.cfg.tagsOf)
				sr.Produced, sr.Why, sr.Lines, sr.FinishedAt = false, out.Why, nil, now
				rows = append(rows, sr)
				why = append(why, out.Why)
				continue
			}
			name := c.names[r.ID] // given when it began
			if name == "" {
				name = s.fileName(c, r, now)
				if c.names == nil {
					c.names = map[string]string{}
				}
				c.names[r.ID] = name
				s.names[name] = true
			}
			sr := c.stored(r, s.cfg.tagsOf)
			sr.FinishedAt, sr.Lines = now, nil
			rows = append(rows, sr)
			for _, m := range r.Lines {
				took = append(took, store.Took{Chat: c.id, Recording: r.ID, Line: m.ID})
			}
			names = append(names, name)
		}
		switch {
		case len(names) == 1:
			return "the hub stored the recording " + names[0], nil
		case len(names) > 1:
			return fmt.Sprintf("the hub stored %d recordings: %s", len(names), strings.Join(names, ", ")), nil
		case len(why) > 0:
			return "no recording was stored: " + why[0], nil
		}
		return "", nil
	})
	if len(rows) > 0 {
		// The abuse recording (R-H7) takes lines at Finish: its takes too.
		s.j.add(func(b *store.Batch) {
			b.Recordings = append(b.Recordings, rows...)
			b.Took = append(b.Took, took...)
		})
	}
	if why := mustNotExist(c); why != "" {
		s.eraseChatFiles(c, "hub", why) // files sent after the erasure go at the end (R-H6)
	}
	// The store has the recordings now, and the agent its last frame: the
	// chat forgets the transcript its Recorder held.
	done := session.NewRecorder(c.id)
	done.SetState(session.Done, s.now())
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
	s.j.sync() // names given in earlier sections are in the store
	taken := func(name string) bool {
		if s.names[name] || s.live[name] {
			return true
		}
		t, err := s.st.NameTaken(context.Background(), name)
		if err != nil {
			s.log.Error("store: name taken", "name", name, "err", err)
		}
		return t
	}
	name, err := session.FileName(s.cfg.Recording.FileNameTemplate, f, taken)
	if err != nil { // the template was validated at load
		name, _ = session.FileName(session.DefaultFileNameTemplate, f, taken)
	}
	return name
}

// nameRecordings gives each recording that began a file name from the
// template as soon as it begins (R-H4), not only when the chat is done: a
// desktop that must recover a capture before the end names it so. The
// names of live chats are kept apart so that no two collide.
func (s *Server) nameRecordings(c *chat, now time.Time) {
	for _, r := range c.rec.Recordings() {
		if len(r.Parts) == 0 || c.names[r.ID] != "" {
			continue
		}
		name := s.fileName(c, r, now)
		if c.names == nil {
			c.names = map[string]string{}
		}
		c.names[r.ID] = name
		s.names[name], s.live[name] = true, true
		s.touch(c)
	}
}

// Recordings lists the recordings of interaction (all when empty): the
// finished ones from the store, a page of at most limit (0 for the
// store's default) from cursor (a page's Next), and the live ones.
func (s *Server) Recordings(interaction, cursor string, limit int) (RecordingList, error) {
	return s.SearchRecordings(store.RecordingFilter{Interaction: interaction, Cursor: cursor, Limit: limit})
}

// SearchRecordings lists the recordings f selects (issue 12, R-V5): the
// finished ones from the store a page at a time, and the live ones that
// match what a live recording already has: f's id, interaction, agents,
// queue, kinds, customer, contact, partitions and screen (none when f
// asks for a time finished, words of the transcript, a disposition, a
// duration, voice or tags: a live recording has none of them yet).
func (s *Server) SearchRecordings(f store.RecordingFilter) (RecordingList, error) {
	s.j.sync() // what was acknowledged before this call is in the list
	l := RecordingList{Recordings: []store.Recording{}, Dropped: []store.Recording{}, Live: []store.Recording{}}
	page, err := s.st.Recordings(context.Background(), f)
	if err != nil {
		return l, err
	}
	for _, r := range page.Recordings {
		if r.Produced {
			l.Recordings = append(l.Recordings, r)
		} else {
			l.Dropped = append(l.Dropped, r)
		}
	}
	l.Next = page.Next
	if f.Count {
		l.Total = &page.Total
	}
	if !f.From.IsZero() || !f.To.IsZero() || strings.TrimSpace(f.Text) != "" || f.Disposition != "" ||
		f.MinDuration > 0 || f.MaxDuration > 0 || f.Voice != store.Either || len(f.Tags) > 0 {
		return l, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var live []*chat
	for _, c := range s.chats {
		if c.state != session.Done && c.rec != nil && (f.Interaction == "" || c.id == f.Interaction) {
			live = append(live, c)
		}
	}
	slices.SortFunc(live, func(x, y *chat) int { return int(x.seq - y.seq) })
	for _, c := range live {
		c.mu.Lock()
		for _, r := range c.rec.Recordings() {
			sr := c.stored(r, s.cfg.tagsOf)
			sr.Produced = false // not yet
			if liveMatch(f, &sr) {
				l.Live = append(l.Live, sr)
			}
		}
		c.mu.Unlock()
	}
	return l, nil
}

// liveMatch reports whether a live recording matches what f asks of the
// columns it already has.
func liveMatch(f store.RecordingFilter, r *store.Recording) bool {
	match := func(filter, v string) bool { return filter == "" || filter == v }
	in := func(set []string, v string) bool { return set == nil || slices.Contains(set, v) }
	partition := len(f.Partitions) == 0 || slices.ContainsFunc(r.Partitions, func(p string) bool { return slices.Contains(f.Partitions, p) })
	screen := f.Screen == store.Either || (f.Screen == store.With) == r.Screen
	return match(f.ID, r.ID) && match(f.Agent, r.Agent) && match(f.Queue, r.Queue) && match(f.Kind, r.Kind) && match(f.Customer, r.Customer) &&
		match(f.Contact, r.Contact) && in(f.AgentIn, r.Agent) && in(f.KindIn, r.Kind) && partition && screen
}
