package ui

import (
	"context"
	"errors"
	"time"
)

// MyRecordings is the hub's recording store as the My Recordings panel
// sees it (issue 12 point 6, R-C7); cmd wires session/hubclient.Store.
// Page and Download block: the panel calls them from commands, never
// from Update. Download must leave nothing behind when it fails or its
// context ends.
type MyRecordings interface {
	// Page returns a page of the agent's own ad hoc recordings, newest
	// first: the first for cursor "", then the page after a page's Next.
	Page(ctx context.Context, cursor string) (RecordingPage, error)
	// Download saves file, decrypted, into dir, never over another file;
	// progress gets the bytes so far and the total (-1: unknown).
	Download(ctx context.Context, file StoredFile, dir string, progress func(done, total int64)) (SavedFile, error)
	// PlayerURL is the address of a recording's player on the hub.
	PlayerURL(recording string) string
}

// StoredRecording is one of the agent's finished recordings.
type StoredRecording struct {
	ID          string
	Interaction string
	Customer    string
	Queue       string
	Finished    time.Time
	Duration    time.Duration
	Files       []StoredFile // none until the desktop's upload is stored
	// Mail is how far its e-mail to the agent got (issue 13, R-C7); nil
	// when the hub says nothing of it.
	Mail *MailState
	// NotKept says why the recording was not kept (R-H6: the customer
	// declined or asked for deletion…): there is no file. "" : kept.
	NotKept string
}

// MailState is how far a recording's e-mail to the agent got.
type MailState struct {
	State string    // MailSending, MailSent or MailNotSent
	Sent  time.Time // when the mail server took it
	Tries int       // attempts so far (the failed ones, while sending)
	Why   string    // the last failure, in words
	Link  bool      // sent as a link to the player: too big to attach
}

// The states of MailState.
const (
	MailSending = "sending"
	MailSent    = "sent"
	MailNotSent = "not_sent"
)

// StoredFile is a stored file of a recording.
type StoredFile struct {
	ID     string
	Name   string // the store's name (.age when sealed)
	SHA256 string // of the stored bytes
	Size   int64  // of the stored bytes
}

// RecordingPage is a page of StoredRecordings, newest first.
type RecordingPage struct {
	Recordings []StoredRecording
	Next       string // the cursor of the next (older) page; "" at the end
}

// SavedFile is what a download wrote.
type SavedFile struct {
	Path    string
	Size    int64
	SHA256  string // of the saved bytes
	Checked string // what was verified, in words
}

// ErrNoBrowser is what Options.OpenURL returns when there is no browser
// to open: the panel then shows the address to copy.
var ErrNoBrowser = errors.New("no browser to open here: $BROWSER is not set and there is no display for xdg-open")
