package webapp

import (
	"errors"
	"net/http"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// ChatFileServer is a Backend that also serves the files sent in a
// recording's chat (R-I6, issue 14): the recording page lists them and
// links them here. The web app asks for it by type assertion.
type ChatFileServer interface {
	// ServeChatFile answers r with file (sent in rec's chat and taken by
	// rec) as an attachment. Access is already decided.
	ServeChatFile(w http.ResponseWriter, r *http.Request, rec store.Recording, file session.FileData)
}

// nextPart is the part after cur among a recording's files (its parts, in
// the order they were made), or nil: the recording page links it under
// the player, so the parts play one after the other.
func nextPart(files []store.FileRef, cur *store.FileRef) *store.FileRef {
	for i := range files {
		if cur != nil && files[i].ID == cur.ID && i+1 < len(files) {
			return &files[i+1]
		}
	}
	return nil
}

// chatFiles are the files sent whole among lines, for the recording page.
func chatFiles(lines []session.MessageData) []session.FileData {
	var out []session.FileData
	for _, l := range lines {
		if f := l.File; f != nil && f.Status == session.FileSent && f.ID != "" {
			out = append(out, *f)
		}
	}
	return out
}

// chatFileOf is the file sent with id among what rec took of its chat.
func chatFileOf(rec store.Recording, id string) (session.FileData, bool) {
	for _, l := range rec.Lines {
		if f := l.File; f != nil && f.Status == session.FileSent && f.ID != "" && f.ID == id {
			return *f, true
		}
	}
	return session.FileData{}, false
}

// chatFile is GET /app/recordings/{id}/chatfiles/{file}: a file sent in
// the chat while it was recorded, to whoever may see the recording (R-V8);
// every download is in the access log (R-V9).
func (a *App) chatFile(w http.ResponseWriter, r *http.Request) {
	cs, ok := a.b.(ChatFileServer)
	if !ok {
		a.notFound(w, r)
		return
	}
	rec, err := a.b.Recording(r.Context(), *sessionOf(r.Context()).user, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		a.logAccess(r, Access{Action: store.ActionDownload, Recording: r.PathValue("id"), Outcome: OutcomeNotFound})
		http.Error(w, "no such recording, or not yours to see", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "the store cannot be read just now", http.StatusServiceUnavailable)
		return
	}
	f, ok := chatFileOf(rec, r.PathValue("file"))
	if !ok {
		http.Error(w, "no such file in this recording", http.StatusNotFound)
		return
	}
	acc := recAccess(store.ActionDownload, rec)
	acc.Query = "chat file " + f.ID
	a.logAccess(r, acc)
	cs.ServeChatFile(w, r, rec, f)
}
