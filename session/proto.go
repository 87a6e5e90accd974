package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version of the wire protocol carried in every
// envelope's "v" field. docs/protocol.md documents it.
const ProtocolVersion = 1

// Envelope is one websocket text frame, in either direction, on both the
// agent and the customer socket. Data holds the payload for Type.
type Envelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	Ref  string          `json:"ref,omitempty"`  // client's request id, echoed on errors
	Chat string          `json:"chat,omitempty"` // the interaction the message is about
	Data json.RawMessage `json:"data,omitempty"`
}

// Message types sent by the agent desktop to the hub on /v1/agent.
const (
	TypeHello   = "hello"    // HelloData: first frame, authenticates
	TypeReady   = "ready"    // ReadyData: ready / not ready
	TypeAccept  = "accept"   // chat: take an offered chat
	TypeReject  = "reject"   // chat: refuse an offered chat
	TypeSend    = "send"     // chat + SendData (also customer → hub)
	TypePushURL = "push_url" // chat + PushURLData
	TypeTyping  = "typing"   // chat + TypingData (all directions)
	TypeEnd     = "end"      // chat: agent ends a connected chat
	TypeWrapUp  = "wrapup"   // chat + WrapUpData: disposition, note, case data in ACW
	TypeDone    = "done"     // chat: Mark Done, closes ACW
	TypePing    = "ping"     // keep-alive; answered with pong
)

// Message types sent by the hub to the agent desktop.
const (
	TypeWelcome   = "welcome"   // WelcomeData: after a good hello
	TypeOffer     = "offer"     // chat + ChatData: a chat is offered (alerting)
	TypeRevoked   = "revoked"   // chat + RevokedData: the offer is gone
	TypeChat      = "chat"      // chat + ChatData: full snapshot (accepted, resumed, changed)
	TypeMessage   = "message"   // chat + MessageData: a transcript line (all directions to clients)
	TypeState     = "state"     // chat + StateData: the chat changed state
	TypeAttention = "attention" // chat + AttentionData: something needs the agent's eye
	TypeAgent     = "agent"     // AgentData: this agent's ready state changed
	TypeError     = "error"     // ErrorData: a frame was refused; the connection stays up unless said
	TypePong      = "pong"
	// TypeRestarting (hub → agent and customer): RestartingData. The hub
	// is stopping to restart; the socket closes with 1012 (Service
	// Restart) and the client reconnects: its chats go on.
	TypeRestarting = "restarting"
	// TypeHistory (agent → hub): HistoryRequest; (hub → agent):
	// HistoryData, older sessions with the chat's contact (R-I2).
	TypeHistory = "history"
)

// Message types on /v1/customer.
const (
	TypeJoin     = "join"     // customer → hub: JoinData
	TypeLeave    = "leave"    // customer → hub: leaves the chat
	TypeJoined   = "joined"   // hub → customer: JoinedData
	TypeQueue    = "queue"    // hub → customer: QueueData, place in queue
	TypeAgentIn  = "agent_in" // hub → customer: AgentInData, an agent took the chat
	TypePresence = "presence" // hub → customer: PresenceData, agent reconnecting / back
	TypeEnded    = "ended"    // hub → customer: EndedData, the chat is over
	// TypeTranscriptMail (customer → hub): TranscriptMailData{Address},
	// e-mail me the transcript of the chat that ended; (hub → customer):
	// TranscriptMailData{Status, Message}, how it went.
	TypeTranscriptMail = "transcript_mail"
)

// Error codes in ErrorData.Code. They are stable: scripts and tests match them.
const (
	ErrCodeBadJSON      = "bad_json"
	ErrCodeBadVersion   = "bad_version"
	ErrCodeUnknownType  = "unknown_type"
	ErrCodeTooLarge     = "too_large"
	ErrCodeUnauthorized = "unauthorized"
	ErrCodeNotHello     = "hello_first"
	ErrCodeNoSuchChat   = "no_such_chat"
	ErrCodeNotYours     = "not_yours"
	ErrCodeChatEnded    = "chat_ended"
	ErrCodeBadState     = "bad_state"
	ErrCodeBadRequest   = "bad_request"
	// Limits (issue 9): the frame was refused, nothing stored was lost.
	ErrCodeLineTooLong    = "line_too_long"   // the text is over limits.max_line_bytes
	ErrCodeTranscriptFull = "transcript_full" // the chat holds limits.max_lines_per_chat or max_transcript_bytes
	ErrCodeRateLimited    = "rate_limited"    // more frames per second than the limits allow
	ErrCodeUnavailable    = "unavailable"     // the hub cannot store just now; try again
)

// HelloData authenticates an agent. Client names the program and version.
type HelloData struct {
	Token  string `json:"token"`
	Client string `json:"client,omitempty"`
}

