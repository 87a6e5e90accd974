// Package upload is the upload contract between a desktop and the hub's
// recording store (docs/uploads.md): tus 1.0.0 at UploadsPath, the
// Upload-Metadata keys, the checksum answer and the stored file's id. The
// hub's ingest, the desktop's hub sink and the test tus server all import
// it, so the contract is spelled once.
package upload

// Paths and protocol version.
const (
	TusVersion  = "1.0.0"
	UploadsPath = "/v1/uploads/"        // tus creation, HEAD, PATCH, DELETE
	VerifyPath  = "/v1/uploads/verify/" // + sha256: is a file with that checksum stored?
)

// StatusChecksumMismatch answers a final PATCH whose bytes do not hash to
// the upload's sha256 metadata; the upload is gone and must start again at
// byte 0.
const StatusChecksumMismatch = 460

// HeaderStored carries the stored file's id on the 204 that acknowledges an
// upload's final PATCH.
const HeaderStored = "Agentdesk-Stored"

// Upload-Metadata keys.
const (
	MetaFilename    = "filename"    // required: the file name (the hub makes it safe)
	MetaSHA256      = "sha256"      // required: 64 hex digits of the whole file
	MetaSize        = "size"        // optional: must equal Upload-Length
	MetaRecording   = "recording"   // the recording id
	MetaInteraction = "interaction" // the chat id
	MetaAgent       = "agent"       // the uploading agent (the hub pins it to the token's)
	MetaDest        = "dest"        // optional sub-folder of the store (R-G2)
	MetaManifest    = "manifest"    // the uploader's JSON manifest
)

// Verified is the 200 body of GET VerifyPath+sha256: the stored file with
// that checksum. The uploader deletes its local copy only after this or the
// HeaderStored acknowledgement.
type Verified struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}
