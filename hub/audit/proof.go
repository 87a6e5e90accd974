package audit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Proof shows that one entry is in a signed tree (an RFC 6962 inclusion
// proof): anyone with the hub's verifier key checks it (CheckProof, or the
// script in docs/audit.md) without the hub.
type Proof struct {
	Entry      string   `json:"entry"` // the entry's canonical JSON, exactly
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	Hashes     []string `json:"hashes"`     // base64, from the leaf's sibling up
	Checkpoint string   `json:"checkpoint"` // the signed checkpoint of TreeSize entries
}

// Prove makes the inclusion proof of entry index in the tree of the
// signed checkpoint c (which must be at least index+1 entries and be one
// the store keeps or the log's own). The proof's hashes are read from the
// stored tree; a store changed since c makes a proof that does not check.
func Prove(ctx context.Context, st store.AuditLog, c Checkpoint, index int64) (*Proof, error) {
	if index < 0 || index >= c.Size {
		return nil, fmt.Errorf("audit: entry %d is not in the checkpoint's tree of %d entries", index, c.Size)
	}
	var entry []byte
	err := st.ScanAudit(ctx, index, func(lf store.AuditLeaf) error {
		if lf.N == index {
			entry = lf.Entry
		}
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if entry == nil {
		return nil, fmt.Errorf("%w: audit entry %d", store.ErrNotFound, index)
	}
	rp, err := tlog.ProveRecord(c.Size, index, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		hs, err := st.AuditHashes(ctx, ix)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, nil
	}))
	if err != nil {
		return nil, fmt.Errorf("audit: prove entry %d: %w", index, err)
	}
	p := &Proof{Entry: string(entry), Index: index, TreeSize: c.Size, Checkpoint: string(c.Note)}
	for _, h := range rp {
		p.Hashes = append(p.Hashes, base64.StdEncoding.EncodeToString(h[:]))
	}
	return p, nil
}

var errStop = errors.New("stop")

// ErrBadProof: a proof does not show its entry in its signed tree.
var ErrBadProof = errors.New("audit: the proof does not check")

// CheckProof checks a proof with the hub's verifier key alone: the
// checkpoint is signed by it, is of the proof's tree size, and the entry
// with the proof's hashes hashes up to its root. It returns the entry.
func CheckProof(b []byte, v note.Verifier) (Entry, *Proof, error) {
	var p Proof
	if err := json.Unmarshal(b, &p); err != nil {
		return Entry{}, nil, fmt.Errorf("%w: not a proof: %v", ErrBadProof, err)
	}
	c, err := OpenCheckpoint([]byte(p.Checkpoint), v)
	if err != nil {
		return Entry{}, &p, fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	if c.Size != p.TreeSize {
		return Entry{}, &p, fmt.Errorf("%w: the checkpoint is of %d entries, the proof of %d", ErrBadProof, c.Size, p.TreeSize)
	}
	rp := make(tlog.RecordProof, len(p.Hashes))
	for i, s := range p.Hashes {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			return Entry{}, &p, fmt.Errorf("%w: hash %d is not 32 bytes of base64", ErrBadProof, i)
		}
		copy(rp[i][:], h)
	}
	if err := tlog.CheckRecord(rp, p.TreeSize, c.Root, p.Index, tlog.RecordHash([]byte(p.Entry))); err != nil {
		return Entry{}, &p, fmt.Errorf("%w: entry %d is not in the signed tree of %d entries: %v", ErrBadProof, p.Index, p.TreeSize, err)
	}
	e, err := ParseEntry([]byte(p.Entry))
	if err != nil {
		return Entry{}, &p, fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	if e.Seq != p.Index {
		return Entry{}, &p, fmt.Errorf("%w: the entry calls itself %d, the proof %d", ErrBadProof, e.Seq, p.Index)
	}
	return e, &p, nil
}

// LatestCheckpoint is the newest checkpoint the store keeps that is signed
// by v and covers entry index (-1: any), or ErrNoCheckpoint.
func LatestCheckpoint(ctx context.Context, st store.AuditLog, v note.Verifier, index int64) (Checkpoint, error) {
	kept, err := st.AuditCheckpoints(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	for i := len(kept) - 1; i >= 0; i-- {
		c, err := OpenCheckpoint(kept[i].Note, v)
		if err == nil && c.Size > index {
			return c, nil
		}
	}
	return Checkpoint{}, ErrNoCheckpoint
}
