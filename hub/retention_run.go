package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/ingest"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
)

// The audit entries of retention, legal hold and erasure (issue 13 points
// 4-6, R-V9) besides ActionErase.
const (
	ActionArchive    = "archive"     // a recording's files moved to the archive folder
	ActionRestore    = "restore"     // an archived recording's files moved back
	ActionPurge      = "purge"       // a recording deleted by a retention rule: a tombstone per file
	ActionHold       = "hold"        // a legal hold placed
	ActionHoldLifted = "hold_lifted" // a legal hold lifted
)

// Errors of deleting a recording (purge, erasure).
var (
	// ErrImmutable: store.immutable refuses a deletion before the
	// recording's retention age.
	ErrImmutable = errors.New("store.immutable")
	// ErrAmbiguous: a recording id that several interactions use.
	ErrAmbiguous = errors.New("several interactions have a recording with that id: give its interaction")
)

// HeldError refuses the deletion of a recording under a legal hold, and
// names the hold.
type HeldError struct{ Hold store.Hold }

func (e *HeldError) Error() string {
	return fmt.Sprintf("the recording is under %s, placed by %s on %s (%s): lift the hold first",
		e.Hold.Name(), e.Hold.PlacedBy, e.Hold.PlacedAt.UTC().Format(time.DateOnly), e.Hold.Reason)
}

// actor is who does a retention action: a caller of the API, or the
// schedule.
type actor struct{ User, Role, From string }

// scheduled is the retention schedule as an actor.
var scheduled = actor{User: "retention", Role: "system"}

func (a actor) by() string { return a.Role + " " + a.User }

// retentionState is the hub's retention: one run, hold change or deletion
// at a time (a hold placed cannot miss a purge under way), and the
// schedule.
type retentionState struct {
	mu   sync.Mutex
	wg   sync.WaitGroup
	quit chan struct{} // closed by stopRetention; nil without a schedule
	once sync.Once
}

// startRetention runs the rules a minute after the hub starts and then
// every retention.every, until Close.
func (s *Server) startRetention() {
	if len(s.cfg.Retention.Rules) == 0 || s.cfg.Store.Dir == "" {
		return
	}
	every := s.cfg.Retention.Every
	if every <= 0 {
		every = DefaultRetentionEvery
	}
	s.ret.quit = make(chan struct{})
	s.ret.wg.Add(1)
	go func() {
		defer s.ret.wg.Done()
		t := time.NewTimer(min(retentionFirstRun, every))
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-s.ret.quit:
				return
			case <-t.C:
			}
			rep, err := s.RunRetention(context.Background(), false, scheduled)
			if err != nil {
				s.log.Error("retention: scheduled run", "err", err)
			} else if rep.Archived+rep.Purged+rep.Failed > 0 {
				s.log.Info("retention: scheduled run", "archived", rep.Archived, "purged", rep.Purged, "skipped", rep.Skipped, "failed", rep.Failed)
			}
			t.Reset(every)
		}
	}()
}

// stopRetention ends the schedule and waits for a run under way.
func (s *Server) stopRetention() {
	s.ret.once.Do(func() {
		if s.ret.quit != nil {
			close(s.ret.quit)
		}
	})
	s.ret.wg.Wait()
}

// RunRetention applies the retention rules now (R-V6): with dry, it only
// lists what is due and why (and what a legal hold stops); else it
// archives and purges it, each action audited as by a.
func (s *Server) RunRetention(ctx context.Context, dry bool, a actor) (retention.Report, error) {
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	now := s.clock.Now().UTC()
	rep := retention.Report{At: now, DryRun: dry, Items: []retention.Item{}}
	rules := s.cfg.Retention.Rules
	if len(rules) == 0 {
		return rep, nil
	}
	held, err := s.heldSet(ctx)
	if err != nil {
		return rep, err
	}
	recs, items, err := s.retentionDue(ctx, rules, now, held)
	if err != nil {
		return rep, err
	}
	for i := range items {
		it := &items[i]
		if !dry && it.Skipped == "" {
			var err error
			switch it.Action {
			case retention.Archive:
				err = s.archive(ctx, recs[i], a, "retention rule "+it.Rule)
			case retention.Purge:
				_, err = s.deleteRecording(ctx, recs[i], a, ActionPurge, "retention rule "+it.Rule)
			}
			if err != nil {
				it.Error = err.Error()
				s.log.Error("retention: "+it.Action, "recording", it.Recording, "interaction", it.Interaction, "err", err)
			} else {
				it.Done = true
			}
		}
		rep.Count(*it)
	}
	rep.Items = items
	return rep, nil
}

