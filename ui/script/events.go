package script

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// Event kinds written by the runner. The cmd layer adds its own kinds with
// Write (EventProto, EventChatState, EventLink are the suggested ones).
const (
	EventStart     = "start"      // the run began: script, cols, rows
	EventStep      = "step"       // a step begins: line, src
	EventKey       = "key"        // the model received a key press: key
	EventCheck     = "check"      // a check ended: line, op, text, ok
	EventScreen    = "screen"     // the screen as a check saw it: line, screen
	EventResize    = "resize"     // the model got a new size: cols, rows
	EventSnapshot  = "snapshot"   // a snapshot was written: name, path
	EventCustomer  = "customer"   // a simulated customer acted: name, action, text, queue, ok
	EventHub       = "hub"        // a hub step cut or restored the network: action, line, ok, err
	EventAPI       = "api"        // an api step called the recording API: line, op, interaction, id, ok, status, code, message, answer
	EventEnd       = "end"        // the run ended: ok, line, expected
	EventProto     = "proto"      // a protocol frame: dir ("in"|"out"), type, chat, data
	EventChatState = "chat_state" // a chat changed state: chat, state, reason
	EventLink      = "link"       // the hub connection changed: state, err
	EventRecording = "recording"  // a chat's recording state came from the hub: chat, recording, paused, observed, kinds, recordings, change
)

// EventLog writes the --events log: one JSON object per line, each with
// "t" (RFC 3339 with nanoseconds, UTC) and "kind" first, then the event's
// fields. It is safe for concurrent use. A nil *EventLog discards events.
type EventLog struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	now    func() time.Time
	err    error // first write error; later writes are skipped
	closed bool
}

// ErrLogClosed is returned by Write after Close.
var ErrLogClosed = errors.New("script: events log closed")

// NewEventLog returns a log writing to w. now may be nil for time.Now.
func NewEventLog(w io.Writer, now func() time.Time) *EventLog {
	if now == nil {
		now = time.Now
	}
	return &EventLog{w: w, now: now}
}

// CreateEventLog creates (truncates) the file at path and logs to it; "-"
// is not special. Close the log to close the file.
func CreateEventLog(path string, now func() time.Time) (*EventLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("script: events log: %w", err)
	}
	l := NewEventLog(f, now)
	l.closer = f
	return l, nil
}

// Write logs one event of the given kind. fields must marshal to JSON; the
// keys "t" and "kind" are reserved and dropped from fields. It returns the
// first error the log met (later events are then dropped).
func (l *EventLog) Write(kind string, fields map[string]any) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLogClosed
	}
	if l.err != nil {
		return l.err
	}
	var b bytes.Buffer
	head, _ := json.Marshal(struct {
		T    string `json:"t"`
		Kind string `json:"kind"`
	}{l.now().UTC().Format(time.RFC3339Nano), kind})
	b.Write(head[:len(head)-1])
	rest := make(map[string]any, len(fields))
	for k, v := range fields {
		if k != "t" && k != "kind" {
			rest[k] = v
		}
	}
	if len(rest) > 0 {
		body, err := json.Marshal(rest) // map keys come out sorted
		if err != nil {
			l.err = fmt.Errorf("script: events log: %s event: %w", kind, err)
			return l.err
		}
		b.WriteByte(',')
		b.Write(body[1:])
	} else {
		b.WriteByte('}')
	}
	b.WriteByte('\n')
	if _, err := l.w.Write(b.Bytes()); err != nil {
		l.err = fmt.Errorf("script: events log: %w", err)
	}
	return l.err
}

// Envelope logs a protocol frame of the hub link; dir is "in" (hub to
// desktop) or "out".
func (l *EventLog) Envelope(dir string, e session.Envelope) error {
	f := map[string]any{"dir": dir, "type": e.Type}
	if e.Chat != "" {
		f["chat"] = e.Chat
	}
	if e.Ref != "" {
		f["ref"] = e.Ref
	}
	if len(e.Data) > 0 {
		f["data"] = e.Data
	}
	return l.Write(EventProto, f)
}

// ChatState logs a chat's change of state (reason may be empty).
func (l *EventLog) ChatState(chat string, s session.State, reason string) error {
	f := map[string]any{"chat": chat, "state": s.String()}
	if reason != "" {
		f["reason"] = reason
	}
	return l.Write(EventChatState, f)
}

// Recording logs a chat's recording state as a recording frame brought it:
// whether it records and is paused, whether a supervisor or the flow
// records it (R-C8), the kinds of the recordings running or paused, each
// recording's id, kind and state, and the change in words.
func (l *EventLog) Recording(chat string, d session.RecordingData) error {
	kinds := []string{}
	recs := make([]map[string]any, 0, len(d.Recordings))
	for _, r := range d.Recordings {
		recs = append(recs, map[string]any{"id": r.ID, "kind": r.Kind, "state": r.State, "parts": r.Parts, "by": r.By})
		if (r.State == session.RecOn.String() || r.State == session.RecPaused.String()) && !slices.Contains(kinds, r.Kind) {
			kinds = append(kinds, r.Kind)
		}
	}
	f := map[string]any{"chat": chat, "recording": d.Recording, "paused": d.Paused, "observed": d.Observed,
		"kinds": kinds, "recordings": recs}
	if d.Change != "" {
		f["change"] = d.Change
	}
	return l.Write(EventRecording, f)
}

// Link logs a LinkEvent: its frame as an "in" proto event, or its status as
// a link event.
func (l *EventLog) Link(ev session.LinkEvent) error {
	if ev.Envelope != nil {
		return l.Envelope("in", *ev.Envelope)
	}
	if ev.Status != nil {
		f := map[string]any{"state": ev.Status.State.String(), "attempt": ev.Status.Attempt}
		if ev.Status.Err != "" {
			f["err"] = ev.Status.Err
		}
		return l.Write(EventLink, f)
	}
	return nil
}

// Close ends the log: later events are dropped (Write returns
// ErrLogClosed), so the writer may be read once Close returns. It closes the
// file of a log made by CreateEventLog. It is idempotent and returns the
// first write error, if any.
func (l *EventLog) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	c := l.closer
	l.closer = nil
	if c != nil {
		if err := c.Close(); err != nil && l.err == nil {
			l.err = fmt.Errorf("script: events log: %w", err)
		}
	}
	return l.err
}
