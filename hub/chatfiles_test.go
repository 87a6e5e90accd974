package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// pngBytes is a 1x1 PNG: its type is found by sniffing, whatever its name.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// postFile sends a file to a chat with token and returns the status and
// the body.
func postFile(t *testing.T, httpBase, chat, token, name string, body []byte) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, httpBase+"/v1/chats/"+chat+"/files?name="+url.QueryEscape(name), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// fileLineOf waits for a transcript line that carries a file.
func fileLineOf(c *client) session.MessageData {
	c.t.Helper()
	for {
		m, _ := expectData[session.MessageData](c, session.TypeMessage)
		if m.File != nil {
			return m
		}
	}
}

// TestChatFiles_R_I6: files go both ways between customer and agent: type
// by sniffing (not the name), size and SHA-256 shown on both sides, the
// name cleaned, the bytes given back whole to the other side and to
// nobody else; too large, a type not allowed and a cut-off upload are
// lines marked refused or broken on both sides; the line is in the
// chat's recording.
func TestChatFiles_R_I6(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) {
		c.Store.Dir = t.TempDir()
		c.Files.MaxBytes = 2000
	}))
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	ada, cust, chat := partyChat(t, base)
	ada.send(session.TypeRecord, chat, session.RecordData{Button: "record"})
	recFrame(ada)
	// The customer's resume token is its credential for files: another
	// customer's is not.
	_, other := customerJoin(t, base, session.JoinData{Name: "Zed"})
	if code, _ := postFile(t, httpBase, chat, other.Resume, "x.png", pngBytes); code != http.StatusNotFound {
		t.Fatalf("another customer's token on this chat: %d", code)
	}
	resume := joinedResume(t, cust)

	code, body := postFile(t, httpBase, chat, resume, "../../etc/\u202eevil\x00gnp.png", pngBytes)
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	var ans session.FileAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatal(err)
	}
	f := ans.Line.File
	if f == nil || f.Status != session.FileSent || f.Type != "image/png" || f.Size != int64(len(pngBytes)) || len(f.SHA256) != 64 || f.Name != "evilgnp.png" {
		t.Fatalf("R-I6: the file's line: %+v", f)
	}
	for _, c := range []*client{ada, cust} {
		if m := fileLineOf(c); m.File.ID != f.ID || !strings.Contains(m.Text, f.SHA256) || !strings.Contains(m.Text, "image/png") {
			t.Fatalf("R-I6: both sides see the file with type and size: %+v", m)
		}
	}
	if code, got := getChatFile(t, httpBase, chat, "t-ada", f.ID); code != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Fatalf("the agent's download: %d, %d bytes", code, len(got))
	}
	if code, _ := getChatFile(t, httpBase, chat, "t-grace", f.ID); code != http.StatusNotFound {
		t.Fatalf("an agent not in the chat: %d", code)
	}

	// The agent sends a text file named .png: it is text, by its content.
	code, body = postFile(t, httpBase, chat, "t-ada", "notes.png", []byte("plain words\n"))
	if code != http.StatusCreated {
		t.Fatalf("agent upload: %d %s", code, body)
	}
	fileLineOf(ada)
	m := fileLineOf(cust)
	if m.File.Type != "text/plain" || m.From != session.FromAgent {
		t.Fatalf("sniffed type: %+v", m.File)
	}
	if code, got := getChatFile(t, httpBase, chat, resume, m.File.ID); code != http.StatusOK || string(got) != "plain words\n" {
		t.Fatalf("the customer's download: %d %q", code, got)
	}

	// Refused: a type not allowed, too large; broken: cut off.
	for _, tc := range []struct {
		name   string
		body   []byte
		code   int
		status string
	}{
		{"setup.exe", append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 60)...), http.StatusUnsupportedMediaType, session.FileRefused},
		{"big.png", append(append([]byte{}, pngBytes...), bytes.Repeat([]byte{0}, 3000)...), http.StatusRequestEntityTooLarge, session.FileRefused},
	} {
		if code, body := postFile(t, httpBase, chat, resume, tc.name, tc.body); code != tc.code {
			t.Fatalf("%s: %d %s", tc.name, code, body)
		}
		for _, c := range []*client{ada, cust} {
			if m := fileLineOf(c); m.File.Status != tc.status || m.File.ID != "" || m.File.Reason == "" {
				t.Fatalf("R-I6 %s: %+v", tc.name, m.File)
			}
		}
	}
	cutUpload(t, httpBase, chat, resume)
	for _, c := range []*client{ada, cust} {
		if m := fileLineOf(c); m.File.Status != session.FileBroken || !strings.Contains(m.Text, "did not arrive whole") {
			t.Fatalf("R-I6: a broken transfer is marked as such: %+v", m)
		}
	}

	finishChat(t, ada, chat)
	l := listed(t, base, chat)
	if len(l.Recordings) != 1 || !strings.Contains(texts(l.Recordings[0].Lines), f.SHA256) {
		t.Fatalf("the file's hash is not in the recording: %+v", l.Recordings)
	}
}

// joinedResume is the resume token the customer's joined frame gave.
func joinedResume(t *testing.T, c *client) string {
	t.Helper()
	for _, e := range c.seen() {
		if e.Type == session.TypeJoined {
			var j session.JoinedData
			if err := e.Decode(&j); err != nil {
				t.Fatal(err)
			}
			return j.Resume
		}
	}
	t.Fatal("no joined frame")
	return ""
}

