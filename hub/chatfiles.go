package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/webapp"
	"github.com/agentdesk/agentdesk/session"
)

// Files in a chat (R-I6, issue 14 point 5): the customer and the chat's
// agents send each other files over HTTP. The hub bounds the size
// (files.max_bytes), finds the type by sniffing the content (never the
// name), allows only files.allowed_types, cleans the name, keeps the file
// in the store folder beside the chat's recordings (chatfiles/<chat>/
// <sha256>) and tells both sides with a transcript line that carries the
// file, its type, size and SHA-256: the line is part of the chat's
// recordings like any other. A refused or broken file is a line too.

// fileSender is who sends or fetches a chat's file.
type fileSender struct {
	c    *chat
	from string // session.FromCustomer or FromAgent
	name string
}

// fileCaller finds the chat and who calls: the customer by their resume
// token, or its owner or a conferenced party by their agent token. It
// answers 404 for anything else, so nobody learns which chats exist.
func (s *Server) fileCaller(w http.ResponseWriter, r *http.Request) (fileSender, bool) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.chats[r.PathValue("chat")]
	if c != nil && token != "" {
		if c.resumeHash != "" && hashResume(token) == c.resumeHash {
			return fileSender{c: c, from: session.FromCustomer, name: c.name}, true
		}
		if who, ok := s.tokens.Lookup(token); ok && who.Agent() {
			if a := s.agents[who.ID]; a != nil && c.in(a) {
				return fileSender{c: c, from: session.FromAgent, name: a.cfg.Name}, true
			}
		}
	}
	api.WriteError(w, http.StatusNotFound, api.ErrNoSuchInteraction, "no chat %.40q of yours; send Authorization: Bearer <your resume token or agent token>", r.PathValue("chat"))
	return fileSender{}, false
}

