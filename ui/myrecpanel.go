package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/uploader"
)

// Timing and sizes of the panel.
const (
	recPageTimeout = 30 * time.Second
	recMoreAhead   = 5 // load the next page when the cursor is this near the end
)

// recMode is what the panel's keys do.
type recMode int

const (
	recList   recMode = iota // move through the list
	recChoose                // enter was pressed: download or the player?
	recFolder                // the folder prompt before a download
	recSaving                // a download runs
)

// myRecPanel is the My Recordings panel: its own state, keys and view;
// the Model shows it in the body and routes its messages here.
type myRecPanel struct {
	src  MyRecordings
	open func(url string) error // nil: no browser, show the address
	dir  string                 // the folder offered (the last one used)

	shown   bool
	rows    []StoredRecording
	next    string // cursor of the next page
	loaded  bool   // the first page came at least once
	loading bool
	gen     int    // the load in flight; older answers are dropped
	loadErr string // why the last load failed, in words
	errMore bool   // it was a load of older recordings, not of the newest

	cursor, top int // the selected row; the first row shown
	w, h        int // SetSize

	mode    recMode
	folder  textinput.Model
	saving  *saving
	note    []string // the last outcome, in words (a line each)
	noteBad bool
	stored  int // uploads the queue reported done, last time
}

// Messages of the panel.
type (
	recPageMsg struct {
		gen    int
		cursor string
		page   RecordingPage
		err    error
	}
	recProgressMsg struct{ done, total int64 }
	recSavedMsg    struct {
		saved SavedFile
		err   error
	}
	recOpenedMsg struct {
		url string
		err error
	}
)

func newMyRecPanel(src MyRecordings, dir string, open func(string) error) *myRecPanel {
	p := &myRecPanel{src: src, dir: dir, open: open}
	p.folder = newInput("Save into: ", "a folder, e.g. ~/Recordings", 1000)
	return p
}

// show opens the panel and (re)loads the newest page: a recording made
// a minute ago must be there.
func (p *myRecPanel) show() tea.Cmd {
	p.shown = true
	if p.src == nil {
		p.loadErr = "this desktop has no hub to ask for recordings"
		return nil
	}
	if p.mode == recSaving {
		return nil
	}
	return p.load("")
}

// load asks for the page after cursor ("" : the first, replacing the list).
func (p *myRecPanel) load(cursor string) tea.Cmd {
	p.gen++
	p.loading = true
	gen, src := p.gen, p.src
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), recPageTimeout)
		defer cancel()
		page, err := src.Page(ctx, cursor)
		return recPageMsg{gen: gen, cursor: cursor, page: page, err: err}
	}
}

// update handles the panel's messages.
func (p *myRecPanel) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case recPageMsg:
		if msg.gen != p.gen {
			return nil
		}
		p.loading = false
		if msg.err != nil {
			p.loadErr, p.errMore = msg.err.Error(), msg.cursor != ""
			switch {
			case p.errMore:
				p.say(true, "Could not load older recordings: "+oneLine(p.loadErr), "r reloads the list.")
			case p.loaded:
				p.say(true, "Could not reload the list: "+oneLine(p.loadErr), "The list shown is from before; r tries again.")
			}
			return nil
		}
		if p.loadErr != "" {
			p.loadErr, p.note = "", nil // the words of the failure no longer hold
		}
		if msg.cursor == "" {
			keep := ""
			if p.cursor < len(p.rows) {
				keep = p.rows[p.cursor].ID
			}
			p.rows, p.cursor, p.top = nil, 0, 0
			defer p.reselect(keep)
		}
		p.rows = append(p.rows, msg.page.Recordings...)
		p.next, p.loaded = msg.page.Next, true
		return nil
	case recProgressMsg:
		if p.saving == nil {
			return nil
		}
		p.saving.done, p.saving.total = msg.done, msg.total
		return waitSaving(p.saving.ch)
	case recSavedMsg:
		s := p.saving
		p.saving, p.mode = nil, recList
		if s == nil {
			return nil
		}
		switch {
		case msg.err != nil && s.cancelled:
			p.say(false, "Download cancelled: nothing was saved.")
		case msg.err != nil:
			p.say(true, "Could not save "+s.file.Name+": "+oneLine(msg.err.Error()), "enter tries again")
		default:
			p.dir = s.dir
			p.say(false, "✓ Saved "+homeShort(msg.saved.Path)+" ("+humanBytes(msg.saved.Size)+")",
				"Checked: "+msg.saved.Checked+".", "SHA-256 of the saved file: "+msg.saved.SHA256)
		}
		return nil
	case recOpenedMsg:
		if msg.err != nil {
			p.say(true, "Could not open the player: "+oneLine(msg.err.Error())+".",
				"Copy the address (in most terminals shift+drag selects it):", msg.url)
			return nil
		}
		p.say(false, "Opened the player in the browser:", msg.url)
	}
	return nil
}

// uploadsDone reloads the list when the upload queue reports a file
// stored since last time while the panel is shown: a row "not stored
// yet" becomes downloadable without r.
func (p *myRecPanel) uploadsDone(rows []uploader.ItemStatus) tea.Cmd {
	n := 0
	for _, r := range rows {
		if r.State == uploader.StateDone {
			n++
		}
	}
	more := n > p.stored
	p.stored = n
	if !more || !p.shown || p.src == nil || p.loading || p.mode != recList {
		return nil
	}
	return p.load("")
}

