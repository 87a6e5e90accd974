package hub

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/session"
)

// TestBrowserCustomerFiles_R_I6 drives the real page in headless Chromium:
// the customer sends a file the agent downloads byte for byte, saves a
// file the agent sent, and a refused file is marked refused on the page
// and for the agent.
func TestBrowserCustomerFiles_R_I6(t *testing.T) {
	path := chromium(t)
	s := newHub(t, testConfig(t, func(c *Config) { c.Store.Dir = t.TempDir() }))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	agent, _ := agentLogin(t, base, "t-grace", true)
	dir := t.TempDir()
	hello := filepath.Join(dir, "hello.txt")
	tool := filepath.Join(dir, "tool.exe")
	if err := os.WriteFile(hello, []byte("hello from the page\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tool, append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 200)...), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t, path)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitReady(chromedp.CSS("#topic option")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bea"),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#text")),
	); err != nil {
		t.Fatalf("join: %v", err)
	}
	_, env := expectData[session.ChatData](agent, session.TypeOffer)
	chat := env.Chat
	agent.send(session.TypeAccept, chat, nil)
	agent.expect(session.TypeChat)

	// The customer sends a file.
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//li[contains(., "Grace Hopper joined the chat")]`),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{hello}),
		chromedp.WaitVisible(`//li[@data-file="sent" and contains(., "hello.txt")]`),
	); err != nil {
		t.Fatalf("send a file: %v", err)
	}
	m := fileLineOf(agent)
	if m.From != session.FromCustomer || m.File.Name != "hello.txt" || m.File.Type != "text/plain" || m.File.Size != 20 {
		t.Fatalf("the agent's line: %+v", m.File)
	}
	if code, got := apiDo(t, http.MethodGet, ts.URL+"/v1/chats/"+chat+"/files/"+m.File.ID, "t-grace", ""); code != http.StatusOK || string(got) != "hello from the page\n" {
		t.Fatalf("the agent's download: %d %q", code, got)
	}

	// The agent sends one; the customer saves it.
	if code, body := postFile(t, ts.URL, chat, "t-grace", "map.png", pngBytes); code != http.StatusCreated {
		t.Fatalf("agent upload: %d %s", code, body)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(function (ok) {
		var wait = function () {
			var all = document.querySelectorAll("li[data-file=sent] .download");
			var b = all[all.length - 1];
			if (!b || b.textContent.indexOf("map.png") < 0) { setTimeout(wait, 50); return; }
			b.click();
			var saved = function () {
				var a = document.getElementById("saved-file");
				if (!a) { setTimeout(saved, 50); return; }
				ok(a.download + ":" + a.dataset.size + ":" + a.dataset.sha256);
			};
			saved();
		};
		wait();
	})`, chromedp.EvalAwaitPromise))
	sent := fileLineOf(agent).File
	if want := "map.png:" + strconv.Itoa(len(pngBytes)) + ":" + sent.SHA256; err != nil || got != want {
		t.Fatalf("the customer saved %q (%v), want %q: the bytes the hub announced", got, err, want)
	}

	// A refused file: marked on the page and for the agent.
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{tool}),
		chromedp.WaitVisible(`//li[@data-file="refused" and contains(., "tool.exe") and contains(., "was refused")]`),
		chromedp.WaitVisible(`//span[@id="filenote" and contains(., "Not sent")]`),
	); err != nil {
		t.Fatalf("refused file: %v", err)
	}
	if m := fileLineOf(agent); m.File.Status != session.FileRefused || m.File.Name != "tool.exe" {
		t.Fatalf("the agent's refused line: %+v", m.File)
	}
}