// cleanFileName keeps a file name's last path element, without control,
// format (direction overrides) or path characters, without leading dots,
// at most 120 bytes; "file" when nothing is left.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == unicode.ReplacementChar, unicode.IsControl(r), unicode.Is(unicode.Cf, r), strings.ContainsRune(`<>:"|?*`, r):
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ". ")
	for len(name) > 120 {
		_, n := lastRune(name)
		name = name[:len(name)-n]
	}
	if name == "" {
		return "file"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// serveFileUpload is POST /v1/chats/{chat}/files?name=…: the body is the
// file. It answers 201 with the line the file became, or an error; a
// refused or broken file is told to both sides as a line.
func (s *Server) serveFileUpload(w http.ResponseWriter, r *http.Request) {
	fs, ok := s.fileCaller(w, r)
	if !ok {
		return
	}
	c := fs.c
	name := cleanFileName(r.URL.Query().Get("name"))
	f := &session.FileData{Name: name, Size: max(r.ContentLength, 0)}
	refuse := func(code int, apiCode, status, format string, a ...any) {
		f.Status, f.Reason = status, fmt.Sprintf(format, a...)
		verb := map[string]string{session.FileRefused: "was refused", session.FileBroken: "did not arrive whole"}[status]
		s.fileLine(c, session.MessageData{From: session.FromSystem, File: f,
			Text: fmt.Sprintf("%s's file %s %s: %s", fs.name, name, verb, f.Reason)})
		api.WriteError(w, code, apiCode, "%s", f.Reason)
	}
	if s.cfg.Store.Dir == "" {
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrNoStore, "this hub keeps no files: it has no store.dir")
		return
	}
	limits := s.cfg.Files
	state, release := s.takeFilePlace(c)
	if release != nil {
		defer func() {
			if release != nil {
				release()
			}
		}()
	}
	switch {
	case state != session.Connected:
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "chat %s is %s; files go only while it is connected", c.id, state)
		return
	case release == nil:
		refuse(http.StatusConflict, api.ErrWrongState, session.FileRefused, "this chat has had %d files, the most it may (files.max_per_chat)", limits.MaxPerChat)
		return
	case r.ContentLength > limits.MaxBytes:
		refuse(http.StatusRequestEntityTooLarge, api.ErrTooLarge, session.FileRefused, "it is %d bytes; the limit is %d (files.max_bytes)", r.ContentLength, limits.MaxBytes)
		return
	}
	dir := filepath.Join(s.cfg.Store.Dir, "chatfiles", c.id)
	up, err := receive(w, r, dir, limits.MaxBytes)
	if up.tmp != "" {
		defer os.Remove(up.tmp) // gone unless renamed
	}
	f.Size = up.n
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		refuse(http.StatusRequestEntityTooLarge, api.ErrTooLarge, session.FileRefused, "it is more than %d bytes (files.max_bytes)", limits.MaxBytes)
		return
	case errors.Is(err, errKeep):
		s.log.Error("chat files", "chat", c.id, "err", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the hub cannot keep files just now")
		return
	case err != nil || (r.ContentLength > 0 && up.n != r.ContentLength):
		refuse(http.StatusBadRequest, api.ErrBadRequest, session.FileBroken, "the upload was cut off after %d bytes", up.n)
		return
	case up.n == 0:
		refuse(http.StatusBadRequest, api.ErrBadRequest, session.FileRefused, "it is empty")
		return
	}
	f.Type, _, _ = mime.ParseMediaType(http.DetectContentType(up.head))
	if !slices.Contains(limits.AllowedTypes, f.Type) {
		refuse(http.StatusUnsupportedMediaType, api.ErrBadRequest, session.FileRefused, "%s files are not allowed (files.allowed_types: %s)", f.Type, strings.Join(limits.AllowedTypes, ", "))
		return
	}
	f.SHA256 = up.sum
	f.ID, f.Status = f.SHA256, session.FileSent
	if err := os.Rename(up.tmp, filepath.Join(dir, f.SHA256)); err != nil {
		s.log.Error("chat files", "chat", c.id, "err", err)
		api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the hub cannot keep files just now")
		return
	}
	syncDir(dir)
	m := s.fileLine(c, session.MessageData{From: fs.from, Name: fs.name, File: f,
		Text: fmt.Sprintf("%s sent a file: %s (%s, %d bytes, sha256 %s)", fs.name, name, f.Type, f.Size, f.SHA256)})
	if m.ID != 0 {
		release = nil // the place became one of the chat's files (fileLine)
	}
	if m.ID == 0 {
		api.WriteError(w, http.StatusConflict, api.ErrWrongState, "the chat ended or its transcript is full; the file was not sent")
		return
	}
	api.WriteJSON(w, http.StatusCreated, session.FileAnswer{Line: m})
}

// takeFilePlace takes a place among the chat's files before the first
// byte, so uploads in parallel cannot pass files.max_per_chat together.
// release gives it back; it is nil when there was none to take (or the
// chat is not connected: state says).
func (s *Server) takeFilePlace(c *chat) (state session.State, release func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != session.Connected || c.files+c.uploading >= s.cfg.Files.MaxPerChat {
		return c.state, nil
	}
	c.uploading++
	return c.state, func() { c.mu.Lock(); c.uploading--; c.mu.Unlock() }
}

// errKeep marks an upload the hub could not write to its disk.
var errKeep = errors.New("hub: cannot keep the file")

// received is an upload written to a temporary file in its chat's folder.
type received struct {
	tmp  string // the temporary file; "" when none was made
	n    int64
	sum  string // SHA-256, hex
	head []byte // the first 512 bytes, to sniff the type
}

// receive writes the request's body, at most limit bytes, to a synced
// temporary file in dir, hashing it and keeping its head.
func receive(w http.ResponseWriter, r *http.Request, dir string, limit int64) (received, error) {
	var up received
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return up, fmt.Errorf("%w: %v", errKeep, err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return up, fmt.Errorf("%w: %v", errKeep, err)
	}
	up.tmp = tmp.Name()
	h := sha256.New()
	head := &headBuffer{max: 512}
	up.n, err = io.Copy(io.MultiWriter(tmp, h, head), http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		if serr := tmp.Sync(); serr != nil {
			err = fmt.Errorf("%w: %v", errKeep, serr)
		}
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%w: %v", errKeep, cerr)
	}
	up.sum, up.head = hex.EncodeToString(h.Sum(nil)), head.b
	return up, err
}

