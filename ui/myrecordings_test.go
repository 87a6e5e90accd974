package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/agentdesk/agentdesk/uploader"
)

// fakeStore is the hub's store as the panel sees it: pages by cursor, a
// download that reports progress and what it was asked.
type fakeStore struct {
	mu      sync.Mutex
	pages   map[string]RecordingPage
	err     error // Page fails with it when set
	asked   []string
	dlAsked []string // "file-id → dir"
	saved   SavedFile
	dlErr   error
	gate    chan struct{} // when set, Download waits for it (or ctx)
}

func (f *fakeStore) Page(_ context.Context, cursor string) (RecordingPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, cursor)
	if f.err != nil {
		return RecordingPage{}, f.err
	}
	p, ok := f.pages[cursor]
	if !ok {
		return RecordingPage{}, fmt.Errorf("cursor %q is not one this hub handed out", cursor)
	}
	return p, nil
}

func (f *fakeStore) Download(ctx context.Context, file StoredFile, dir string, progress func(done, total int64)) (SavedFile, error) {
	f.mu.Lock()
	f.dlAsked = append(f.dlAsked, file.ID+" → "+dir)
	gate, saved, err := f.gate, f.saved, f.dlErr
	f.mu.Unlock()
	progress(0, 1000)
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return SavedFile{}, ctx.Err()
		}
	}
	progress(1000, 1000)
	return saved, err
}

func (f *fakeStore) PlayerURL(id string) string {
	return "http://hub.example:8080/app/recordings/" + id
}

func (f *fakeStore) cursors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// myRecs is four recordings, newest first: stored, stored and e-mailed
// (issue 13's status), not stored yet, not kept (R-H6).
func myRecs() []StoredRecording {
	return []StoredRecording{
		{ID: "chat-9-record-1", Interaction: "chat-9", Customer: "Rita Moreno", Queue: "general",
			Finished: now.Add(-20 * time.Minute), Duration: 83 * time.Second,
			Mail:  &MailState{State: MailSending, Tries: 2, Why: "the mail server cannot be reached"},
			Files: []StoredFile{{ID: "f-9", Name: "2026-11-20_093512_general_ada_record_chat-9.webm.age", Size: 1 << 20}}},
		{ID: "chat-7-record-1", Interaction: "chat-7", Customer: "Olga Petrova", Queue: "billing",
			Finished: now.Add(-26 * time.Hour), Duration: 65*time.Minute + 3*time.Second,
			Mail:  &MailState{State: MailSent, Sent: now.Add(-26*time.Hour + 3*time.Minute), Tries: 1},
			Files: []StoredFile{{ID: "f-7", Name: "2026-11-19_075800_billing_ada_record_chat-7.webm.age", Size: 48 << 20}}},
		{ID: "chat-5-record-2", Interaction: "chat-5", Customer: "Ivan", Queue: "general",
			Finished: now.Add(-50 * time.Hour), Duration: 12 * time.Second},
		{ID: "chat-4-record-1", Interaction: "chat-4", Customer: "Mia", Queue: "billing",
			Finished: now.Add(-51 * time.Hour), Duration: 30 * time.Second, NotKept: "the customer declined consent"},
	}
}

// recModel is a desktop with the panel on a fake store, 100x30 at the
// pinned time, signed in.
func recModel(t *testing.T, fs *fakeStore, open func(string) error) *Model {
	t.Helper()
	m := New(Options{Now: func() time.Time { return now }, MyRecordings: fs, RecordingsDir: "/home/ada/Recordings", OpenURL: open})
	m.loc = time.UTC
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	welcomeDesk(t, m)
	return m
}

// drive sends keys and runs what they start, feeding the panel's messages
// back until nothing is left (a download runs to its end).
func drive(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		for _, msg := range keyMsgs(t, k) {
			_, cmd := m.Update(msg)
			runRec(t, m, cmd)
		}
	}
}