// retentionDue lists the finished, produced recordings the rules say to
// archive or purge at now, with why, and the recordings themselves.
func (s *Server) retentionDue(ctx context.Context, rules retention.Rules, now time.Time, held map[string]store.Hold) ([]store.Recording, []retention.Item, error) {
	teams := s.ruleTeams(rules)
	var recs []store.Recording
	items := []retention.Item{}
	f := store.RecordingFilter{NoLines: true, Limit: store.DefaultLimit, To: now.Add(-minAge(rules))}
	for {
		page, err := s.st.Recordings(ctx, f)
		if err != nil {
			return nil, nil, fmt.Errorf("retention: recordings: %w", err)
		}
		for _, r := range page.Recordings {
			if !r.Produced {
				continue
			}
			d := rules.Decide(subject(r, teams), now)
			it, ok := dueItem(r, d, held)
			if ok {
				recs, items = append(recs, r), append(items, it)
			}
		}
		if page.Next == "" {
			return recs, items, nil
		}
		f.Cursor = page.Next
	}
}

// dueItem is what decision d says of r, if anything is to be done.
func dueItem(r store.Recording, d retention.Decision, held map[string]store.Hold) (retention.Item, bool) {
	if d.Action != retention.Archive && d.Action != retention.Purge {
		return retention.Item{}, false
	}
	it := retention.Item{Recording: r.ID, Interaction: r.Interaction, Agent: r.Agent, Queue: r.Queue, Kind: r.Kind,
		Finished: r.FinishedAt, Age: retention.Age(d.Age.Truncate(time.Second)), Rule: d.Label, Action: d.Action}
	archived := 0
	for _, f := range r.Files {
		it.Files = append(it.Files, retention.File{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size, Archived: f.Archived})
		if f.Archived {
			archived++
		}
	}
	switch {
	case d.Action == retention.Archive && len(r.Files) > 0 && archived == len(r.Files):
		return it, false // archived already: nothing to do, nothing to list
	case d.Action == retention.Archive && len(r.Files) == 0:
		it.Skipped = "no stored file to archive"
	case d.Action == retention.Purge:
		if h, ok := held[holdKey(r.Interaction, r.ID)]; ok {
			it.Skipped = "on " + h.Name() + ": " + h.Reason
		}
	}
	return it, true
}

// minAge is the youngest age of the rules that archive or purge: nothing
// younger is due.
func minAge(rules retention.Rules) time.Duration {
	m := time.Duration(-1)
	for _, r := range rules {
		if r.Action != retention.Keep && (m < 0 || time.Duration(r.Age) < m) {
			m = time.Duration(r.Age)
		}
	}
	return max(m, 0)
}

// ruleTeams is, per team the rules name, the agents in it or under it.
func (s *Server) ruleTeams(rules retention.Rules) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, r := range rules {
		if r.Team != "" && out[r.Team] == nil {
			in := map[string]bool{}
			for _, a := range s.tokens.TeamAgents(r.Team) {
				in[a] = true
			}
			out[r.Team] = in
		}
	}
	return out
}

// subject is what the rules look at of r.
func subject(r store.Recording, teams map[string]map[string]bool) retention.Subject {
	sub := retention.Subject{Kind: r.Kind, Queue: r.Queue, Finished: r.FinishedAt}
	for team, agents := range teams {
		if agents[r.Agent] {
			sub.Teams = append(sub.Teams, team)
		}
	}
	return sub
}

