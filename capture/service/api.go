package service

import (
	"time"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
)

// The control API: HTTP/1.1 with JSON bodies over the Unix socket
// (docs/capture-service.md). Paths:
const (
	PathStatus    = "/v1/status"    // GET: Report
	PathAttach    = "/v1/attach"    // POST AttachRequest: AttachResponse
	PathHeartbeat = "/v1/heartbeat" // POST SessionRequest: 204; 404 for an unknown session (attach again)
	PathObserve   = "/v1/observe"   // POST ObserveRequest: 204; 404 unknown session
	PathFrame     = "/v1/frame"     // POST FrameRequest: 204; 404 unknown session
	PathDetach    = "/v1/detach"    // POST SessionRequest: 204
	PathMetrics   = "/metrics"      // GET: Prometheus text format
)

// AttachRequest is a desktop attaching to the service.
type AttachRequest struct {
	PID int `json:"pid"` // the desktop's process id, for status
	// Hub and Token are the hub the desktop works on and the agent's
	// token: the service uploads there when its config names no hub.
	// Kept in the state folder (mode 0600) so uploads go on after the
	// desktop quits and after a reboot; never logged.
	Hub   string `json:"hub,omitempty"`
	Token string `json:"token,omitempty"`
}

// AttachResponse tells the desktop how to keep its session.
type AttachResponse struct {
	Session string `json:"session"`
	// Primary is set for the desktop whose hub frames drive capture;
	// another desktop of the same user is attached as a viewer (its
	// frames are ignored) until the primary one is lost.
	Primary          bool          `json:"primary"`
	HeartbeatEvery   time.Duration `json:"heartbeat_every_ns"`
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout_ns"`
	Mode             string        `json:"mode"`              // the capture mode the service runs
	Warning          string        `json:"warning,omitempty"` // e.g. synthetic devices, a refused Wayland screen
	Version          string        `json:"version"`
	PID              int           `json:"pid"`
}

// SessionRequest names the desktop's session.
type SessionRequest struct {
	Session string `json:"session"`
}

// ObserveRequest hands the service one frame the desktop got from the hub.
type ObserveRequest struct {
	Session  string           `json:"session"`
	Envelope session.Envelope `json:"envelope"`
}

// FrameRequest hands the service one screen the text desktop rendered,
// cols x rows cells: the recording's terminal track (issue 17).
type FrameRequest struct {
	Session string `json:"session"`
	Content string `json:"content"`
	Cols    int    `json:"cols"`
	Rows    int    `json:"rows"`
}

// maxCells bounds a frame's columns and rows.
const maxCells = 1000

// Report is what capture-agent status shows.
type Report struct {
	Version  string    `json:"version"`
	PID      int       `json:"pid"`
	UID      int       `json:"uid"`
	Started  time.Time `json:"started"`
	Mode     string    `json:"mode"`
	Warning  string    `json:"warning,omitempty"`
	Socket   string    `json:"socket"`
	SpoolDir string    `json:"spool_dir"`
	UploadTo string    `json:"upload_to"` // where files go, e.g. "hub http://…" or "folder /srv/rec"; never a token

	Desktops []Desktop         `json:"desktops"`
	Captures []Capture         `json:"captures"`
	Uploads  []UploadItem      `json:"uploads"`
	Queue    QueueSummary      `json:"queue"`
	Last     *UploadItem       `json:"last_upload,omitempty"`
	Errors   []ErrorEntry      `json:"recent_errors"`
	Counters map[string]uint64 `json:"counters"`
}

// Desktop is an attached desktop.
type Desktop struct {
	Session   string    `json:"session"`
	PID       int       `json:"pid"`
	Primary   bool      `json:"primary"`
	Attached  time.Time `json:"attached"`
	Heartbeat time.Time `json:"last_heartbeat"`
}

// Capture is one chat being recorded.
type Capture struct {
	Chat string `json:"chat"`
	control.Status
	Bytes  int64 `json:"bytes"`
	Frames int   `json:"frames"`
}

// UploadItem is one file of the upload queue.
type UploadItem struct {
	uploader.ItemStatus
	StateText string    `json:"state_text"`
	At        time.Time `json:"at,omitzero"` // for the last upload: when it was stored
}

// QueueSummary is the upload queue at a glance.
type QueueSummary struct {
	Length int       `json:"length"`           // files not yet stored
	Oldest time.Time `json:"oldest,omitzero"`  // when the oldest of them was queued
	Failed int       `json:"failed,omitempty"` // files given up on
}

// ErrorEntry is a recent error, in words.
type ErrorEntry struct {
	At  time.Time `json:"at"`
	Msg string    `json:"msg"`
}
