package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Index finds entries of an audit log by user, recording, action, outcome
// and time without reading the whole log each time (the audit page, a
// recording's access history). It holds a few fields of every entry in
// memory (about 40 bytes an entry: the strings are interned) and catches
// up with the store before each query, so it sees what any writer
// appended, this hub's Log or another. Safe for concurrent use.
type Index struct {
	st store.AuditLog

	catch sync.Mutex // serialises catching up (store reads, outside mu)

	mu   sync.RWMutex
	rows []indexRow
	strs []string          // interned strings by number; 0 is ""
	ids  map[string]uint32 // and their numbers
}

// indexRow is what the index keeps of one entry: its position is its
// index in Index.rows.
type indexRow struct {
	at                                     int64 // Unix nanoseconds (0: unreadable)
	user, role, action, outcome, recording uint32
}

// NewIndex makes an empty index of st's entries; the first query (or
// CatchUp) reads them all.
func NewIndex(st store.AuditLog) *Index {
	return &Index{st: st, strs: []string{""}, ids: map[string]uint32{"": 0}}
}

// Filter selects entries; empty fields match all.
type Filter struct {
	User, Recording, Action, Outcome string
	// From and To bound the entry's time: at in [From, To); zero: open.
	From, To time.Time
	// Before, when above 0, lists only entries before that position (a
	// page's Next); 0: from the newest.
	Before int64
	// Limit is the page's size; 0 or less: 50. Count says whether Total
	// is wanted (it costs a pass over every entry).
	Limit int
	Count bool
}

// Page is a page of entries, newest first.
type Page struct {
	Entries []Entry
	// Total is how many entries match in all (-1 when not counted).
	Total int
	// Next is the Before of the next (older) page; 0: this is the last.
	Next int64
}

// Size is the number of entries indexed.
func (x *Index) Size() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return int64(len(x.rows))
}

// indexFields are the fields of an entry the index reads (a cheaper parse
// than ParseEntry's canonical check).
type indexFields struct {
	Action    string `json:"action"`
	At        string `json:"at"`
	Outcome   string `json:"outcome"`
	Recording string `json:"recording"`
	Role      string `json:"role"`
	User      string `json:"user"`
}

// CatchUp indexes the entries appended since the last call. An entry that
// does not parse is indexed with its fields empty, and a position the
// store skips (a row deleted behind the log's back) as an empty row:
// Verify is what judges the log; the page still lists what it can.
func (x *Index) CatchUp(ctx context.Context) error {
	x.catch.Lock()
	defer x.catch.Unlock()
	// Only this goroutine (holding catch) writes rows, strs and ids: it
	// reads them without mu, and takes mu only to add a batch.
	from := int64(len(x.rows))
	var batch []indexRow
	var strs []string
	local := map[string]uint32{}
	intern := func(s string) uint32 {
		if n, ok := x.ids[s]; ok {
			return n
		}
		if n, ok := local[s]; ok {
			return n
		}
		n := uint32(len(x.strs) + len(strs)) // #nosec G115 -- fewer than 4 billion distinct strings
		local[s] = n
		strs = append(strs, s)
		return n
	}
	flush := func() {
		x.mu.Lock()
		x.rows = append(x.rows, batch...)
		for _, s := range strs {
			x.ids[s] = uint32(len(x.strs)) // #nosec G115 -- as above
			x.strs = append(x.strs, s)
		}
		x.mu.Unlock()
		batch, strs, local = batch[:0], nil, map[string]uint32{}
	}
	err := x.st.ScanAudit(ctx, from, func(lf store.AuditLeaf) error {
		want := int64(len(x.rows) + len(batch))
		if lf.N < want {
			return fmt.Errorf("audit: index: the store gave entry %d where %d was due", lf.N, want)
		}
		for ; want < lf.N; want++ { // missing from the store: nothing to find there
			batch = append(batch, indexRow{})
		}
		var f indexFields
		var r indexRow
		if json.Unmarshal(lf.Entry, &f) == nil {
			if t, err := time.Parse(time.RFC3339Nano, f.At); err == nil {
				r.at = t.UnixNano()
			}
			r.user, r.role, r.action, r.outcome, r.recording = intern(f.User), intern(f.Role), intern(f.Action), intern(f.Outcome), intern(f.Recording)
		}
		batch = append(batch, r)
		if len(batch) >= 4096 {
			flush()
		}
		return nil
	})
	flush()
	return err
}