// findRecording is the recording with id (in interaction, when given).
func (s *Server) findRecording(ctx context.Context, id, interaction string) (store.Recording, error) {
	page, err := s.st.Recordings(ctx, store.RecordingFilter{ID: id, Interaction: interaction, NoLines: true, Limit: 2})
	switch {
	case err != nil:
		return store.Recording{}, err
	case len(page.Recordings) == 0:
		return store.Recording{}, fmt.Errorf("%w: recording %s", store.ErrNotFound, id)
	case len(page.Recordings) > 1:
		return store.Recording{}, ErrAmbiguous
	}
	return page.Recordings[0], nil
}

// archive moves r's files that are not archived yet to the archive
// folder and marks them so, each audited.
func (s *Server) archive(ctx context.Context, r store.Recording, a actor, why string) error {
	return s.moveFiles(ctx, r, a, why, true)
}

// restoreArchived moves an archived recording's files back (compliance,
// admin).
func (s *Server) restoreArchived(ctx context.Context, r store.Recording, a actor, why string) error {
	return s.moveFiles(ctx, r, a, why, false)
}

func (s *Server) moveFiles(ctx context.Context, r store.Recording, a actor, why string, toArchive bool) error {
	action := ActionRestore
	if toArchive {
		action = ActionArchive
	}
	moved := 0
	for _, ref := range r.Files {
		if ref.Archived == toArchive {
			continue
		}
		f, err := s.st.File(ctx, ref.ID)
		if err != nil {
			return err
		}
		at := time.Time{}
		if toArchive {
			at = s.clock.Now().UTC()
		}
		if err := s.moveFile(ctx, f, at); err != nil {
			s.retentionAudited(ctx, a, action, r, &ref, why, store.OutcomeFailed, nil)
			return err
		}
		moved++
		s.retentionAudited(ctx, a, action, r, &ref, why, store.OutcomeOK, nil)
	}
	if moved == 0 && !toArchive {
		return fmt.Errorf("%w: recording %s has no archived file", errNothingToDo, r.ID)
	}
	return nil
}

// errNothingToDo: a restore of a recording not archived.
var errNothingToDo = errors.New("nothing to do")

// moveFile moves f between files/ and archive/ (to the archive when at is
// set) and marks it so in the index; a failed mark moves it back.
func (s *Server) moveFile(ctx context.Context, f store.File, at time.Time) error {
	if s.cfg.Store.Dir == "" {
		return errors.New("retention: the hub has no store folder")
	}
	if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
		return fmt.Errorf("retention: file %s: its path %q leaves the store folder", f.ID, f.Path)
	}
	if s.in == nil {
		return errors.New("retention: the hub holds no recording files (an edge)")
	}
	// The files' storage moves it: files/ to archive/ in the store
	// folder, or the live to the archive bucket in S3 (issue 16).
	move, back := s.in.Archive, s.in.Restore
	if at.IsZero() {
		move, back = s.in.Restore, s.in.Archive
	}
	if err := move(ctx, f); err != nil {
		return fmt.Errorf("retention: file %s: %w", f.ID, err)
	}
	if err := s.st.SetArchived(ctx, f.ID, at); err != nil {
		if rerr := back(ctx, f); rerr != nil {
			s.log.Error("retention: a moved file could not be moved back", "file", f.ID, "err", rerr)
		}
		return err
	}
	return nil
}

// deletable refuses the deletion of r in immutable mode before the
// rules say purge for it.
func (s *Server) deletable(r store.Recording, now time.Time) error {
	if !s.cfg.Store.Immutable {
		return nil
	}
	due, rule, ok := s.cfg.Retention.Rules.PurgeDue(subject(r, s.ruleTeams(s.cfg.Retention.Rules)))
	switch {
	case !ok:
		return fmt.Errorf("%w: recording %s may not be deleted by anyone: no retention rule ever purges it (write-once store)", ErrImmutable, r.ID)
	case now.Before(due):
		return fmt.Errorf("%w: recording %s may not be deleted by anyone before its retention age: %s purges it from %s",
			ErrImmutable, r.ID, rule, due.UTC().Format(time.RFC3339))
	}
	return nil
}

