package hub

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/hub/browsertest"
	"github.com/agentdesk/agentdesk/session"
)

// chromium finds the browser; without it the test fails under CI and skips
// (with the reason) elsewhere.
func chromium(t *testing.T) string { return browsertest.Path(t) }

// TestBrowserCustomerChats_R_I5 drives the real page in headless Chromium:
// join, send, see the agent's answer and a pushed URL as a real link.
func TestBrowserCustomerChats_R_I5(t *testing.T) {
	path := chromium(t)
	s := newHub(t, testConfig(t, nil))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	agent, _ := agentLogin(t, base, "t-grace", true)

	ctx := browser(t, path)

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.WaitReady(chromedp.CSS("#topic option")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bea"),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#text")),
	)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	off, env := expectData[session.ChatData](agent, session.TypeOffer)
	if off.Customer != "Bea" {
		t.Fatalf("offer %+v", off)
	}
	chat := env.Chat
	agent.send(session.TypeAccept, chat, nil)
	agent.expect(session.TypeChat)
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//li[contains(., "Grace Hopper joined the chat")]`),
		chromedp.SendKeys(chromedp.CSS("#text"), "My parcel is late"),
		chromedp.Click(chromedp.CSS("#send")),
	); err != nil {
		t.Fatalf("send: %v", err)
	}
	if m := lineWith(agent, "My parcel is late"); m.From != session.FromCustomer || m.Name != "Bea" {
		t.Fatalf("agent got %+v", m)
	}
	agent.send(session.TypeSend, chat, session.SendData{Text: "Let me check that for you"})
	url := "https://example.com/track?id=42"
	agent.send(session.TypePushURL, chat, session.PushURLData{URL: url})
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//li[contains(., "Let me check that for you")]`),
		chromedp.WaitVisible(chromedp.CSS("#transcript a")),
	); err != nil {
		t.Fatalf("answer: %v", err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#transcript a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	href := attr.Value
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transcript a")))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	if err != nil {
		t.Fatal(err)
	}
	if href != url || text != url {
		t.Fatalf("link href %q text %q, want %q", href, text, url)
	}
	if !strings.Contains(status, "Grace Hopper") {
		t.Fatalf("status %q", status)
	}

	// A page reload resumes the same chat from sessionStorage, transcript
	// and link included.
	if err := chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(`//li[contains(., "My parcel is late")]`),
		chromedp.WaitVisible(`//a[@href="`+url+`"]`),
		chromedp.WaitVisible(chromedp.CSS("#text")),
	); err != nil {
		t.Fatalf("resume after reload: %v", err)
	}
	// (Whether the hub saw the old socket close before the resume is a
	// race of the browser's; TestContactDisconnectGrace covers both sides.)
	agent.send(session.TypeSend, chat, session.SendData{Text: "Still with you"})
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//li[contains(., "Still with you")]`)); err != nil {
		t.Fatalf("after resume: %v", err)
	}

	// The agent drops: the page shows the reconnecting banner.
	agent.conn.CloseNow()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//*[@id="banner" and contains(., "reconnecting")]`)); err != nil {
		t.Fatalf("banner: %v", err)
	}
	agent2, w := agentLogin(t, base, "t-grace", false)
	if len(w.Chats) != 1 || w.Chats[0].ID != chat {
		t.Fatalf("welcome %+v", w)
	}
	agent2.send(session.TypeEnd, chat, nil)
	if err := chromedp.Do(ctx,
		chromedp.WaitNotVisible(chromedp.CSS("#banner")),
		chromedp.WaitVisible(`//*[@id="status" and contains(., "The agent ended the chat")]`),
	); err != nil {
		t.Fatalf("ended: %v", err)
	}
}

// browser starts headless Chromium for one test; it ends with the test.
func browser(t *testing.T, path string) context.Context { return browsertest.New(t, path) }