// runRec runs cmd and feeds the panel's messages back into the model.
func runRec(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	if v := reflect.ValueOf(msg); msg != nil && v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := 0; i < v.Len(); i++ {
			runRec(t, m, v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	switch msg.(type) {
	case recPageMsg, recProgressMsg, recSavedMsg, recOpenedMsg:
		_, next := m.Update(msg)
		runRec(t, m, next)
	}
}

func wantScreen(t *testing.T, m *Model, want ...string) {
	t.Helper()
	s := plain(t, m)
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

// Issue 12 point 6 (R-C7): M opens My Recordings: the agent's own ad hoc
// recordings, newest first, with when, customer, length, size and whether
// the file is stored, or how far its e-mail to the agent got once it is
// (issue 13: sent and when, sending and the retries); esc closes it.
func TestScreenMyRecordings(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M")
	golden(t, m, "myrec_list")
	wantScreen(t, m, "My Recordings (4)", "enter download or play", "esc, M or f3 closes",
		"2026-11-20 09:40  Rita Moreno", "01:23", "1.0 MB", "sending (retry 2)",
		"2026-11-19 08:00  Olga Petrova", "1:05:03", "48.0 MB", "sent Nov 19 08:03",
		"2026-11-18 08:00  Ivan", "00:12", "not stored yet", "2026-11-18 07:00  Mia", "not kept: the customer decl")
	if got := fs.cursors(); !reflect.DeepEqual(got, []string{""}) {
		t.Errorf("pages asked %q, want the first", got)
	}
	drive(t, m, "esc")
	if strings.Contains(plain(t, m), "My Recordings") {
		t.Fatal("esc did not close the panel")
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyF3})
	if !strings.Contains(plain(t, m), "My Recordings") {
		t.Fatal("f3 did not open the panel")
	}
	drive(t, m, "M")
	if strings.Contains(plain(t, m), "My Recordings") {
		t.Fatal("M did not close the panel")
	}
}

// Loading shows that it loads; a failure says why in words and r tries
// again; an empty list says so and why.
func TestMyRecordingsLoadingErrorEmpty(t *testing.T) {
	fs := &fakeStore{err: errors.New("the hub refused the token for the list of recordings (401: bad token)")}
	m := recModel(t, fs, nil)
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'M', Text: "M"})
	wantScreen(t, m, "Loading your recordings from the hub…")
	runRec(t, m, cmd)
	wantScreen(t, m, "Could not load your recordings: the hub refused the token", "r tries again")
	golden(t, m, "myrec_error")

	fs.mu.Lock()
	fs.err, fs.pages = nil, map[string]RecordingPage{"": {}}
	fs.mu.Unlock()
	drive(t, m, "r")
	wantScreen(t, m, "No recordings yet.", "Recordings you make with Record (r) appear here")
	if strings.Contains(plain(t, m), "Could not load") {
		t.Error("the error stayed after a good reload")
	}
	if got := fs.cursors(); len(got) != 2 {
		t.Errorf("pages asked %q, want two tries", got)
	}
}

// The list pages with the hub's cursor as the agent scrolls: the next
// page is asked for near the end, and appended.
func TestMyRecordingsPagesAsTheAgentScrolls(t *testing.T) {
	var first, second []StoredRecording
	for i := range 50 {
		first = append(first, StoredRecording{ID: fmt.Sprintf("r-%d", 100-i), Customer: fmt.Sprintf("Customer %d", 100-i),
			Finished: now.Add(-time.Duration(i) * time.Hour), Duration: time.Minute})
	}
	for i := range 7 {
		second = append(second, StoredRecording{ID: fmt.Sprintf("r-%d", 50-i), Customer: fmt.Sprintf("Customer %d", 50-i),
			Finished: now.Add(-time.Duration(50+i) * time.Hour), Duration: time.Minute})
	}
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: first, Next: "51"}, "51": {Recordings: second}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M")
	wantScreen(t, m, "My Recordings (50+)", "Customer 100", "older recordings load as you scroll down")
	for range 30 {
		drive(t, m, "down")
	}
	if got := fs.cursors(); len(got) != 1 {
		t.Fatalf("asked %q before the end came near", got)
	}
	drive(t, m, "pgdown", "pgdown")
	if got := fs.cursors(); !reflect.DeepEqual(got, []string{"", "51"}) {
		t.Fatalf("pages asked %q, want the first and then 51", got)
	}
	for range 10 {
		drive(t, m, "down")
	}
	wantScreen(t, m, "My Recordings (57)", "▸ ", "Customer 44")
	if got := fs.cursors(); len(got) != 2 {
		t.Errorf("asked %q: the last page has no next", got)
	}
}