// deleteRecording deletes r for good, unless a legal hold covers it or
// the store is immutable and r is not due: its files from disk, then its
// row, index rows and transcript lines from the store, which keeps a
// tombstone per file; each tombstone is audited as action (ActionPurge
// or ActionErase). The caller holds s.ret.mu.
func (s *Server) deleteRecording(ctx context.Context, r store.Recording, a actor, action, why string) ([]store.Tombstone, error) {
	now := s.clock.Now().UTC()
	if h, held, err := s.holdOn(ctx, r); err != nil {
		return nil, err
	} else if held {
		err := &HeldError{Hold: h}
		s.retentionAudited(ctx, a, action, r, nil, why, store.OutcomeDenied, map[string]any{"refused": err.Error()})
		return nil, err
	}
	if err := s.deletable(r, now); err != nil {
		s.retentionAudited(ctx, a, action, r, nil, why, store.OutcomeDenied, map[string]any{"refused": err.Error()})
		return nil, err
	}
	// Each file is set aside first (a rename), so that a store that
	// refuses the purge gets it back whole; a crash in between leaves it
	// set aside, and the next purge of the recording ends the job.
	var aside, objects []string
	_, inFolder := s.files().(*ingest.Folder)
	inFolder = inFolder || s.files() == nil
	for _, ref := range r.Files {
		f, err := s.st.File(ctx, ref.ID)
		if errors.Is(err, store.ErrNotFound) || s.cfg.Store.Dir == "" {
			continue
		}
		if err != nil {
			putBack(aside)
			return nil, err
		}
		if !inFolder { // in S3: deleted once the store has purged the rows
			objects = append(objects, f.Path)
			continue
		}
		p := ingest.StoredPath(s.cfg.Store.Dir, f)
		if err := os.Rename(p, p+purging); err != nil && !errors.Is(err, os.ErrNotExist) {
			putBack(aside)
			return nil, fmt.Errorf("retention: delete file %s: %w", f.ID, err)
		}
		aside = append(aside, p)
	}
	stones, err := s.st.PurgeRecording(ctx, store.Purge{Interaction: r.Interaction, Recording: r.ID, At: now, By: a.by(), Why: why})
	if err != nil {
		putBack(aside)
		return nil, err
	}
	for _, p := range aside {
		if err := os.Remove(p + purging); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Error("retention: a purged file could not be deleted; delete it by hand", "path", p+purging, "err", err)
		}
	}
	for _, key := range objects {
		if err := s.files().Remove(ctx, key); err != nil {
			s.log.Error("retention: a purged file could not be deleted from the storage; delete it by hand", "key", key, "err", err)
		}
	}
	s.lastRecordingGone(ctx, r.Interaction, a.by(), why)
	for _, t := range stones {
		var ref *store.FileRef
		if t.File != "" {
			ref = &store.FileRef{ID: t.File, SHA256: t.SHA256, Size: t.Size}
			for _, f := range r.Files {
				if f.ID == t.File {
					ref.Name = f.Name
				}
			}
		}
		s.retentionAudited(ctx, a, action, r, ref, why, store.OutcomeOK, nil)
	}
	return stones, nil
}

// files is the recording files' storage (nil on an edge).
func (s *Server) files() ingest.Storage {
	if s.in == nil {
		return nil
	}
	return s.in.Storage()
}

// purging suffixes a file set aside while its recording is purged.
const purging = ".purging"

// putBack returns files set aside for a purge that did not happen.
func putBack(paths []string) {
	for _, p := range paths {
		_ = os.Rename(p+purging, p)
	}
}

// lastRecordingGone erases the files sent in a chat (R-I6: they are part
// of its recordings) once a purge or an erasure has taken its last
// recording, unless the chat is still live (more may come).
func (s *Server) lastRecordingGone(ctx context.Context, interaction, by, why string) {
	page, err := s.st.Recordings(ctx, store.RecordingFilter{Interaction: interaction, NoLines: true, Limit: 1})
	if err != nil || len(page.Recordings) > 0 {
		return
	}
	s.lock()
	defer s.unlock()
	if c := s.chats[interaction]; c != nil && c.state.Live() {
		return
	}
	s.eraseChatFilesOf(interaction, by, why)
}
