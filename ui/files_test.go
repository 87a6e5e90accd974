package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

type fakeFiles struct {
	sent  []string
	saved []string
	err   error
	// during, when set, runs halfway through a transfer (the test's
	// goroutine: run calls commands in line), after progress said so.
	during func()
}

func (f *fakeFiles) SendFile(_ context.Context, chat, path string, progress func(done, total int64)) (session.MessageData, error) {
	f.sent = append(f.sent, chat+":"+path)
	progress(1024, 4096)
	if f.during != nil {
		f.during()
	}
	return session.MessageData{File: &session.FileData{Name: "invoice.pdf", Type: "application/pdf", Size: 2048, Status: "sent"}}, f.err
}

func (f *fakeFiles) SaveFile(_ context.Context, chat string, fd session.FileData, dir string, progress func(done, total int64)) (string, error) {
	f.saved = append(f.saved, chat+":"+fd.ID+":"+dir)
	progress(fd.Size/2, fd.Size)
	if f.during != nil {
		f.during()
	}
	return dir + "/" + fd.Name, f.err
}

// R-I6: a file's line shows name, type and size; a refused or broken one
// is marked with why; F saves the newest file into the folder typed; f
// sends the file at the path typed.
func TestChatFiles_R_I6(t *testing.T) {
	ff := &fakeFiles{}
	m, _, _ := newModel(t)
	m.files = newChatFiles(ff, "~/Downloads")
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	feed(t, m,
		frame_(t, session.TypeMessage, "bob", session.MessageData{ID: 20, From: session.FromCustomer, Name: "Bob Marsh", At: now,
			Text: "Bob Marsh sent a file: parcel.png", File: &session.FileData{ID: "9f86", Name: "parcel.png", Type: "image/png", Size: 67, SHA256: "9f86", Status: "sent"}}),
		frame_(t, session.TypeMessage, "bob", session.MessageData{ID: 21, From: session.FromSystem, At: now,
			Text: "x", File: &session.FileData{Name: "setup.exe", Status: "refused", Reason: "application/x-msdownload files are not allowed"}}),
		frame_(t, session.TypeMessage, "bob", session.MessageData{ID: 22, From: session.FromSystem, At: now,
			Text: "y", File: &session.FileData{Name: "big.zip", Status: "broken", Reason: "the upload was cut off after 100 bytes"}}),
	)
	s := plain(t, m)
	for _, want := range []string{"Bob Marsh: 📎 parcel.png · image/png · 67 B",
		"✗ file setup.exe refused: application/x-msdownload",
		"✗ file big.zip broken: the upload was cut off after"} {
		if !strings.Contains(s, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, s)
		}
	}
	press(t, m, "F")
	if !strings.Contains(plain(t, m), "Save parcel.png into: ~/Downloads") {
		t.Fatalf("F does not ask for the folder:\n%s", plain(t, m))
	}
	press(t, m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "t:tmp/x", "enter")
	if len(ff.saved) != 1 || ff.saved[0] != "bob:9f86:~/tmp/x" {
		t.Errorf("saved %v", ff.saved)
	}
	if !strings.Contains(m.status, "saved parcel.png as ~/tmp/x/parcel.png") {
		t.Errorf("status %q", m.status)
	}
	press(t, m, "f", "t:/tmp/invoice.pdf", "enter")
	if len(ff.sent) != 1 || ff.sent[0] != "bob:/tmp/invoice.pdf" {
		t.Errorf("sent %v", ff.sent)
	}
	if !strings.Contains(m.status, "sent 📎 invoice.pdf · application/pdf · 2.0 KB") {
		t.Errorf("status %q", m.status)
	}
	ff.err = errors.New("the file was not sent: 415 Unsupported Media Type: application/x-msdownload files are not allowed")
	press(t, m, "f", "t:/tmp/setup.exe", "enter")
	if !m.statusErr || !strings.Contains(m.status, "415 Unsupported Media Type") {
		t.Errorf("a refused send is not said: %q", m.status)
	}
	// esc cancels a prompt; a chat without files says so
	press(t, m, "f", "esc")
	if m.files.mode != fileNone {
		t.Error("esc did not close the prompt")
	}
	selectChat(t, m, "Cy Young")
	press(t, m, "F")
	if !strings.Contains(m.status, "no file in this chat to save") {
		t.Errorf("status %q", m.status)
	}
}

// R-I6, issue 14 point 4: while a file moves the chat shows how far it
// got (bytes of size, percent) and the line goes when it arrived; a
// transfer that breaks stays marked with how far it got and why, until
// the chat's next transfer.
func TestFileTransferProgress_R_I6(t *testing.T) {
	ff := &fakeFiles{}
	m, _, _ := newModel(t)
	m.files = newChatFiles(ff, "~/Downloads")
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	var during string
	ff.during = func() { during = plain(t, m) }
	press(t, m, "f", "t:/tmp/big.bin", "enter")
	if !strings.Contains(during, "↑ sending big.bin · 1.0 KB of 4.0 KB · 25%") {
		t.Fatalf("no progress while sending:\n%s", during)
	}
	if s := plain(t, m); strings.Contains(s, "sending big.bin") {
		t.Fatalf("the progress line stays after the file arrived:\n%s", s)
	}
	ff.err = errors.New("the file was not sent: connection reset by peer")
	press(t, m, "f", "t:/tmp/big.bin", "enter")
	if s := plain(t, m); !strings.Contains(s, "✗ sending big.bin broke at 1.0 KB of 4.0 KB · 25%: the file") || !strings.Contains(s, "connection reset by peer") {
		t.Fatalf("a broken send is not marked:\n%s", s)
	}
	feed(t, m, frame_(t, session.TypeMessage, "bob", session.MessageData{ID: 30, From: session.FromCustomer, Name: "Bob Marsh", At: now,
		Text: "Bob Marsh sent a file: scan.pdf", File: &session.FileData{ID: "ab12", Name: "scan.pdf", Type: "application/pdf", Size: 8192, SHA256: "ab12", Status: "sent"}}))
	ff.err = nil
	press(t, m, "F", "enter")
	if !strings.Contains(during, "↓ saving scan.pdf · 4.0 KB of 8.0 KB · 50%") {
		t.Fatalf("no progress while saving:\n%s", during)
	}
	if s := plain(t, m); strings.Contains(s, "broke at") || strings.Contains(s, "saving scan.pdf") {
		t.Fatalf("the next transfer did not clear the mark, or its line stays:\n%s", s)
	}
}
