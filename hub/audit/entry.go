// Package audit is the hub's tamper-evident audit log (issue 13, R-V9):
// every access to recordings, every stored recording's arrival (with its
// SHA-256) and every login, each an entry in canonical JSON. The entries
// are the leaves of an append-only Merkle tree in the RFC 6962 form
// (golang.org/x/mod/sumdb/tlog); the hub signs a checkpoint of the tree
// (its size and root hash, a golang.org/x/mod/sumdb/note) at an interval
// with an Ed25519 key of its own, keeps every one and may copy each to a
// folder elsewhere. Verify recomputes the tree from the stored leaves and
// names the first entry edited, removed, reordered or inserted; Prove and
// CheckProof show one entry is in a signed tree without the hub.
//
// Each entry also carries its position (seq) and the leaf hash of the
// entry before it (prev): the Merkle tree is what a checkpoint signs; seq
// and prev are what lets Verify say which entry was touched and how.
package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// What an entry records (Entry.Action) besides the access log's actions
// (store.ActionSearch, ActionView, ActionPlay, ActionDownload,
// ActionExport).
const (
	ActionLogin  = "login"  // a login to the web app: ok, denied (wrong user or password) or locked
	ActionStored = "stored" // a recording's file arrived in the store, with its SHA-256
)

// OutcomeLocked: a login refused because the user or address is locked out.
const OutcomeLocked = "locked"

// Version is the entry format's version (Entry.V).
const Version = 1

// Entry is one audit entry. Its JSON keys are in alphabetical order and
// Metadata is re-encoded with sorted keys (Canonical), so an entry's bytes,
// and so its hash, are the same wherever they are recomputed.
type Entry struct {
	Action      string `json:"action"`
	At          string `json:"at"` // RFC 3339, UTC, nanoseconds
	Customer    string `json:"customer,omitempty"`
	From        string `json:"from,omitempty"` // the caller's address
	ID          string `json:"id,omitempty"`   // the access's id in the access log, or the stored file's
	Interaction string `json:"interaction,omitempty"`
	Kind        string `json:"kind,omitempty"` // the interaction type (the recording's kind)
	// Late: appended when the hub started, for an access its access log
	// kept but the hub stopped (was killed) before auditing, or kept
	// before the audit log existed.
	Late      bool            `json:"late,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Outcome   string          `json:"outcome"`
	Prev      string          `json:"prev,omitempty"` // hex leaf hash of entry seq-1
	Query     string          `json:"query,omitempty"`
	Reason    string          `json:"reason,omitempty"` // the reason code given
	Recording string          `json:"recording,omitempty"`
	Role      string          `json:"role,omitempty"`
	Seq       int64           `json:"seq"`
	SHA256    string          `json:"sha256,omitempty"` // a stored file's
	User      string          `json:"user"`
	V         int             `json:"v"`
}

// FromAccess is the entry of an access the hub logged (store.AccessLog).
func FromAccess(a store.Access) Entry {
	return Entry{Action: a.Action, At: stamp(a.At), Customer: a.Customer, From: a.From, ID: a.ID,
		Interaction: a.Interaction, Kind: a.Kind, Outcome: a.Outcome, Query: a.Query, Reason: a.Reason,
		Recording: a.Recording, Role: a.Role, User: a.User}
}

// FromFile is the entry of a recording's file stored (its arrival): the
// uploading agent, its SHA-256 and its metadata.
func FromFile(f store.File, at time.Time) Entry {
	meta := map[string]any{"name": f.Name, "path": f.Path, "size": f.Size, "encrypted": f.Encrypted}
	for k, v := range map[string]string{"agent": f.Agent, "queue": f.Queue, "disposition": f.Disposition} {
		if v != "" {
			meta[k] = v
		}
	}
	if len(f.Partitions) > 0 {
		meta["partitions"] = f.Partitions
	}
	if len(bytes.TrimSpace(f.Metadata)) > 0 && json.Valid(f.Metadata) {
		meta["metadata"] = json.RawMessage(f.Metadata)
	}
	b, _ := json.Marshal(meta) // strings, numbers and valid JSON only
	return Entry{Action: ActionStored, At: stamp(at), Customer: f.Customer, ID: f.ID, Interaction: f.Interaction,
		Kind: f.Kind, Metadata: b, Outcome: store.OutcomeOK, Recording: f.Recording, Role: "agent",
		SHA256: f.SHA256, User: f.Agent}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Canonical is the entry's canonical JSON: keys sorted at every level,
// no spaces, numbers as written. It is what the tree's leaf hashes.
func (e Entry) Canonical() ([]byte, error) {
	e.V = Version
	if len(e.Metadata) > 0 {
		m, err := canonicalJSON(e.Metadata)
		if err != nil {
			return nil, fmt.Errorf("audit: entry metadata: %w", err)
		}
		e.Metadata = m
	}
	return json.Marshal(e)
}

// canonicalJSON re-encodes a JSON value with its objects' keys sorted.
func canonicalJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // encoding/json writes map keys sorted
}

// ParseEntry reads an entry's canonical JSON; it fails when b is not the
// canonical encoding of what it holds.
func ParseEntry(b []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("audit: not an entry: %w", err)
	}
	c, err := e.Canonical()
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(c, b) {
		return Entry{}, fmt.Errorf("audit: entry %d is not in canonical form", e.Seq)
	}
	return e, nil
}