// Enter on a recording: download it into a folder the agent may edit
// (the panel's default first), with progress; the saved file and what
// was checked are said in words.
func TestMyRecordingsDownload(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}, gate: make(chan struct{}),
		saved: SavedFile{Path: "/tmp/rec/2026-11-20_093512_general_ada_record_chat-9.webm", Size: 1000,
			SHA256:  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Checked: "all 1000 bytes the hub announced arrived; the hub opened the sealed file with age, which authenticates every 64 KiB chunk"}}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "enter")
	wantScreen(t, m, "Rita Moreno · 2026-11-20 09:40 · 01:23 · chat-9", "d download the file to a folder", "o open the player in the browser")
	golden(t, m, "myrec_choose")
	drive(t, m, "d")
	wantScreen(t, m, "Save into: /home/ada/Recordings", "a name already there gets (1), (2)")
	// the agent edits the folder: back over "Recordings", type "rec"
	for range len("/home/ada/Recordings") {
		m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	drive(t, m, "t:/tmp/rec")
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	msg := cmd() // the first progress
	m.Update(msg)
	wantScreen(t, m, "Downloading 2026-11-20_093512_general_ada_record_chat-9.webm into /tmp/rec", "0%", "esc cancels the download")
	close(fs.gate)
	runRec(t, m, waitSaving(m.myrec.saving.ch))
	if got := fs.dlAsked; !reflect.DeepEqual(got, []string{"f-9 → /tmp/rec"}) {
		t.Fatalf("downloads asked %q", got)
	}
	wantScreen(t, m, "✓ Saved /tmp/rec/2026-11-20_093512_general_ada_record_chat-9.webm", "Checked: all 1000 bytes the hub announced arrived",
		"SHA-256 of the saved file: 9f86d081")
	golden(t, m, "myrec_saved")
	// at 80x24 the outcome takes the room it needs, the list gives way
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	wantScreen(t, m, "✓ Saved", "SHA-256 of the saved file:", "▸ 2026-11-20 09:40")
	golden(t, m, "myrec_saved_80x24")
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	// the next download offers the folder used last
	drive(t, m, "enter", "d")
	wantScreen(t, m, "Save into: /tmp/rec")
}

// esc during a download cancels it: nothing is saved, and the panel says so.
func TestMyRecordingsCancelDownload(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}, gate: make(chan struct{})}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "enter", "d")
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m.Update(cmd())
	drive(t, m, "esc")
	wantScreen(t, m, "Cancelling the download")
	runRec(t, m, waitSaving(m.myrec.saving.ch))
	wantScreen(t, m, "Download cancelled: nothing was saved.")
	if !m.myrec.shown {
		t.Error("esc during the download closed the panel")
	}
}

// A recording whose file is not stored cannot be downloaded, in words.
func TestMyRecordingsNotStored(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "down", "down", "enter")
	wantScreen(t, m, "Ivan", "d download: not stored yet")
	drive(t, m, "d")
	wantScreen(t, m, "Nothing to download yet: the file is not stored on the hub")
	if len(fs.dlAsked) != 0 {
		t.Errorf("downloads asked %q", fs.dlAsked)
	}
}

// A recording that was not kept (R-H6) has no file: enter says so.
func TestMyRecordingsNotKept_R_H6(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "down", "down", "down", "enter")
	wantScreen(t, m, "This recording was not kept (the customer declined consent): there is no file")
	if m.myrec.mode != recList {
		t.Error("enter on a recording not kept offered a choice")
	}
}

// o opens the player in the browser; without a browser the address is
// shown to copy.
func TestMyRecordingsPlayer(t *testing.T) {
	var opened []string
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, func(u string) error { opened = append(opened, u); return nil })
	drive(t, m, "M", "down", "enter", "o")
	if !reflect.DeepEqual(opened, []string{"http://hub.example:8080/app/recordings/chat-7-record-1"}) {
		t.Fatalf("opened %q", opened)
	}
	wantScreen(t, m, "Opened the player in the browser:", "http://hub.example:8080/app/recordings/chat-7-record-1")

	m = recModel(t, fs, func(string) error { return ErrNoBrowser })
	drive(t, m, "M", "enter", "o")
	wantScreen(t, m, "Could not open the player: no browser to open here: $BROWSER is not set", "Copy the address (in most terminals shift+drag selects it):",
		"http://hub.example:8080/app/recordings/chat-9-record-1")
	m = recModel(t, fs, nil)
	drive(t, m, "M", "enter", "o")
	wantScreen(t, m, "Copy the address", "http://hub.example:8080/app/recordings/chat-9-record-1")
}

