// Package store is the hub's memory: the persistent record of chats,
// their transcripts, contacts, agents' ready state, finished recordings and
// stored recording files (issue 9). It declares what the hub's core and its
// upload ingest need of a store (Store, Files) and the rows they exchange;
// the implementations live in subpackages: sqlite (the embedded default,
// one database file in the store folder, or in memory) and postgres (a
// PostgreSQL database, for hubs beyond one machine). storetest is the one
// contract suite every implementation passes.
//
// The hub writes through: every change reaches the store in a Batch, and
// the hub acknowledges nothing (no frame leaves, no API answer is sent)
// before the Batch that carries it is applied.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Sentinel errors of every implementation.
var (
	// ErrNotFound: nothing has that id (or checksum).
	ErrNotFound = errors.New("store: not found")
	// ErrExists: a file with that id or path is already stored.
	ErrExists = errors.New("store: already indexed")
	// ErrBadFile: a File misses a required field.
	ErrBadFile = errors.New("store: bad file")
	// ErrNewerSchema: the database was written by a newer hub.
	ErrNewerSchema = errors.New("store: the database is newer than this hub")
	// ErrBadCursor: a paging cursor this store did not hand out.
	ErrBadCursor = errors.New("store: bad cursor")
	// ErrBadFilter: a search a store cannot run (text too long).
	ErrBadFilter = errors.New("store: bad filter")
	// ErrInUse: another hub holds the store (it is the core).
	ErrInUse = errors.New("store: in use by another hub")
)

// Store is the persistent store the hub's core runs on. Implementations
// are safe for concurrent use; Apply is atomic.
type Store interface {
	// Apply writes a batch atomically: all of it or nothing.
	Apply(ctx context.Context, b *Batch) error
	// Load returns what a starting hub resumes: the live chats (not done)
	// with their transcripts, the agents' ready state and the id counter.
	Load(ctx context.Context) (*Live, error)
	// Chat returns one chat's row (live or done), or ErrNotFound.
	Chat(ctx context.Context, id string) (Chat, error)
	// Transcript returns one chat's lines in order (none for an unknown
	// chat).
	Transcript(ctx context.Context, chat string) ([]Line, error)
	// History returns a contact's earlier sessions, newest first, as
	// HistoryQuery bounds them (R-I2), and whether older ones remain.
	History(ctx context.Context, q HistoryQuery) ([]session.Session, bool, error)
	// NameTaken reports whether a finished recording already has the file
	// name (R-H4: names never collide, across restarts too).
	NameTaken(ctx context.Context, name string) (bool, error)
	// Tombstones lists what was deleted of an interaction's recordings at
	// the customer's request (R-H6), oldest first.
	Tombstones(ctx context.Context, interaction string) ([]Tombstone, error)
	// Recordings lists the finished recordings f selects, in the order
	// they finished or by f.Sort, each with its recorded lines (none for a
	// dropped one) and its stored files, a page at a time. A cursor of
	// another sort is ErrBadCursor; a filter it cannot run ErrBadFilter.
	Recordings(ctx context.Context, f RecordingFilter) (RecordingPage, error)
	Files
	Searches
	Bookmarks
	AccessLog
	Dashboard
	Retention
	// Close closes the store. It is idempotent.
	Close() error
}

// Checkpointer is a store with a log it tidies up now and then (SQLite's
// WAL): the hub asks it to when it is idle, so the work stays out of the
// way of the messages it acknowledges.
type Checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// Pinger is a store (or a file storage) that can tell whether it answers,
// for the hub's /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Files is the index of stored recording files: what the upload ingest and
// file serving need.
type Files interface {
	// PutFile indexes f. An empty ID gets NewID, a zero Created the
	// current time; f is updated with both. Name, Path and SHA256 are
	// required (ErrBadFile); an id or path already indexed is ErrExists.
	PutFile(ctx context.Context, f *File) error
	// File returns the file with id, or ErrNotFound.
	File(ctx context.Context, id string) (File, error)
	// FileBySHA returns the oldest file with that SHA-256 (hex, any case)
	// whose Agent is agent ("" for any agent), or ErrNotFound.
	FileBySHA(ctx context.Context, sha, agent string) (File, error)
	// SearchFiles lists the files matching f, oldest first.
	SearchFiles(ctx context.Context, f FileFilter) ([]File, error)
	// DeleteFile removes a file from the index (not from disk).
	DeleteFile(ctx context.Context, id string) error
}

