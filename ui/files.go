package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdesk/agentdesk/session"
)

// Files in a chat (R-I6) on the desktop: a file's line shows its name,
// type and size, or that it was refused or broken and why; f sends a
// file from a path the agent types; F saves the chat's newest file into
// a folder the agent picks, never over a file that is there. While a file
// moves, the chat shows how far it got (bytes and percent); a transfer
// that breaks stays marked, with how far it got and why, until the next
// one of that chat.

// ChatFiles moves a chat's files (cmd/agentdesk implements it over
// session/hubclient). SendFile sends the file at path into chat and
// returns the line it became; SaveFile saves a file of chat into dir
// under a free name (checking its SHA-256) and returns the path. Both
// call progress (never nil) with the bytes moved so far and the file's
// size, from any goroutine, as the bytes go.
type ChatFiles interface {
	SendFile(ctx context.Context, chat, path string, progress func(done, total int64)) (session.MessageData, error)
	SaveFile(ctx context.Context, chat string, f session.FileData, dir string, progress func(done, total int64)) (string, error)
}

// fileTransfer is one file moving, or one that broke.
type fileTransfer struct {
	chat, name string
	up         bool // sending; else saving
	done       atomic.Int64
	total      atomic.Int64
	broken     string // why it broke; "" while it runs
}

func (t *fileTransfer) report(done, total int64) {
	t.done.Store(done)
	t.total.Store(total)
}

// words say how far the transfer got: "1.0 KB of 4.0 KB · 25%".
func (t *fileTransfer) words() string {
	done, total := t.done.Load(), t.total.Load()
	if total <= 0 {
		return humanBytes(done)
	}
	return fmt.Sprintf("%s of %s · %d%%", humanBytes(done), humanBytes(total), min(done*100/total, 100))
}

// fileLines are the chat's transfers under its header: each running one
// with how far it got, a broken one marked.
func fileLines(f *frame, c *session.Chat, w int) []string {
	var out []string
	for _, t := range f.m.files.transfers {
		if t.chat != c.ID {
			continue
		}
		verb, arrow := "saving", "↓"
		if t.up {
			verb, arrow = "sending", "↑"
		}
		if t.broken != "" {
			text := fmt.Sprintf("✗ %s %s broke at %s: %s", verb, t.name, t.words(), t.broken)
			out = append(out, f.st.Error.Render(ansi.Truncate(text, w, "…")))
			continue
		}
		out = append(out, f.st.Hint.Render(ansi.Truncate(fmt.Sprintf("%s %s %s · %s", arrow, verb, t.name, t.words()), w, "…")))
	}
	return out
}

// start adds a transfer of chat, forgetting the chat's broken ones.
func (fs *chatFiles) start(chat, name string, up bool) *fileTransfer {
	fs.transfers = slices.DeleteFunc(fs.transfers, func(t *fileTransfer) bool { return t.chat == chat && t.broken != "" })
	t := &fileTransfer{chat: chat, name: name, up: up}
	fs.transfers = append(fs.transfers, t)
	return t
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
	// transfers are those running and those that broke, in order.
	transfers []*fileTransfer
}

type fileDoneMsg struct {
	what string
	err  error
	t    *fileTransfer
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
			t := fs.start(chat, oneLine(file.Name), false)
			t.report(0, file.Size)
			m.setStatus("saving " + oneLine(file.Name) + "…")
			return func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
				defer cancel()
				p, err := src.SaveFile(ctx, chat, file, v, t.report)
				return fileDoneMsg{what: "saved " + oneLine(file.Name) + " as " + p, err: err, t: t}
			}
		}
		t := fs.start(chat, oneLine(filepath.Base(v)), true)
		m.setStatus("sending " + filepath.Base(v) + "…")
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
			defer cancel()
			line, err := src.SendFile(ctx, chat, v, t.report)
			what := "sent " + filepath.Base(v)
			if line.File != nil {
				what = "sent " + fileWords(line.File)
			}
			return fileDoneMsg{what: what, err: err, t: t}
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
		if msg.t != nil {
			msg.t.broken = oneLine(msg.err.Error()) // marked until the chat's next transfer
		}
		m.setError(msg.err.Error())
		return
	}
	m.files.transfers = slices.DeleteFunc(m.files.transfers, func(t *fileTransfer) bool { return t == msg.t })
	m.setStatus(msg.what)
}
