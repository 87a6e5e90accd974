package session

// Files in a chat (issue 14 point 5, R-I6). A file goes over HTTP, not the
// websocket: POST /v1/chats/{chat}/files?name=… with the bytes as the body
// and Authorization: Bearer <the customer's resume token or the agent's
// token>; GET /v1/chats/{chat}/files/{id} gives it back to either side.
// Every file sent, refused or broken is a transcript line with File set,
// on both sides (docs/protocol.md).

// File states (FileData.Status).
const (
	FileSent    = "sent"    // stored whole: it can be downloaded
	FileRefused = "refused" // too large or of a type the hub does not allow
	FileBroken  = "broken"  // the upload was cut short: nothing was kept
)

// FileData is a file as a transcript line carries it. Type is what the
// hub found by sniffing the content, not the name's extension; Name is
// cleaned of paths, control and direction characters.
type FileData struct {
	ID     string `json:"id,omitempty"` // to download it; empty unless sent
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"` // why it was refused or broken, in words
}

// FileAnswer is the body of a POST of a file: the line it became.
type FileAnswer struct {
	Line MessageData `json:"line"`
}
