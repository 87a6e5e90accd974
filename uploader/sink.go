package uploader

import (
	"context"
	"errors"
	"io"
)

// Sentinel errors. Sinks wrap them so the queue can tell what to do.
var (
	// ErrPermanent marks an error that retrying cannot fix (bad credentials,
	// a refused name); the item is marked failed with the reason.
	ErrPermanent = errors.New("permanent failure")
	// ErrChecksumMismatch: the store received bytes whose SHA-256 differs
	// from the item's; the sink discarded them and the next attempt starts
	// again from byte 0.
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrNotStored is returned by a Verifier when the store does not hold
	// a file with the item's checksum.
	ErrNotStored = errors.New("not stored")
	// ErrGone marks a recording the store refuses for good because it must
	// not exist (the customer's deletion request was confirmed, or consent
	// was declined: R-H6): the queue deletes its local copy.
	ErrGone = errors.New("the recording must not exist")
	// ErrBadRecipient: the age recipient key is not a valid X25519 key.
	ErrBadRecipient = errors.New("bad age recipient")
	// ErrBadWindow: an upload window is not of the form "HH:MM-HH:MM".
	ErrBadWindow = errors.New("bad upload window")
	// ErrClosed is returned by Enqueue and Run after Close.
	ErrClosed = errors.New("uploader: queue closed")
	// ErrNotFound: no queue item with that id.
	ErrNotFound = errors.New("uploader: no such item")
	// ErrInUse: another Queue (in this or another process) has the
	// directory open.
	ErrInUse = errors.New("uploader: the queue directory is in use by another process")
)

// Item is one file to deliver, as a Sink sees it.
type Item struct {
	ID       string   // the queue's id for the item
	Name     string   // the file name in the store (the template name)
	Size     int64    // bytes
	SHA256   string   // lowercase hex SHA-256 of the bytes
	Manifest Manifest // describes the file; Manifest.Dest may pick a sub-folder
	// Resume is the token a Resumer sink saved through SaveResume on an
	// earlier attempt, possibly in an earlier process ("" at first): for
	// the hub, the tus upload URL.
	Resume string
	// SaveResume persists a resume token durably before the sink relies on
	// it; "" forgets it. Never nil when the queue calls a sink.
	SaveResume func(token string) error
	// Stored lets a sink tell the id (or path) under which the store keeps
	// the file, for the Uploads panel and the log. Never nil when the queue
	// calls a sink.
	Stored func(id string)
}

// Sink delivers one file to a store. It is the port every store adapter
// implements (hub over tus, SFTP, a local folder).
//
// Put sends the item's bytes, read from r (exactly item.Size bytes), and
// returns nil only once the store has confirmed that it holds bytes with
// item.SHA256: after that the queue deletes its local copy. progress, when
// not nil, is called with the number of bytes the store holds or has been
// sent so far (an absolute offset, never above item.Size). Put returns an
// error wrapping ErrPermanent when retrying cannot help, ErrChecksumMismatch
// when the store rejected the bytes, and any other error for a retryable
// fault (network, server busy, disk full). Put must not retain r.
type Sink interface {
	Put(ctx context.Context, item Item, r io.ReaderAt, progress func(n int64)) error
}

// Resumer is a Sink that can continue an interrupted Put. Offset reports how
// many bytes of item the store already acknowledged (0 when none); the next
// Put sends only the rest.
type Resumer interface {
	Sink
	Offset(ctx context.Context, item Item) (int64, error)
}

// Verifier is a Sink that can confirm by checksum that a file is stored,
// for example when a process died after the upload finished but before the
// local file was deleted. Verify returns the store's id (or path) for the
// file, or an error wrapping ErrNotStored.
type Verifier interface {
	Sink
	Verify(ctx context.Context, item Item) (stored string, err error)
}
