package session

import "time"

// Multi-party chats on the wire (issue 14): transfer (R-I7), conference
// (R-I8) and consultation (R-I9). A desktop that does not know these
// frames ignores them: an invitation it never answers runs out
// (timers.transfer_timeout) and its sender is told so.

// Message types of multi-party chats.
const (
	// agent → hub: chat + InviteRequest. Offer the chat to another agent
	// or to a queue's first available member; on accept it leaves the
	// sender (R-I7).
	TypeTransfer = "transfer"
	// agent → hub: chat + InviteRequest. Invite an agent into the chat
	// (R-I8); on accept they see the whole transcript and every line after.
	TypeConference = "conference"
	// agent → hub: chat + InviteRequest. Open a consultation about the
	// chat with an agent or a queue (R-I9): an internal chat the customer
	// never sees.
	TypeConsult = "consult"
	// agent → hub: AnswerData. The invited agent accepts or rejects.
	TypeAnswer = "answer"
	// agent → hub: chat + RemoveData. The owner removes a conferenced party.
	TypeRemove = "remove"
	// agent → hub: consultation id in "chat" + SendData. A line of the
	// consultation, to the other agent only.
	TypeConsultSend = "consult_send"
	// agent → hub: consultation id in "chat". Either agent ends the
	// consultation; the contact's chat goes on.
	TypeConsultEnd = "consult_end"
	// agent → hub: consultation id in "chat" + ConvertData. The owner
	// turns the consultation into a transfer or a conference at once.
	TypeConsultTo = "consult_to"

	// hub → agent: InviteData. Someone offers this agent a chat, a place
	// in it, or a consultation.
	TypeInvite = "invite"
	// hub → agent: InviteResultData. How an invitation ended: told to the
	// sender (accepted, rejected, timeout, failed) and to the invited
	// agent when it is withdrawn (cancelled).
	TypeInviteResult = "invite_result"
	// hub → agent: chat + PartiesData. Who is in the chat, sent to
	// everyone in it after every change.
	TypeParties = "parties"
	// hub → agent: ConsultationData. A consultation's snapshot: when it
	// opens, when an agent comes back, and when it ends (State "ended").
	TypeConsultation = "consultation"
	// hub → agent: consultation id in "chat" + MessageData. A line of the
	// consultation.
	TypeConsultLine = "consult_line"
)

// Invitation kinds (InviteData.Kind).
const (
	InviteTransfer   = "transfer"
	InviteConference = "conference"
	InviteConsult    = "consult"
)

// Invitation outcomes (InviteResultData.Status).
const (
	InviteAccepted  = "accepted"
	InviteRejected  = "rejected"
	InviteTimeout   = "timeout"
	InviteCancelled = "cancelled" // withdrawn: the chat ended, the sender left, another agent took it
	InviteFailed    = "failed"    // nobody could be offered it (a queue with no one available)
)

// End reasons of a chat for one agent (StateData.Reason with State Done)
// when the chat goes on without them.
const (
	EndTransferred = "transferred" // the chat went to another agent (R-I7)
	EndRemoved     = "removed"     // the owner removed this party (R-I8)
	EndLeft        = "left"        // this agent left the conference (R-I8)
)

// InviteRequest names whom a transfer, conference or consultation goes
// to: one agent by id, or a queue (any available member gets it). Text is
// an optional note shown with the invitation (the first line of a
// consultation).
type InviteRequest struct {
	Agent string `json:"agent,omitempty"`
	Queue string `json:"queue,omitempty"`
	Text  string `json:"text,omitempty"`
}

// AgentRef names an agent.
type AgentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// InviteData is an invitation to the agent who receives it. Chat is the
// contact's chat with its whole transcript (read-only for a consultation).
type InviteData struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	From   AgentRef  `json:"from"`
	Queue  string    `json:"queue,omitempty"` // the queue it was sent to, if any
	Text   string    `json:"text,omitempty"`
	Expiry time.Time `json:"expiry"`
	Chat   ChatData  `json:"chat"`
}