func getChatFile(t *testing.T, httpBase, chat, token, id string) (int, []byte) {
	t.Helper()
	return apiDo(t, http.MethodGet, httpBase+"/v1/chats/"+chat+"/files/"+id, token, "")
}

// cutUpload starts an upload that says 1000 bytes and sends 100, then
// closes the connection.
func cutUpload(t *testing.T, httpBase, chat, token string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(httpBase, "http://"), wait)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /v1/chats/"+chat+"/files?name=cut.png HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer "+token+
		"\r\nContent-Length: 1000\r\n\r\n")
	_, _ = conn.Write(pngBytes)
	time.Sleep(50 * time.Millisecond)
}

// TestChatFilesSurviveRestart_X_3: a file's line and the file itself are
// there after a restart.
func TestChatFilesSurviveRestart_X_3(t *testing.T) {
	r := newRestartable(t, nil, partyConfig(nil))
	ada, cust, chat := partyChat(t, r.base)
	resume := joinedResume(t, cust)
	httpBase := "http" + strings.TrimPrefix(r.base, "ws")
	if code, body := postFile(t, httpBase, chat, resume, "a.png", pngBytes); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	f := fileLineOf(ada).File
	r.restart()
	a2, _ := agentLogin(t, r.base, "t-ada", false)
	snap, _ := expectData[session.ChatData](a2, session.TypeChat)
	i := slices.IndexFunc(snap.Transcript, func(m session.MessageData) bool { return m.File != nil })
	if i < 0 || *snap.Transcript[i].File != *f {
		t.Fatalf("the file's line after the restart: %+v", snap.Transcript)
	}
	httpBase = "http" + strings.TrimPrefix(r.base, "ws")
	if code, got := getChatFile(t, httpBase, chat, "t-ada", f.ID); code != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Fatalf("the file after the restart: %d", code)
	}
}

// TestCleanFileName_R_I6: names are cleaned of anything hostile.
func TestCleanFileName_R_I6(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                "report.pdf",
		"../../etc/passwd":          "passwd",
		`C:\Users\x\evil.exe`:       "evil.exe",
		"...hidden":                 "hidden",
		"a\x00b\x1b[31mc.txt":       "ab[31mc.txt",
		"invoice\u202efdp.exe":      "invoicefdp.exe",
		"":                          "file",
		"..":                        "file",
		`what?<>:"|*.txt`:           "what.txt",
		strings.Repeat("é", 100):    strings.Repeat("é", 60),
		"  spaced name.png  ":       "spaced name.png",
		"\xff\xfebad utf8.txt":      "bad utf8.txt",
		"résumé – final (2).pdf":    "résumé – final (2).pdf",
		"x/":                        "file",
		"zero\u200bwidth\ufeff.png": "zerowidth.png",
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestChatFilesAfterDone_R_I6_R_I2: once the chat is done its last owner
// still fetches its files, and so does an agent who has the same contact
// in a live chat (the file shows in their history); nobody else does.
func TestChatFilesAfterDone_R_I6_R_I2(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) { c.Store.Dir = t.TempDir() }))
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	ada, cust, chat := partyChat(t, base)
	if code, body := postFile(t, httpBase, chat, joinedResume(t, cust), "a.png", pngBytes); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	f := fileLineOf(ada).File
	finishChat(t, ada, chat)
	if code, got := getChatFile(t, httpBase, chat, "t-ada", f.ID); code != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Fatalf("the last owner after done: %d", code)
	}
	for _, tok := range []string{"t-grace", "t-sue", ""} {
		if code, _ := getChatFile(t, httpBase, chat, tok, f.ID); code != http.StatusNotFound {
			t.Fatalf("%q after done: %d", tok, code)
		}
	}
	if code, _ := getChatFile(t, httpBase, chat, "t-ada", strings.Repeat("0", 64)); code != http.StatusNotFound {
		t.Fatalf("a file not in the chat: %d", code)
	}
	// Carol comes back; Grace has her: the earlier chat's file is in
	// Grace's history, so she may fetch it.
	ada.send(session.TypeReady, "", session.ReadyData{Ready: false})
	ada.expect(session.TypeAgent)
	grace, _ := agentLogin(t, base, "t-grace", true)
	c2, j2 := customerJoin(t, base, session.JoinData{Name: "Carol", Contact: "carol-1"})
	connect(t, grace, c2, j2.Chat)
	if code, got := getChatFile(t, httpBase, chat, "t-grace", f.ID); code != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Fatalf("an agent with the contact's history: %d", code)
	}
}

// TestChatFilesPerChatLimit_R_I6: uploads in parallel cannot pass
// files.max_per_chat together.
func TestChatFilesPerChatLimit_R_I6(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) { c.Store.Dir = t.TempDir(); c.Files.MaxPerChat = 3 }))
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	_, cust, chat := partyChat(t, base)
	resume := joinedResume(t, cust)
	codes := make(chan int, 8)
	for i := range 8 {
		go func() {
			body := append([]byte("file number "), byte('0'+i))
			code, b := postFile(t, httpBase, chat, resume, "n.txt", body)
			if code != http.StatusCreated {
				t.Logf("upload %d: %d %s", i, code, b)
			}
			codes <- code
		}()
	}
	sent := 0
	for range 8 {
		switch code := <-codes; code {
		case http.StatusCreated:
			sent++
		case http.StatusConflict:
		default:
			t.Fatalf("status %d", code)
		}
	}
	if sent != 3 {
		t.Fatalf("%d files sent in parallel, want files.max_per_chat = 3", sent)
	}
}