// The panel's keys stay in the panel: r reloads, it does not Record; d
// does not Mark Done.
func TestMyRecordingsKeysStayInThePanel(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	h := newFakeHub()
	m := New(Options{Hub: h, Now: func() time.Time { return now }, MyRecordings: fs})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	drive(t, m, "M", "r", "d", "a", "?")
	if got := h.types(); len(got) != 0 {
		t.Errorf("keys under the panel sent %v", got)
	}
	if got := fs.cursors(); len(got) != 2 {
		t.Errorf("pages asked %q: r should reload", got)
	}
	if strings.Contains(plain(t, m), "Keys") {
		t.Error("? opened the help under the panel")
	}
}

// The panel's own keys are on the key reminder where they act (they are
// not in ?, whose keys act on chats).
func TestMyRecordingsReminder(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, nil)
	lastLine := func() string {
		lines := strings.Split(plain(t, m), "\n")
		return lines[len(lines)-1]
	}
	drive(t, m, "M")
	for _, want := range []string{"↑/↓ move", "enter download or play", "r reload", "esc close", "^C quit"} {
		if !strings.Contains(lastLine(), want) {
			t.Errorf("reminder %q lacks %q", lastLine(), want)
		}
	}
	drive(t, m, "enter")
	for _, want := range []string{"d download", "o open the player", "esc back"} {
		if !strings.Contains(lastLine(), want) {
			t.Errorf("reminder %q lacks %q", lastLine(), want)
		}
	}
}

// The panel in a real tea.Program: M opens it and loads through a
// command; enter, d, enter download, the progress and the end coming back
// through the program until it is saved.
func TestProgramMyRecordings(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}},
		saved: SavedFile{Path: "/tmp/rec/x.webm", Size: 1000, SHA256: strings.Repeat("ab", 32), Checked: "all 1000 bytes the hub announced arrived"}}
	m := New(Options{Now: func() time.Time { return now }, MyRecordings: fs, RecordingsDir: "/tmp/rec"})
	m.loc = time.UTC
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	var screen bytes.Buffer
	wait := func(want string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			screen.Write(b)
			return strings.Contains(ansi.Strip(screen.String()), want)
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	tm.Type("M")
	wait("Olga Petrova")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("d download the file to a folder")
	tm.Type("d")
	wait("Save into:")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("✓ Saved /tmp/rec/x.webm")
	fs.mu.Lock()
	got := append([]string(nil), fs.dlAsked...)
	fs.mu.Unlock()
	if !reflect.DeepEqual(got, []string{"f-9 → /tmp/rec"}) {
		t.Errorf("downloads asked %q", got)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// M during a download hides the panel and the download goes on (an
// offer may need the agent); its end is said on the status line.
func TestMyRecordingsDownloadGoesOnHidden(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}, gate: make(chan struct{}),
		saved: SavedFile{Path: "/tmp/rec/r.webm", Size: 1000, SHA256: strings.Repeat("0", 64), Checked: "all 1000 bytes"}}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "enter", "d")
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m.Update(cmd())
	wantScreen(t, m, "M or f3 hides the panel, the download goes on")
	drive(t, m, "M")
	if m.myrec.shown || strings.Contains(plain(t, m), "Downloading") {
		t.Fatal("M did not hide the panel during the download")
	}
	close(fs.gate)
	runRec(t, m, waitSaving(m.myrec.saving.ch))
	wantScreen(t, m, "✓ Saved /tmp/rec/r.webm (1000 B) (M shows what was checked)")
	drive(t, m, "M")
	wantScreen(t, m, "Checked: all 1000 bytes")
}

// A file the upload queue reports stored while the panel is shown
// reloads the list, once. (Options.Uploads is unset: the batch holds no
// queue pump to wait on.)
func TestMyRecordingsReloadsWhenAnUploadIsStored(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M")
	one := uploadsMsg{{ID: "1", State: uploader.StateUploading}}
	_, cmd := m.Update(one)
	runRec(t, m, cmd)
	done := uploadsMsg{{ID: "1", State: uploader.StateDone, Stored: "f-1"}}
	for range 2 {
		_, cmd = m.Update(done)
		runRec(t, m, cmd)
	}
	if got := fs.cursors(); !reflect.DeepEqual(got, []string{"", ""}) {
		t.Errorf("pages asked %q, want the first page and one reload", got)
	}
}