// AnswerData is the invited agent's answer. Reason, on a reject, is told
// to the sender.
type AnswerData struct {
	Invite string `json:"invite"`
	Accept bool   `json:"accept"`
	Reason string `json:"reason,omitempty"`
}

// InviteResultData tells how an invitation ended. Agent is who answered
// (or was last offered it).
type InviteResultData struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Chat    string   `json:"chat"`
	Status  string   `json:"status"`
	Agent   AgentRef `json:"agent,omitzero"`
	Consult string   `json:"consult,omitempty"` // the consultation an accepted consult opened
	Reason  string   `json:"reason,omitempty"`  // in words
}

// RemoveData names the party the owner removes.
type RemoveData struct {
	Agent string `json:"agent"`
}

// PartiesData is who is in a chat: its owner and the conferenced agents,
// in the order they joined.
type PartiesData struct {
	Owner   AgentRef   `json:"owner"`
	Parties []AgentRef `json:"parties"`
	// Listening are the supervisors silently watching the chat (R-C8).
	Listening []AgentRef `json:"listening,omitempty"`
}

// ConvertData turns a consultation into a transfer or a conference.
type ConvertData struct {
	To string `json:"to"` // InviteTransfer or InviteConference
}

// Consultation states (ConsultationData.State).
const (
	ConsultOpen  = "open"
	ConsultEnded = "ended"
)

// ConsultationData is a consultation as either agent sees it: the
// contact's chat it is about, who asked and who was asked, its own lines,
// and (for the consulted agent) the contact's transcript, read-only.
type ConsultationData struct {
	ID      string        `json:"id"`
	Chat    string        `json:"chat"`
	From    AgentRef      `json:"from"`
	With    AgentRef      `json:"with"`
	State   string        `json:"state"`
	Reason  string        `json:"reason,omitempty"` // why it ended
	Lines   []MessageData `json:"lines"`
	Contact []MessageData `json:"contact,omitempty"`
}

// Directory is the answer of GET /v1/directory: what a picker offers as
// transfer, conference and consultation targets, with their availability
// and load. It holds no private data.
type Directory struct {
	Agents []DirectoryAgent `json:"agents"`
	Queues []DirectoryQueue `json:"queues"`
}

// DirectoryAgent is one agent as a picker shows it. Available means online,
// ready and below capacity.
type DirectoryAgent struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Queues    []string `json:"queues"`
	Online    bool     `json:"online"`
	Ready     bool     `json:"ready"`
	Available bool     `json:"available"`
	Load      int      `json:"load"`     // chats offered or connected that it owns
	Joined    int      `json:"joined"`   // chats it is conferenced into
	Consults  int      `json:"consults"` // open consultations
	Capacity  int      `json:"capacity"`
}

// DirectoryQueue is one queue as a picker shows it.
type DirectoryQueue struct {
	Name      string `json:"name"`
	Title     string `json:"title"`
	Waiting   int    `json:"waiting"`   // chats waiting for an agent
	Agents    int    `json:"agents"`    // agents serving it online
	Ready     int    `json:"ready"`     // of them, ready
	Available int    `json:"available"` // of them, ready and below capacity
}

// Supervisor monitoring (R-C8), on /v1/agent with a supervisor's or
// admin's token: the supervisor watches a live chat silently (its agents
// are told someone is listening; the customer is not) and may barge in as
// a conference party.
const (
	// supervisor → hub: chat. Watch the chat: a snapshot, then every line.
	TypeMonitor = "monitor"
	// supervisor → hub: chat. Stop watching (state done, reason "left").
	TypeUnmonitor = "unmonitor"
	// supervisor → hub: chat. Join the chat as a conference party: a line
	// tells everyone, the customer included.
	TypeBarge = "barge"
)

// AttnMonitored tells the chat's agents that a supervisor started or
// stopped listening (R-C8).
const AttnMonitored = "monitored"