// Chat is one interaction's row: everything about it but its transcript.
// Times are UTC; a zero time is "not set".
type Chat struct {
	ID         string
	Seq        int64  // arrival order, for FIFO routing
	ResumeHash string // SHA-256 (hex) of the customer's resume token; never the token
	Name       string // the customer's name
	Contact    string // the customer's stable id (R-I2)
	Queue      string
	State      session.State
	Reason     string // why it ended
	Agent      string // the owner's id (offered, connected, ACW)
	Created    time.Time
	OfferedAt  time.Time
	// OfferExpiry, ACWDeadline and AwayUntil are the deadlines of the
	// offer, after-call work and contact_grace timers: a restarted hub
	// continues them, not from zero.
	OfferExpiry time.Time
	ConnectedAt time.Time // when the agent took it (inactivity counts from here or the last customer line)
	ACWDeadline time.Time
	AwayUntil   time.Time // the customer's socket is away until then; zero while it is there
	EndedAt     time.Time // when it became done
	Disposition string
	Note        string
	CaseData    map[string]string
	Tried       []string // agents it was offered to in this round
	Consent     string   // "", "asked", "yes", "no"
	DeleteAsk   bool
	Deleted     bool
	Recorder    json.RawMessage   // session.RecorderState
	Names       map[string]string // recording id → file name, once finished
	Told        string            // the recording notice the customer was last given
	Parties     json.RawMessage   // who else is in it, its invitations and consultations (issue 14), as the hub writes them
}

// Line is one transcript line of a chat. Private lines (the recording
// markers) are the agent's alone.
type Line struct {
	Chat    string
	Private bool
	session.MessageData
}

// Took says a recording took a line (R-C5).
type Took struct {
	Chat      string
	Recording string
	Line      int64
}

// Agent is an agent's state that outlives a restart.
type Agent struct {
	ID    string
	Ready bool
	Idle  int64 // routing order: lower waited longer
}

// Contact is a customer known by their stable id (R-I2).
type Contact struct {
	ID       string
	Name     string // the name they last gave
	LastSeen time.Time
}

// Recording is a finished recording (R-C6): produced, or dropped with why
// (R-H6). Its lines are what it recorded; Files are the stored files that
// carry it once a desktop uploaded them.
type Recording struct {
	ID          string                `json:"id"`
	Name        string                `json:"name,omitempty"` // file name from the admin's template (R-H4)
	Interaction string                `json:"interaction"`
	Queue       string                `json:"queue"`
	Customer    string                `json:"customer"`          // the customer's name
	Contact     string                `json:"contact,omitempty"` // the customer's stable id (R-I2)
	Agent       string                `json:"agent"`
	Kind        string                `json:"kind"`
	State       string                `json:"state"`
	Delivery    string                `json:"delivery"` // "store" or "agent" (R-C7)
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
	// Disposition is the chat's wrap-up disposition when the recording
	// finished (R-I10).
	Disposition string `json:"disposition,omitempty"`
	// DurationSeconds is the length of its parts, pauses included (they
	// are padded, R-G4): the length of its file. The store computes it
	// from Parts; what a Batch carries here is ignored.
	DurationSeconds float64 `json:"duration_seconds"`
	// Voice: a stored file of it carries voice (an audio track in its
	// manifest). The store keeps it as files come and go; what a Batch
	// carries here is ignored.
	Voice bool `json:"voice"`
	// Tags are its metadata tags (R-V7): the values the chat's case data
	// had under the configured tag names when it finished.
	Tags  map[string]string `json:"tags,omitempty"`
	Files []FileRef         `json:"files,omitempty"`
	// Agents are every agent who handled the chat while it ran (issue 14).
	Agents []string `json:"agents,omitempty"`
}

// FileRef is a stored file as a recording lists it. A recording that
// several desktops captured (its chat was transferred or conferenced,
// issue 14) has one file or more from each: they are its parts, listed in
// the order they were made, each with the agent whose desktop uploaded it.
type FileRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Agent is the agent whose desktop captured and uploaded the file
	// (the upload's token: never what the file says of itself).
	Agent string `json:"agent,omitempty"`
	// Made is when the desktop made the file (its manifest's created: the
	// end of that desktop's capture), or when it was stored if its
	// manifest does not say.
	Made time.Time `json:"made,omitzero"`
	// Archived: moved to the archive folder by retention (R-V6).
	Archived bool `json:"archived,omitempty"`
}

