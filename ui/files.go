package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// Files in a chat (R-I6) on the desktop: a file's line shows its name,
// type and size, or that it was refused or broken and why; f sends a
// file from a path the agent types; F saves the chat's newest file into
// a folder the agent picks, never over a file that is there.

// ChatFiles moves a chat's files (cmd/agentdesk implements it over
// session/hubclient). SendFile sends the file at path into chat and
// returns the line it became; SaveFile saves a file of chat into dir
// under a free name (checking its SHA-256) and returns the path.
type ChatFiles interface {
	SendFile(ctx context.Context, chat, path string) (session.MessageData, error)
	SaveFile(ctx context.Context, chat string, f session.FileData, dir string) (string, error)
}

// fileTimeout bounds one file's transfer.
const fileTimeout = 5 * time.Minute

type fileMode int

const (
	fileNone fileMode = iota
	fileSendPath
	fileSaveDir
)

type chatFiles struct {
	src   ChatFiles
	dir   string // the folder offered (the last one used)
	mode  fileMode
	chat  string
	file  session.FileData // the file to save
	input textinput.Model
	busy  int // transfers running
}

type fileDoneMsg struct {
	what string
	err  error
}

func newChatFiles(src ChatFiles, dir string) *chatFiles {
	return &chatFiles{src: src, dir: dir, input: newInput("", "", 1000)}
}

// fileWords is a file's line: name, type and size, or what went wrong.
func fileWords(f *session.FileData) string {
	name := oneLine(f.Name)
	switch f.Status {
	case "refused":
		return "✗ file " + name + " refused" + reasonSuffix(f.Reason)
	case "broken":
		return "✗ file " + name + " broken" + reasonSuffix(f.Reason)
	}
	typ := oneLine(f.Type)
	if typ == "" {
		typ = "unknown type"
	}
	return fmt.Sprintf("📎 %s · %s · %s", name, typ, humanBytes(f.Size))
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + oneLine(r)
}

// lastFile is the newest file of c that can be saved.
func lastFile(c *session.Chat) (session.FileData, bool) {
	for i := len(c.Transcript) - 1; i >= 0; i-- {
		if f := c.Transcript[i].File; f != nil && f.ID != "" && f.Status == "sent" {
			return *f, true
		}
	}
	return session.FileData{}, false
}

// startSendFile asks for the path of a file to send into the selected chat.
func (m *Model) startSendFile() tea.Cmd {
	c := m.selectedChat()
	switch {
	case m.files.src == nil:
		m.setError("Send a file: this desktop cannot send files")
		return nil
	case c == nil || c.State != session.Connected:
		m.setError("Send a file: only a connected chat")
		return nil
	}
	m.files.mode, m.files.chat = fileSendPath, c.ID
	m.files.input.Prompt = "Send the file: "
	m.files.input.Placeholder = "a path, e.g. ~/Documents/invoice.pdf"
	m.files.input.Reset()
	return m.files.input.Focus()
}

// startSaveFile asks for the folder to save the chat's newest file into.
func (m *Model) startSaveFile() tea.Cmd {
	c := m.selectedChat()
	if c == nil {
		m.setError("Save a file: no chat selected")
		return nil
	}
	f, ok := lastFile(c)
	switch {
	case !ok:
		m.setError("Save a file: no file in this chat to save")
		return nil
	case m.files.src == nil:
		m.setError("Save a file: this desktop cannot fetch files")
		return nil
	}
	m.files.mode, m.files.chat, m.files.file = fileSaveDir, c.ID, f
	m.files.input.Prompt = "Save " + oneLine(f.Name) + " into: "
	m.files.input.Placeholder = "a folder, e.g. ~/Downloads"
	m.files.input.SetValue(m.files.dir)
	m.files.input.CursorEnd()
	return m.files.input.Focus()
}

// fileKey handles a key while a file prompt is open.
func (m *Model) fileKey(k tea.KeyPressMsg) tea.Cmd {
	fs := m.files
	switch {
	case key.Matches(k, m.keys.Esc):
		fs.mode = fileNone
		fs.input.Blur()
		m.setStatus("cancelled")
		return nil
	case key.Matches(k, m.keys.Send):
		v := strings.TrimSpace(fs.input.Value())
		if v == "" {
			return nil
		}
		mode, chat, file, src := fs.mode, fs.chat, fs.file, fs.src
		fs.mode = fileNone
		fs.input.Blur()
		fs.busy++
		if mode == fileSaveDir {
			fs.dir = v
			m.setStatus("saving " + oneLine(file.Name) + "…")
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
				defer cancel()
				p, err := src.SaveFile(ctx, chat, file, v)
				return fileDoneMsg{what: "saved " + oneLine(file.Name) + " as " + p, err: err}
			}
		}
		m.setStatus("sending " + filepath.Base(v) + "…")
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			line, err := src.SendFile(ctx, chat, v)
			what := "sent " + filepath.Base(v)
			if line.File != nil {
				what = "sent " + fileWords(line.File)
			}
			return fileDoneMsg{what: what, err: err}
		}
	}
	var cmd tea.Cmd
	fs.input, cmd = fs.input.Update(k)
	return cmd
}

// fileDone says how a transfer ended.
func (m *Model) fileDone(msg fileDoneMsg) {
	m.files.busy = max(m.files.busy-1, 0)
	if msg.err != nil {
		m.setError(msg.err.Error())
		return
	}
	m.setStatus(msg.what)
}