// WelcomeData answers a good hello: who the agent is, the settings the
// desktop needs, and every live chat the agent owns or is offered (a
// reconnect resumes them).
type WelcomeData struct {
	Agent    AgentInfo  `json:"agent"`
	Settings Settings   `json:"settings"`
	Ready    bool       `json:"ready"`
	Chats    []ChatData `json:"chats"`
	// Recipient is the store's age public key: recordings are encrypted to
	// it when the desktop is given no key of its own.
	Recipient string `json:"recipient,omitempty"`
}

// AgentInfo names an agent.
type AgentInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Capacity int    `json:"capacity"`
}

// Settings are the admin's settings the desktop shows or times against.
type Settings struct {
	PendingWarn  Duration `json:"pending_warn"`  // T1 of R-I4: green → yellow
	PendingAlarm Duration `json:"pending_alarm"` // T2 of R-I4: yellow → red, flashing
	ACW          Duration `json:"acw"`           // after-call work time (R-I1)
	OfferTimeout Duration `json:"offer_timeout"`
	Dispositions []string `json:"dispositions"`
	// RequireDisposition refuses Mark Done without a disposition code
	// (issue 11 point 11; the hub's acw.require_disposition).
	RequireDisposition bool `json:"require_disposition,omitempty"`
	// AgentGrace is how long the hub keeps the agent's chats after the
	// desktop goes (timers.agent_grace); 0 when the hub does not say.
	AgentGrace Duration `json:"agent_grace,omitempty"`
}

// RestartingData tells a client the hub is restarting (TypeRestarting).
type RestartingData struct {
	Text string `json:"text"`
}

// HistoryRequest asks for the contact's sessions older than Before (a
// chat id from an earlier HistoryData or snapshot).
type HistoryRequest struct {
	Before string `json:"before"`
}

// HistoryData answers a HistoryRequest: older sessions, oldest first, and
// whether still older ones remain.
type HistoryData struct {
	Sessions []Session `json:"sessions"`
	More     bool      `json:"more"`
}

// ReadyData sets the agent ready or not ready for new offers.
type ReadyData struct {
	Ready bool `json:"ready"`
}

// AgentData tells the desktop its ready state (echo of ready, or forced).
type AgentData struct {
	Ready bool `json:"ready"`
}

// SendData is a text message from agent or customer.
type SendData struct {
	Text string `json:"text"`
}

// PushURLData pushes a link to the customer (R-I5).
type PushURLData struct {
	URL string `json:"url"`
}

// TypingData is a typing notice. Preview carries what the customer has typed
// so far (R-I3); it is never sent to customers.
type TypingData struct {
	Typing  bool   `json:"typing"`
	Preview string `json:"preview,omitempty"`
}

// WrapUpData records the after-call work (R-I10). Fields left empty are
// left unchanged; CaseData keys are merged.
type WrapUpData struct {
	Disposition string            `json:"disposition,omitempty"`
	Note        string            `json:"note,omitempty"`
	CaseData    map[string]string `json:"case_data,omitempty"`
}

// RevokedData tells why an offer was withdrawn.
type RevokedData struct {
	Reason string `json:"reason"` // "timeout", "rejected", "contact_left", "taken"
}

// ErrorData is the answer to anything a peer cannot accept.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fatal   bool   `json:"fatal,omitempty"` // the sender closes the socket after it
}

// Sender kinds of a transcript line.
const (
	FromCustomer = "customer"
	FromAgent    = "agent"
	FromSystem   = "system"
)

// MessageData is one transcript line (R-I2). URL is set for pushed links
// (R-I5): the text is then "Please navigate to the link: <url>".
type MessageData struct {
	ID   int64     `json:"id"`
	From string    `json:"from"`
	Name string    `json:"name"`
	Text string    `json:"text"`
	URL  string    `json:"url,omitempty"`
	At   time.Time `json:"at"`
	// File is set on a line that tells of a file sent, refused or broken
	// (R-I6, issue 14).
	File *FileData `json:"file,omitempty"`
}

