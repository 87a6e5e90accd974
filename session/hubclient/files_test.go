package hubclient

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session"
)

// TestRealHubFiles_R_I6: through SendFile and FetchFile on a real hub with
// a store folder, Ada sends a text file into her chat and fetches it back
// byte for byte; a file of a type the hub does not allow is refused with
// the hub's words.
func TestRealHubFiles_R_I6(t *testing.T) {
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Dir = t.TempDir()
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { h.Close(); srv.Close(); h.CloseStore() })
	r := &realHub{t: t, addr: ln.Addr().String(), h: h}

	ctx := t.Context()
	ada := Dial(ctx, r.url(), "demo-token-ada")
	defer ada.Close()
	waitFor(t, ada, "welcome", isFrame(session.TypeWelcome))
	if err := ada.sendFrame(ctx, session.TypeReady, "", session.ReadyData{Ready: true}); err != nil {
		t.Fatal(err)
	}
	chat := joinAndAccept(t, r, ada)
	body := []byte("order A-42: refund sent\n")
	line, err := ada.SendFile(ctx, chat, "note.txt", bytes.NewReader(body), int64(len(body)))
	if err != nil || line.File == nil || line.File.Type != "text/plain" || line.File.Status != session.FileSent {
		t.Fatalf("send: %+v %v", line, err)
	}
	var got bytes.Buffer
	if n, err := ada.FetchFile(ctx, chat, line.File.ID, &got); err != nil || n != int64(len(body)) || !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("fetch: %d %q %v", n, got.String(), err)
	}
	exe := append([]byte("MZ\x90\x00"), make([]byte, 100)...)
	if _, err := ada.SendFile(ctx, chat, "tool.exe", bytes.NewReader(exe), int64(len(exe))); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("a refused file: %v", err)
	}
	if _, err := ada.Directory(ctx); err != nil {
		t.Fatalf("directory: %v", err)
	}
}
