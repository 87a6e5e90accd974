package session

import "time"

// Recording control on the wire (issue 4). The hub is the one authority:
// it holds each chat's Recorder, applies the agent's buttons, its policies
// and the dynamic API through it, and tells the desktop the result with a
// recording frame after every change.

// Message types of recording control.
const (
	// agent → hub
	TypeRecord     = "record"      // chat + RecordData: the agent pressed Record, Snip or Pause
	TypeAbusive    = "abusive"     // chat: the agent (or a supervisor) flags the chat abusive (R-H7)
	TypeDeleteRec  = "delete_rec"  // chat: the agent confirms the customer's deletion request (R-H6)
	TypeRecording  = "recording"   // hub → agent: chat + RecordingData, after every change
	TypeConsentAsk = "consent_ask" // hub → customer: ConsentAskData, the flow asks for consent (R-H6)
	TypeConsent    = "consent"     // customer → hub: ConsentData
	TypeDeleteAsk  = "delete_ask"  // customer → hub: the customer asks for deletion (R-H6)
	// TypeRecordingNotice (hub → customer): RecordingNoticeData, whenever
	// the chat starts or stops being recorded or is paused.
	TypeRecordingNotice = "recording_notice"
)

// ErrCodeRecRefused answers a recording request the rules refuse; the
// message is the reason the button shows.
const ErrCodeRecRefused = "rec_refused"

// RecordData is a press of one of the agent's recording buttons.
type RecordData struct {
	Button string `json:"button"` // "record", "snip" or "pause"
}

// ButtonState tells the desktop whether a button is available and, if
// not, why (the text of the named error).
type ButtonState struct {
	Enabled bool   `json:"enabled"`
	Reason  string `json:"reason,omitempty"`
}

// RecordingInfo is one recording of a chat as the desktop shows it.
type RecordingInfo struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`  // Kind.String()
	State      string    `json:"state"` // RecState.String()
	Parts      int       `json:"parts"`
	Since      time.Time `json:"since,omitzero"` // start of the running part
	Screen     bool      `json:"screen"`         // screen recorded too (R-V1)
	By         string    `json:"by"`             // role that began it: agent, supervisor, flow, policy, system
	Name       string    `json:"name,omitempty"` // file name, once the chat is done (R-H4)
	Partitions []string  `json:"partitions,omitempty"`
	// Lines are the ids (MessageData.ID) of the transcript lines this
	// recording holds, as the hub recorded them (R-C5: entered while on and
	// not paused): the desktop's combiner puts exactly these in the file's
	// subtitle track.
	Lines []int64 `json:"lines,omitempty"`
}

// RecordingData is a chat's recording state, sent after every change.
type RecordingData struct {
	Buttons    map[string]ButtonState `json:"buttons"` // "record", "snip", "pause"
	Recording  bool                   `json:"recording"`
	Paused     bool                   `json:"paused"`
	Observed   bool                   `json:"observed"` // a supervisor or flow records it (R-C8)
	Automatic  bool                   `json:"automatic"`
	Abusive    bool                   `json:"abusive"`
	Consent    string                 `json:"consent,omitempty"` // "", "asked", "yes", "no"
	DeleteAsk  bool                   `json:"delete_ask"`        // the customer asked for deletion
	Deleted    bool                   `json:"deleted"`           // the agent confirmed it
	Recordings []RecordingInfo        `json:"recordings"`
	Change     string                 `json:"change,omitempty"` // what just changed, in words, with who
}

// What the customer is told of the chat's recording.
const (
	NoticeRecording = "recording" // something records the chat
	NoticePaused    = "paused"    // every recording is paused
	NoticeStopped   = "stopped"   // it was recorded; nothing records it now
	NoticeDeleted   = "deleted"   // the agent confirmed the customer's deletion request: nothing is kept
)

// RecordingNoticeData tells the customer whether the chat is recorded:
// State is NoticeRecording, NoticePaused or NoticeStopped, Text the words
// the queue gives for it (also a line of the transcript).
type RecordingNoticeData struct {
	State string `json:"state"`
	Text  string `json:"text"`
}

// ConsentAskData is the flow's consent question to the customer.
type ConsentAskData struct {
	Text string `json:"text"`
}

// ConsentData is the customer's answer.
type ConsentData struct {
	Yes bool `json:"yes"`
}