// syncDir makes a rename in dir durable, where the file system allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil { // #nosec G304 -- the chat's own folder
		_ = d.Sync()
		_ = d.Close()
	}
}

// fileLine adds a file's line to the chat and waits until it is stored;
// a line of a file sent counts against files.max_per_chat. The zero line
// when the chat is no longer connected or its transcript is full.
func (s *Server) fileLine(c *chat, m session.MessageData) session.MessageData {
	s.lock()
	if c.state != session.Connected || s.chats[c.id] != c {
		s.unlock()
		return session.MessageData{}
	}
	line, fe := s.appendMsg(c, m, true, m.From != session.FromSystem)
	if fe == nil && line.ID != 0 && m.File.Status == session.FileSent {
		// Its place moves from the uploads in flight to the chat's files
		// at once: counted twice for a moment, a parallel upload would be
		// refused with a place still free.
		c.mu.Lock()
		c.files++
		c.uploading = max(c.uploading-1, 0)
		c.mu.Unlock()
	}
	s.unlock()
	s.j.sync()
	return line
}

// serveFileDownload is GET /v1/chats/{chat}/files/{id}: a file sent in the
// chat, to its customer or its agents, as an attachment.
func (s *Server) serveFileDownload(w http.ResponseWriter, r *http.Request) {
	id, chatID := r.PathValue("id"), r.PathValue("chat")
	s.mu.RLock()
	live := s.chats[chatID] != nil
	s.mu.RUnlock()
	var f *session.FileData
	var created time.Time
	if live {
		fs, ok := s.fileCaller(w, r)
		if !ok {
			return
		}
		fs.c.mu.Lock()
		f, created = findFile(fs.c.lines, id), fs.c.created
		fs.c.mu.Unlock()
	} else if f, created = s.doneFile(r, chatID, id); f == nil {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchInteraction, "no chat %.40q of yours; send Authorization: Bearer <your resume token or agent token>", chatID)
		return
	}
	if f == nil || f.ID == "" || f.ID != id || s.cfg.Store.Dir == "" {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no file %.70q in chat %s", id, chatID)
		return
	}
	s.sendChatFile(w, r, chatID, f, created)
}

// sendChatFile answers r with f, a file the hub found among chatID's
// lines, as an attachment that never runs in the hub's origin.
func (s *Server) sendChatFile(w http.ResponseWriter, r *http.Request, chatID string, f *session.FileData, created time.Time) {
	id, dir := f.ID, s.chatFilesDir(chatID)
	// The id is a SHA-256 the hub computed and found among the chat's lines.
	if dir == "" || !isHexSHA256(id) {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "no file %.70q in chat %.40q", id, chatID)
		return
	}
	file, err := os.Open(filepath.Join(dir, id)) // #nosec G304 G703 -- a chat id of the hub's own form and a hex SHA-256 the hub computed
	if err != nil {
		api.WriteError(w, http.StatusNotFound, api.ErrNoSuchFile, "file %s of chat %s is no longer kept", id, chatID)
		return
	}
	defer file.Close()
	w.Header().Set("Content-Type", f.Type)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", created, file)
}

// ServeChatFile serves the web app's recording page a file sent in the
// recording's chat (webapp.ChatFileServer); the web app decided access.
func (b appBackend) ServeChatFile(w http.ResponseWriter, r *http.Request, rec store.Recording, f session.FileData) {
	b.s.sendChatFile(w, r, rec.Interaction, &f, rec.FinishedAt)
}

