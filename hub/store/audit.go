package store

import (
	"context"
	"errors"
	"time"
)

// ErrAuditSeq: an audit append did not follow the log's last leaf (another
// writer appended first, or the caller's idea of the size is stale).
var ErrAuditSeq = errors.New("store: audit append out of sequence")

// AuditHash is one of the audit tree's stored hashes (issue 13, R-V9): its
// index in golang.org/x/mod/sumdb/tlog's numbering and the hash.
type AuditHash struct {
	Index int64
	Hash  [32]byte
}

// AuditLeaf is one entry of the audit log as stored: its position, the
// leaf hash computed when it was appended, and its canonical JSON.
type AuditLeaf struct {
	N     int64
	Hash  [32]byte
	Entry []byte
}

// AuditCheckpoint is a signed checkpoint of the audit tree: its size, when
// it was made, and the signed note (golang.org/x/mod/sumdb/note).
type AuditCheckpoint struct {
	Size int64
	At   time.Time
	Note []byte
}

// AuditLog keeps the audit log's leaves, its Merkle tree's stored hashes
// and its signed checkpoints (hub/audit). Leaves are only ever appended.
type AuditLog interface {
	// AppendAudit stores leaves as entries first, first+1, … and the tree
	// hashes they complete, in one transaction. first must be the log's
	// size (ErrAuditSeq otherwise).
	AppendAudit(ctx context.Context, first int64, leaves []AuditLeaf, hashes []AuditHash) error
	// AuditSize is the number of leaves stored.
	AuditSize(ctx context.Context) (int64, error)
	// AuditHashes returns the stored hashes at indexes, in their order;
	// a missing one is ErrNotFound.
	AuditHashes(ctx context.Context, indexes []int64) ([][32]byte, error)
	// ScanAudit calls f for each leaf from position from on, in order,
	// until f returns an error (returned) or the leaves end.
	ScanAudit(ctx context.Context, from int64, f func(AuditLeaf) error) error
	// AddAuditCheckpoint keeps a signed checkpoint.
	AddAuditCheckpoint(ctx context.Context, c AuditCheckpoint) error
	// AuditCheckpoints lists every kept checkpoint, oldest first.
	AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error)
	// AccessesAfter lists up to limit accesses of the access log kept
	// after the one with id ("": from the first), oldest first: those a
	// hub killed between logging and auditing them left unaudited. An id
	// the access log does not hold is ErrNotFound.
	AccessesAfter(ctx context.Context, id string, limit int) ([]Access, error)
}