// A reload that fails keeps the list shown and says why under it; a page
// of older recordings that fails says so, and the next success clears it.
func TestMyRecordingsReloadFails(t *testing.T) {
	var first []StoredRecording
	for i := range 10 {
		first = append(first, StoredRecording{ID: fmt.Sprintf("r-%d", i), Customer: fmt.Sprintf("Customer %d", i), Finished: now})
	}
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: first, Next: "n2"}}}
	m := recModel(t, fs, nil)
	drive(t, m, "M")
	fs.mu.Lock()
	fs.err = errors.New("cannot reach the hub at http://127.0.0.1:9: connection refused")
	fs.mu.Unlock()
	drive(t, m, "r")
	wantScreen(t, m, "Could not reload the list: cannot reach the hub", "The list shown is from before; r tries again.", "Customer 0")
	fs.mu.Lock()
	fs.err = nil
	fs.mu.Unlock()
	drive(t, m, "r")
	wantScreen(t, m, "Customer 0")
	if strings.Contains(plain(t, m), "Could not") {
		t.Error("the failure is still said after a good reload")
	}
	fs.mu.Lock()
	fs.err = errors.New("cannot reach the hub at http://127.0.0.1:9: connection refused")
	fs.mu.Unlock()
	for range 6 {
		drive(t, m, "down") // near the end: older ones are asked for, and fail
	}
	wantScreen(t, m, "Could not load older recordings: cannot reach the hub", "older recordings could not be loaded")
	fs.mu.Lock()
	fs.err = nil
	fs.mu.Unlock()
	drive(t, m, "r")
	if s := plain(t, m); strings.Contains(s, "Could not") || strings.Contains(s, "could not") {
		t.Errorf("the failure is still said after a good reload:\n%s", s)
	}
}

// Quitting during a download asks first and says the download stops;
// leaving stops it (its Download returns, its partial file gone) before
// the program ends.
func TestMyRecordingsQuitDuringDownload(t *testing.T) {
	fs := &fakeStore{pages: map[string]RecordingPage{"": {Recordings: myRecs()}}, gate: make(chan struct{})}
	m := recModel(t, fs, nil)
	drive(t, m, "M", "enter", "d")
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m.Update(cmd())
	_, cmd = m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if cmd != nil || m.confirm == nil {
		t.Fatal("ctrl+c during a download left without asking")
	}
	wantScreen(t, m, "Download of 2026-11-20_093512_general_ada_record_chat-9.webm into /home/ada/Recordings: stops", "now and nothing is saved")
	s := m.myrec.saving
	_, cmd = m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	if cmd == nil {
		t.Fatal("y did not leave")
	}
	done := make(chan struct{})
	go func() { runRec(t, m, cmd); close(done) }()
	select {
	case <-s.finished: // the download returned: cancelled
	case <-time.After(5 * time.Second):
		t.Fatal("leaving did not stop the download")
	}
	<-done
}

// Issue 13 point 7 (R-C7): each e-mail state in the list and, in full,
// under the chosen recording.
func TestMailWords(t *testing.T) {
	m := New(Options{Now: func() time.Time { return now }})
	m.loc = time.UTC
	f := &frame{m: m}
	sent := now.Add(-time.Hour)
	for _, c := range []struct {
		m           *MailState
		short, long string
	}{
		{nil, "", ""},
		{&MailState{State: MailSending}, "sending", "Being e-mailed to you…"},
		{&MailState{State: MailSending, Tries: 3, Why: "the mail server cannot be reached"}, "sending (retry 3)",
			"Not e-mailed yet: 3 tries, the mail server cannot be reached; the hub tries again"},
		{&MailState{State: MailSent, Sent: sent, Tries: 1}, "sent " + sent.Format("Jan 2 15:04"), "E-mailed to you " + sent.Format("2006-01-02 15:04")},
		{&MailState{State: MailSent, Sent: sent, Link: true}, "sent " + sent.Format("Jan 2 15:04"),
			"E-mailed to you " + sent.Format("2006-01-02 15:04") + " as a link to its player (too big to attach)"},
		{&MailState{State: MailNotSent, Why: "the mail server refused it: 550 no such user\n"}, "not sent: the mail server refused it: 550 no such user",
			"Not e-mailed to you: the mail server refused it: 550 no such user"},
	} {
		if s, l := mailShort(f, c.m), mailLong(f, c.m); strings.TrimSpace(s) != c.short || strings.TrimSpace(l) != c.long {
			t.Errorf("%+v: %q / %q, want %q / %q", c.m, s, l, c.short, c.long)
		}
	}
}