// reselect puts the cursor back on the recording with id, when listed.
func (p *myRecPanel) reselect(id string) {
	for i, r := range p.rows {
		if r.ID == id {
			p.cursor = i
		}
	}
}

func (p *myRecPanel) say(bad bool, lines ...string) {
	p.note, p.noteBad = lines, bad
}

// selected is the recording under the cursor, or nil.
func (p *myRecPanel) selected() *StoredRecording {
	if p.cursor < 0 || p.cursor >= len(p.rows) {
		return nil
	}
	return &p.rows[p.cursor]
}

// key handles a key while the panel is shown; closed reports that the
// panel closed.
func (p *myRecPanel) key(k tea.KeyPressMsg, km keyMap) (cmd tea.Cmd, closed bool) {
	switch p.mode {
	case recChoose:
		return p.chooseKey(k, km), false
	case recFolder:
		return p.folderKey(k, km), false
	case recSaving:
		switch {
		case key.Matches(k, km.Esc) && !p.saving.cancelled:
			p.saving.cancelled = true
			p.saving.cancel()
		case key.Matches(k, km.MyRec, km.MyRecC):
			p.shown = false // the download goes on; its end is said on the status line
			return nil, true
		}
		return nil, false
	}
	switch {
	case key.Matches(k, km.Esc, km.MyRec, km.MyRecC, km.Quit):
		p.shown = false
		return nil, true
	case key.Matches(k, km.Up):
		p.move(-1)
	case key.Matches(k, km.Down):
		p.move(1)
	case key.Matches(k, km.ScrollUp):
		p.move(-10)
	case key.Matches(k, km.ScrollDown):
		p.move(10)
	case key.Matches(k, km.Reload):
		if p.src != nil {
			p.note = nil
			return p.load(""), false
		}
	case key.Matches(k, km.Open):
		if r := p.selected(); r != nil && r.NotKept != "" {
			p.say(true, "This recording was not kept ("+oneLine(r.NotKept)+"): there is no file to download or play.")
		} else if r != nil {
			p.mode, p.note = recChoose, nil
		}
	}
	if p.next != "" && !p.loading && p.loadErr == "" && p.cursor >= len(p.rows)-recMoreAhead {
		return p.load(p.next), false
	}
	return nil, false
}

// move moves the cursor by delta, within the list, and the first row
// shown with it as little as keeps it in sight.
func (p *myRecPanel) move(delta int) {
	if len(p.rows) == 0 {
		return
	}
	p.cursor = min(max(p.cursor+delta, 0), len(p.rows)-1)
	p.top = visibleTop(p.top, p.cursor, p.rowsShown(), len(p.rows))
}

// SetSize is the panel's size: the body area.
func (p *myRecPanel) SetSize(w, h int) { p.w, p.h = w, h }

// rowsShown is about how many recordings the list shows at the panel's
// size: the box's borders, the title and a blank line, the column heads,
// the rule, the least footer and a line for "loading older…" go first.
// (A longer footer shows fewer; the view keeps the cursor in sight.)
func (p *myRecPanel) rowsShown() int { return max(p.h-2-2-1-1-recFooterLines-1, 1) }

func (p *myRecPanel) chooseKey(k tea.KeyPressMsg, km keyMap) tea.Cmd {
	r := p.selected()
	switch {
	case r == nil || key.Matches(k, km.Esc):
		p.mode = recList
	case key.Matches(k, km.Save):
		if len(r.Files) == 0 {
			p.say(true, "Nothing to download yet: the file is not stored on the hub. It uploads from the desktop that recorded it (U shows this desktop's uploads).")
			p.mode = recList
			return nil
		}
		p.mode = recFolder
		p.folder.SetValue(p.dir)
		p.folder.CursorEnd()
		return p.folder.Focus()
	case key.Matches(k, km.Player):
		p.mode = recList
		return p.openPlayer(r.ID)
	}
	return nil
}

func (p *myRecPanel) folderKey(k tea.KeyPressMsg, km keyMap) tea.Cmd {
	switch {
	case key.Matches(k, km.Esc):
		p.folder.Blur()
		p.mode = recChoose
		return nil
	case key.Matches(k, km.Send):
		dir := strings.TrimSpace(p.folder.Value())
		if dir == "" {
			p.say(true, "Write the folder to save into, e.g. ~/Recordings.")
			return nil
		}
		p.folder.Blur()
		p.note = nil
		r := p.selected()
		if r == nil || len(r.Files) == 0 { // the list changed under the prompt
			p.mode = recList
			p.say(true, "That recording is no longer listed with a file: choose it again.")
			return nil
		}
		return p.download(r.Files[0], dir)
	}
	var cmd tea.Cmd
	p.folder, cmd = p.folder.Update(k)
	return cmd
}

// reminder is the key reminder while the panel is shown: its own keys
// where it is, and quit.
func (p *myRecPanel) reminder(k keyMap) [][2]string {
	quit := [2]string{caret(k.QuitC), "quit"}
	switch p.mode {
	case recChoose:
		return [][2]string{{k.Save.Help().Key, "download"}, {k.Player.Help().Key, "open the player"}, {"esc", "back"}, quit}
	case recFolder:
		return [][2]string{{"enter", "save into the folder"}, {"esc", "back"}, quit}
	case recSaving:
		return [][2]string{{"esc", "cancel the download"}, {"M", "hide (it goes on)"}, quit}
	}
	return [][2]string{{"↑/↓", "move"}, {"enter", "download or play"}, {"esc", "close"},
		{k.Reload.Help().Key, "reload"}, {"pgup/pgdown", "page"}, quit}
}