// StateData tells a chat's new state. Reason is set when a chat ends
// (EndReason values). ACWDeadline is set while in ACW.
type StateData struct {
	State       State     `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	ACWDeadline time.Time `json:"acw_deadline,omitzero"`
}

// Reasons a chat ended (R-I1) or an offer was revoked.
const (
	EndContactLeft  = "contact_left"
	EndAgentEnded   = "agent_ended"
	EndInactivity   = "inactivity"
	EndContactGone  = "contact_disconnected"
	EndAgentGone    = "agent_gone"
	EndHubShutdown  = "hub_shutdown"
	RevokeTimeout   = "timeout"
	RevokeRejected  = "rejected"
	RevokeContactGo = "contact_left"
)

// Attention reasons sent by the hub (R-I11). The desktop adds its own for
// the pending-response warning and for parties joining or leaving.
const (
	AttnInactivitySoon = "inactivity_soon"
	AttnInactivity     = "inactivity"
	AttnContactLeft    = "contact_left"
	AttnContactGone    = "contact_disconnected" // chat closes soon unless the contact returns
	AttnContactBack    = "contact_back"
	AttnPartyJoined    = "party_joined"
	AttnPartyLeft      = "party_left"
	AttnPendingWarn    = "pending_warning"
)

// AttentionData draws the agent's eye to a chat. Deadline is when the
// announced thing happens, if it is in the future.
type AttentionData struct {
	Reason   string    `json:"reason"`
	Text     string    `json:"text"`
	Deadline time.Time `json:"deadline,omitzero"`
}

// ChatData is a full snapshot of one interaction as its agent sees it.
type ChatData struct {
	ID          string            `json:"id"`
	Customer    string            `json:"customer"`
	CustomerID  string            `json:"customer_id"`
	Queue       string            `json:"queue"`
	State       State             `json:"state"`
	Reason      string            `json:"reason,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	OfferedAt   time.Time         `json:"offered_at,omitzero"`
	OfferExpiry time.Time         `json:"offer_expiry,omitzero"`
	ACWDeadline time.Time         `json:"acw_deadline,omitzero"`
	Transcript  []MessageData     `json:"transcript"`
	History     []Session         `json:"history,omitempty"`      // older sessions, oldest first (R-I2)
	HistoryMore bool              `json:"history_more,omitempty"` // still older ones remain: ask with TypeHistory
	Disposition string            `json:"disposition,omitempty"`
	Note        string            `json:"note,omitempty"`
	CaseData    map[string]string `json:"case_data,omitempty"`
	Recording   *RecordingData    `json:"recording,omitempty"` // recording state (issue 4)
	// Parties is who is in the chat once another agent joined it or it
	// was transferred (issue 14); nil while only its owner ever had it.
	Parties *PartiesData `json:"parties,omitempty"`
}

// Session is an earlier chat with the same contact.
type Session struct {
	Chat       string        `json:"chat"`
	Start      time.Time     `json:"start"`
	Transcript []MessageData `json:"transcript"`
	Partial    bool          `json:"partial,omitempty"` // only its newest lines: it was longer than the history budget
}

// TranscriptMailData asks for (Address) or answers (Status: "sending",
// "sent" or "failed", Message in words) a transcript by e-mail.
type TranscriptMailData struct {
	Address string `json:"address,omitempty"`
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// JoinData opens a customer chat. Resume, when set, is the token of an
// earlier join: the customer reconnects to the same chat.
type JoinData struct {
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"` // stable id the page keeps; joins older sessions (R-I2)
	Queue   string `json:"queue,omitempty"`
	Resume  string `json:"resume,omitempty"`
}

// JoinedData answers a join: the chat id and a token to resume it.
type JoinedData struct {
	Chat   string        `json:"chat"`
	Resume string        `json:"resume"`
	Queue  string        `json:"queue"`
	Lines  []MessageData `json:"lines,omitempty"` // transcript so far, on resume
}

// QueueData gives the customer's place in the queue (1 = next).
type QueueData struct {
	Position int `json:"position"`
	// Agents is how many agents serving the queue are ready now: 0 means
	// nobody can answer yet (the page says so).
	Agents int `json:"agents"`
	// Wait is about how long recent chats of the queue waited for an
	// agent; absent until the hub has seen a few.
	Wait Duration `json:"wait,omitempty"`
}

// AgentInData tells the customer an agent took the chat.
type AgentInData struct {
	Name string `json:"name"`
}

// PresenceData tells the customer the agent's connection is away or back.
type PresenceData struct {
	Reconnecting bool `json:"reconnecting"`
}

// EndedData tells the customer the chat is over.
type EndedData struct {
	Reason string `json:"reason"`
	// Mail says the hub can e-mail the transcript (TypeTranscriptMail).
	Mail bool `json:"mail,omitempty"`
}

// Duration is a time.Duration that travels as a Go duration string ("30s").
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string, or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string like \"30s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ErrNoData is returned by Decode when the envelope carries no payload.
var ErrNoData = errors.New("session: message has no data")

// NewEnvelope builds an envelope of type t about chat with payload data
// (nil for none).
func NewEnvelope(t, chat string, data any) (Envelope, error) {
	e := Envelope{V: ProtocolVersion, Type: t, Chat: chat}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return e, fmt.Errorf("session: encode %s: %w", t, err)
		}
		e.Data = b
	}
	return e, nil
}

// Decode unmarshals the envelope's payload into v.
func (e Envelope) Decode(v any) error {
	if len(e.Data) == 0 {
		return ErrNoData
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("session: bad %s data: %w", e.Type, err)
	}
	return nil
}