// Find lists the entries f selects, newest first, reading the page's
// entries from the store.
func (x *Index) Find(ctx context.Context, f Filter) (Page, error) {
	if err := x.CatchUp(ctx); err != nil {
		return Page{}, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	seqs, total, next := x.match(f)
	es, err := x.read(ctx, seqs)
	if err != nil {
		return Page{}, err
	}
	return Page{Entries: es, Total: total, Next: next}, nil
}

// Each calls fn with every entry f selects, newest first (f.Limit and
// f.Before page through them as Find does, f.Count is ignored), reading
// them from the store a page at a time: the CSV export.
func (x *Index) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	if err := x.CatchUp(ctx); err != nil {
		return err
	}
	f.Count = false
	most := f.Limit
	f.Limit = 500
	n := 0
	for {
		seqs, _, next := x.match(f)
		es, err := x.read(ctx, seqs)
		if err != nil {
			return err
		}
		for _, e := range es {
			if most > 0 && n >= most {
				return nil
			}
			if err := fn(e); err != nil {
				return err
			}
			n++
		}
		if next == 0 {
			return nil
		}
		f.Before = next
	}
}

// match picks the positions of a page, newest first, with the total when
// asked and the next page's Before.
func (x *Index) match(f Filter) (seqs []int64, total int, next int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	want := func(s string) (uint32, bool) {
		if s == "" {
			return 0, true
		}
		n, ok := x.ids[s]
		return n, ok
	}
	user, okU := want(f.User)
	rec, okR := want(f.Recording)
	act, okA := want(f.Action)
	out, okO := want(f.Outcome)
	total = -1
	if f.Count {
		total = 0
	}
	if !okU || !okR || !okA || !okO { // a string no entry holds
		return nil, total, 0
	}
	var from, to int64 = 0, 1<<63 - 1
	if !f.From.IsZero() {
		from = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		to = f.To.UnixNano()
	}
	start := int64(len(x.rows))
	if !f.Count && f.Before > 0 && f.Before < start {
		start = f.Before // no total wanted: nothing newer to walk
	}
	for i := start - 1; i >= 0; i-- {
		r := &x.rows[i]
		if f.User != "" && r.user != user || f.Recording != "" && r.recording != rec || f.Action != "" && r.action != act ||
			f.Outcome != "" && r.outcome != out || r.at < from || r.at >= to {
			continue
		}
		if f.Count {
			total++
		}
		switch {
		case f.Before > 0 && i >= f.Before: // on a page before this one
		case len(seqs) < f.Limit:
			seqs = append(seqs, i)
		case next == 0: // one more beyond the page: there is a next
			next = seqs[len(seqs)-1]
			if !f.Count {
				return seqs, total, next
			}
		}
	}
	return seqs, total, next
}

// read reads the entries at seqs (descending) from the store: one scan per
// run of neighbours, or one over the span when they lie close together.
func (x *Index) read(ctx context.Context, seqs []int64) ([]Entry, error) {
	out := make([]Entry, 0, len(seqs))
	for i := 0; i < len(seqs); {
		// seqs is descending: take as many as lie within a span 4 times
		// their number, and scan it once.
		j := i + 1
		for j < len(seqs) && seqs[i]-seqs[j] < int64(4*(j-i+1)) {
			j++
		}
		lo, hi := seqs[j-1], seqs[i]
		wanted := map[int64]bool{}
		for _, s := range seqs[i:j] {
			wanted[s] = true
		}
		got := make([]Entry, 0, j-i)
		err := x.st.ScanAudit(ctx, lo, func(lf store.AuditLeaf) error {
			if lf.N > hi {
				return errStop
			}
			if !wanted[lf.N] {
				return nil
			}
			e, err := ParseEntry(lf.Entry)
			if err != nil { // shown as what it is: the page is no verifier
				e = Entry{Seq: lf.N, Action: "?", Outcome: "unreadable", Query: err.Error()}
			}
			e.Seq = lf.N
			got = append(got, e)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return nil, err
		}
		for k := len(got) - 1; k >= 0; k-- {
			out = append(out, got[k])
		}
		i = j
	}
	return out, nil
}