// chatFilesDir is the folder of a chat's files in the store folder, or ""
// when the hub keeps none or id is not one of the hub's chat ids.
func (s *Server) chatFilesDir(id string) string {
	if s.cfg.Store.Dir == "" || !validChatID(id) {
		return ""
	}
	return filepath.Join(s.cfg.Store.Dir, "chatfiles", id)
}

var _ webapp.ChatFileServer = appBackend{}

// isHexSHA256 reports whether id is a SHA-256 in lowercase hex, as the hub
// names the files of a chat.
func isHexSHA256(id string) bool {
	if len(id) != 64 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// eraseChatFiles deletes the files sent in a chat whose recordings must
// not exist (R-H6, X-1): they are part of its recordings (R-I6), so they
// go with them, each with a tombstone (what, when, who, why; never the
// content). The caller holds the hub's lock.
func (s *Server) eraseChatFiles(c *chat, by, why string) { s.eraseChatFilesOf(c.id, by, why) }

// eraseChatFilesOf is eraseChatFiles by the chat's id (the chat may be
// done and gone from memory). The caller holds the hub's lock.
func (s *Server) eraseChatFilesOf(id, by, why string) {
	c := &chat{id: id}
	dir := s.chatFilesDir(c.id)
	if dir == "" {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return // none was kept
	}
	now := s.now()
	var stones []store.Tombstone
	for _, e := range ents {
		if info, err := e.Info(); err == nil && isHexSHA256(e.Name()) {
			stones = append(stones, store.Tombstone{At: now, Interaction: c.id, File: "chatfile:" + e.Name(), SHA256: e.Name(),
				Size: info.Size(), By: by, Why: why})
		}
	}
	if err := os.RemoveAll(dir); err != nil { // #nosec G703 -- chatFilesDir: the store folder and a chat id of the hub's own form
		s.log.Error("erase: files sent in a chat whose recordings must not exist are still kept", "chat", c.id, "err", err)
		return
	}
	if len(stones) > 0 {
		s.j.add(func(b *store.Batch) { b.Tombstones = append(b.Tombstones, stones...) })
		s.erasedAudited(stones)
	}
}

// findFile is the file sent with id among lines, or nil.
func findFile(lines []session.MessageData, id string) *session.FileData {
	for _, m := range lines {
		if m.File != nil && m.File.Status == session.FileSent && m.File.ID == id {
			return m.File
		}
	}
	return nil
}

// doneFile finds a file of a chat that is done, for an agent who owned
// it last or who is in a live chat with the same contact (it shows in
// their history, R-I2); nil for anyone else.
func (s *Server) doneFile(r *http.Request, chatID, id string) (*session.FileData, time.Time) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	who, ok := s.tokens.Lookup(token)
	if token == "" || !ok || !who.Agent() {
		return nil, time.Time{}
	}
	row, err := s.st.Chat(r.Context(), chatID)
	if err != nil || row.State != session.Done {
		return nil, time.Time{}
	}
	allowed := row.Agent == who.ID
	s.mu.RLock()
	if a := s.agents[who.ID]; !allowed && a != nil && row.Contact != "" {
		for _, c := range s.chats {
			allowed = allowed || (c.contact == row.Contact && c.in(a))
		}
	}
	s.mu.RUnlock()
	if !allowed {
		return nil, time.Time{}
	}
	lines, err := s.st.Transcript(r.Context(), chatID)
	if err != nil {
		return nil, time.Time{}
	}
	ml := make([]session.MessageData, len(lines))
	for i, l := range lines {
		ml[i] = l.MessageData
	}
	if f := findFile(ml, id); f != nil {
		return f, row.Created
	}
	return &session.FileData{}, row.Created // the chat is theirs, the file is not in it: 404 no_such_file
}

// headBuffer keeps the first max bytes written to it, for sniffing.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// validChatID reports whether id has the form of the hub's chat ids
// ("chat-" and digits): nothing else names a folder.
func validChatID(id string) bool {
	n, ok := strings.CutPrefix(id, "chat-")
	if !ok || n == "" || len(n) > 19 {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