// Tombstone says a recording or a stored file of it was deleted because
// it must not exist (R-H6): what, when, who confirmed, why; never the
// content.
type Tombstone struct {
	At          time.Time `json:"at"`
	Interaction string    `json:"interaction"`
	Recording   string    `json:"recording,omitempty"`
	File        string    `json:"file,omitempty"` // the stored file's id
	SHA256      string    `json:"sha256,omitempty"`
	Size        int64     `json:"size,omitempty"`
	By          string    `json:"by,omitempty"` // who confirmed, e.g. "agent ada"
	Why         string    `json:"why"`
}

// Batch is what one write carries. Apply writes chats and contacts as
// upserts (the last row of an id wins), lines, takes and recordings as
// inserts, and raises the chat id counter to ChatSeq when it is higher.
type Batch struct {
	Chats      []Chat
	Lines      []Line
	Took       []Took
	Agents     []Agent
	Contacts   []Contact
	Recordings []Recording // without Lines (they are the Took rows) and Files
	Tombstones []Tombstone
	ChatSeq    int64
}

// Empty reports whether b writes nothing.
func (b *Batch) Empty() bool {
	return len(b.Chats) == 0 && len(b.Lines) == 0 && len(b.Took) == 0 && len(b.Agents) == 0 &&
		len(b.Contacts) == 0 && len(b.Recordings) == 0 && len(b.Tombstones) == 0 && b.ChatSeq == 0
}

// Rows counts the rows b writes.
func (b *Batch) Rows() int {
	return len(b.Chats) + len(b.Lines) + len(b.Took) + len(b.Agents) + len(b.Contacts) + len(b.Recordings) + len(b.Tombstones)
}

// Append moves o's rows to the end of b.
func (b *Batch) Append(o *Batch) {
	b.Chats = append(b.Chats, o.Chats...)
	b.Lines = append(b.Lines, o.Lines...)
	b.Took = append(b.Took, o.Took...)
	b.Agents = append(b.Agents, o.Agents...)
	b.Contacts = append(b.Contacts, o.Contacts...)
	b.Recordings = append(b.Recordings, o.Recordings...)
	b.Tombstones = append(b.Tombstones, o.Tombstones...)
	b.ChatSeq = max(b.ChatSeq, o.ChatSeq)
}

// Live is what a starting hub resumes.
type Live struct {
	Chats   []LiveChat // by Seq
	Agents  []Agent
	ChatSeq int64 // the highest chat number ever handed out
}

// LiveChat is a chat that is not done, with its transcript.
type LiveChat struct {
	Chat
	Lines []Line
	Took  map[string][]int64 // recording id → ids of the lines it took
}

// HistoryQuery selects a contact's earlier sessions (R-I2): the newest
// first, older than Before (a chat id; "" for the newest), at most
// Sessions of them and about MaxBytes of transcript text (at least one
// session is returned when there is one).
type HistoryQuery struct {
	Contact  string
	Before   string // exclusive: sessions older than this chat
	Exclude  string // a chat never to return (the one being offered)
	Sessions int
	MaxBytes int
}

// FileFilter selects files in SearchFiles; empty fields match everything.
type FileFilter struct {
	Interaction string
	Agent       string
	Recording   string
	Limit       int // 0: DefaultLimit
}

// DefaultLimit bounds a listing without a Limit.
const DefaultLimit = 1000

// File is one stored recording file.
type File struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"` // the file name under which it is stored
	Path        string          `json:"path"` // relative to the store folder, slash-separated
	SHA256      string          `json:"sha256"`
	Size        int64           `json:"size"`
	Interaction string          `json:"interaction,omitempty"`
	Recording   string          `json:"recording,omitempty"`
	Agent       string          `json:"agent,omitempty"`
	Customer    string          `json:"customer,omitempty"`
	Queue       string          `json:"queue,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Disposition string          `json:"disposition,omitempty"`
	Partitions  []string        `json:"partitions,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"` // a JSON object, or empty
	Manifest    json.RawMessage `json:"manifest,omitempty"` // the uploader's JSON manifest, or empty
	Encrypted   bool            `json:"encrypted"`
	Created     time.Time       `json:"created"`
	// Archived is when retention moved it to the archive folder (R-V6);
	// zero while it is in files/.
	Archived time.Time `json:"archived,omitzero"`
}
