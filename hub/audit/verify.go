package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/agentdesk/agentdesk/hub/store"
)

// What Verify found wrong (Finding.Kind).
const (
	Edited    = "edited"    // an entry's bytes changed
	Removed   = "removed"   // entries missing from the middle
	Reordered = "reordered" // two entries swapped
	Inserted  = "inserted"  // an entry that was never appended
	Truncated = "truncated" // entries missing from the end
	Rewritten = "rewritten" // the leaves no longer hash to a signed checkpoint
	BadSig    = "bad-checkpoint"
)

// Finding is one thing Verify found wrong.
type Finding struct {
	Kind  string
	Index int64 // the first entry concerned (-1: none in particular)
	Text  string
}

func (f Finding) String() string { return f.Kind + ": " + f.Text }

// Source is a checkpoint to verify against, with where it came from (for
// messages).
type Source struct {
	Name string // e.g. "store checkpoint 12", or a file's path
	Note []byte
}

// Report is what Verify found: the log's size and root, how many signed
// checkpoints it was checked against, and what is wrong (First is the
// first entry touched; the rest follow).
type Report struct {
	Size        int64
	Root        tlog.Hash
	Checkpoints int // checked and signed by the key
	Findings    []Finding
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

// Verify recomputes the tree from the leaves st holds and checks it
// against every checkpoint st keeps and every one in extra: each must be
// signed by v and be the root of the log's first Size entries. Walking the
// leaves it checks each entry's seq and prev and its hash against the one
// stored when it was appended, and names the first entry edited, removed,
// reordered or inserted. An error is a failure to read, not a finding.
func Verify(ctx context.Context, st store.AuditLog, v note.Verifier, extra []Source) (*Report, error) {
	rep := &Report{}
	kept, err := st.AuditCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	srcs := make([]Source, 0, len(kept)+len(extra))
	for i, c := range kept {
		srcs = append(srcs, Source{Name: fmt.Sprintf("the store's checkpoint %d (of %s)", i+1, c.At.UTC().Format("2006-01-02 15:04:05Z")), Note: c.Note})
	}
	srcs = append(srcs, extra...)
	type ck struct {
		Checkpoint
		src string
	}
	var cks []ck
	for _, s := range srcs {
		c, err := OpenCheckpoint(s.Note, v)
		if err != nil {
			rep.Findings = append(rep.Findings, Finding{Kind: BadSig, Index: -1, Text: fmt.Sprintf("%s: %v", s.Name, err)})
			continue
		}
		cks = append(cks, ck{c, s.Name})
	}
	rep.Checkpoints = len(cks)
	sort.SliceStable(cks, func(i, j int) bool { return cks[i].Size < cks[j].Size })

	w := walker{}
	next := 0 // the next checkpoint to compare
	var good int64 = -1
	var goodName string
	compare := func() {
		for next < len(cks) && cks[next].Size == w.n {
			c := cks[next]
			next++
			if w.root() == c.Root {
				good, goodName = c.Size, c.src
				continue
			}
			where := "anywhere in the log"
			if good >= 0 {
				where = fmt.Sprintf("among entries %d to %d (%s, of %d entries, still matches)", good, c.Size-1, goodName, good)
			} else if c.Size > 0 {
				where = fmt.Sprintf("among entries 0 to %d", c.Size-1)
			}
			w.rewrites = append(w.rewrites, Finding{Kind: Rewritten, Index: max(good, 0), Text: fmt.Sprintf(
				"the log's first %d entries do not hash to %s, signed for a tree of %d entries: the log was changed %s", c.Size, c.src, c.Size, where)})
		}
	}
	compare()
	err = st.ScanAudit(ctx, 0, func(lf store.AuditLeaf) error {
		w.add(lf)
		compare()
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.finish()
	rep.Size, rep.Root = w.n, w.root()
	if w.found != nil {
		rep.Findings = append(rep.Findings, *w.found)
	}
	// The log is shorter than a checkpoint: its tail was cut (unless a
	// removal found above already accounts for the entries missing).
	for ; next < len(cks) && (w.found == nil || w.found.Kind != Removed); next++ {
		if c := cks[next]; c.Size > w.n {
			missing := fmt.Sprintf("entries %d to %d are missing", w.n, c.Size-1)
			if c.Size-1 == w.n {
				missing = fmt.Sprintf("entry %d is missing", w.n)
			}
			rep.Findings = append(rep.Findings, Finding{Kind: Truncated, Index: w.n, Text: fmt.Sprintf(
				"%s: the log holds %d entries, %s was signed for %d", missing, w.n, c.src, c.Size)})
			break
		}
	}
	if w.found == nil {
		rep.Findings = append(rep.Findings, w.rewrites...)
	} else if len(w.rewrites) > 0 {
		rep.Findings = append(rep.Findings, w.rewrites[0])
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rank(rep.Findings[i]) < rank(rep.Findings[j]) })
	return rep, nil
}

// rank orders findings: a named entry first, then the checkpoints'.
func rank(f Finding) int {
	switch f.Kind {
	case Edited, Removed, Reordered, Inserted:
		return 0
	case Truncated:
		return 1
	case Rewritten:
		return 2
	}
	return 3
}

// walker recomputes the tree leaf by leaf (a compact range: the roots of
// its perfect subtrees) and classifies the first entry out of place.
type walker struct {
	n     int64
	stack []sub
	hs    []tlog.Hash // the leaf hashes of positions n-2 and n-1
	// The first suspicious position found by hash alone (the leaf does not
	// hash to what was stored when it was appended): told as an edit
	// unless the next entry shows it was an insertion.
	mismatch int64
	pending  *pendingSeq
	found    *Finding

	rewrites []Finding
}

type sub struct {
	h    tlog.Hash
	size int64
}

type pendingSeq struct{ pos, seq int64 }

func (w *walker) leafAt(back int64) (tlog.Hash, bool) {
	if back > int64(len(w.hs)) || back <= 0 {
		return tlog.Hash{}, false
	}
	return w.hs[int64(len(w.hs))-back], true
}

func (w *walker) set(f Finding) {
	if w.found == nil {
		w.found = &f
	}
}

func (w *walker) add(lf store.AuditLeaf) {
	i := w.n
	h := tlog.RecordHash(lf.Entry)
	if w.found == nil {
		w.classify(i, lf, h)
	}
	w.hs = append(w.hs, h)
	if len(w.hs) > 2 {
		w.hs = w.hs[1:]
	}
	w.stack = append(w.stack, sub{h, 1})
	for len(w.stack) > 1 && w.stack[len(w.stack)-1].size == w.stack[len(w.stack)-2].size {
		l, r := w.stack[len(w.stack)-2], w.stack[len(w.stack)-1]
		w.stack = append(w.stack[:len(w.stack)-2], sub{tlog.NodeHash(l.h, r.h), l.size * 2})
	}
	w.n++
}

func (w *walker) classify(i int64, lf store.AuditLeaf, h tlog.Hash) {
	if w.pending == nil && w.mismatch > 0 && i > w.mismatch {
		w.set(Finding{Kind: Edited, Index: w.mismatch - 1, Text: fmt.Sprintf("entry %d was edited: it no longer hashes to the leaf hash stored when it was appended", w.mismatch-1)})
		return
	}
	e, err := ParseEntry(lf.Entry)
	if err != nil {
		w.set(Finding{Kind: Edited, Index: i, Text: fmt.Sprintf("entry %d was edited: %v", i, err)})
		return
	}
	prev1, has1 := w.leafAt(1)
	prev2, has2 := w.leafAt(2)
	if p := w.pending; p != nil {
		w.pending = nil
		switch {
		case e.Seq == p.pos && p.seq == p.pos+1:
			w.set(Finding{Kind: Reordered, Index: p.pos, Text: fmt.Sprintf("entries %d and %d were swapped", p.pos, p.pos+1)})
		case e.Seq == p.pos:
			w.set(Finding{Kind: Inserted, Index: p.pos, Text: fmt.Sprintf("the entry at position %d was inserted (it calls itself entry %d; entry %d follows it)", p.pos, p.seq, p.pos)})
		default:
			w.set(Finding{Kind: Removed, Index: p.pos, Text: removedText(p.pos, p.seq)})
		}
		return
	}
	switch {
	case e.Seq > i:
		w.pending = &pendingSeq{pos: i, seq: e.Seq}
		return
	case e.Seq < i && has2 && e.Prev == hex.EncodeToString(prev2[:]):
		w.set(Finding{Kind: Inserted, Index: i - 1, Text: fmt.Sprintf("the entry at position %d was inserted: entry %d, at position %d, follows entry %d directly", i-1, e.Seq, i, i-2)})
		return
	case e.Seq < i:
		w.set(Finding{Kind: Inserted, Index: i, Text: fmt.Sprintf("the entry at position %d was inserted: it repeats the number of entry %d", i, e.Seq)})
		return
	}
	wantPrev := ""
	if has1 {
		wantPrev = hex.EncodeToString(prev1[:])
	}
	if e.Prev != wantPrev {
		if i == 0 {
			w.set(Finding{Kind: Edited, Index: 0, Text: "entry 0 was edited: it names an entry before it"})
		} else {
			w.set(Finding{Kind: Edited, Index: i - 1, Text: fmt.Sprintf("entry %d was edited: entry %d recorded a different hash for it", i-1, i)})
		}
		return
	}
	if h != lf.Hash && w.mismatch == 0 {
		w.mismatch = i + 1 // decided at the next entry (or the end)
	}
}

func removedText(pos, seq int64) string {
	if seq == pos+1 {
		return fmt.Sprintf("entry %d was removed (position %d holds entry %d)", pos, pos, seq)
	}
	return fmt.Sprintf("entries %d to %d were removed (position %d holds entry %d)", pos, seq-1, pos, seq)
}

// finish decides what the last entries left pending.
func (w *walker) finish() {
	if w.found != nil {
		return
	}
	if p := w.pending; p != nil {
		w.set(Finding{Kind: Removed, Index: p.pos, Text: removedText(p.pos, p.seq)})
		return
	}
	if w.mismatch > 0 {
		w.set(Finding{Kind: Edited, Index: w.mismatch - 1, Text: fmt.Sprintf("entry %d was edited: it no longer hashes to the leaf hash stored when it was appended", w.mismatch-1)})
	}
}

// root is the RFC 6962 root of the leaves added so far.
func (w *walker) root() tlog.Hash {
	if len(w.stack) == 0 {
		return tlog.Hash{} // tlog's hash of the empty tree
	}
	h := w.stack[len(w.stack)-1].h
	for i := len(w.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(w.stack[i].h, h)
	}
	return h
}

// ErrNoCheckpoint: the store keeps no checkpoint to prove against.
var ErrNoCheckpoint = errors.New("audit: no checkpoint covers the entry yet")
