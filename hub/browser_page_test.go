package hub

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/session"
)

// Issue 11 point 21, the page's own parts: "Delete my recording" is not
// offered while the consent question is open, is offered after Yes and
// stays after the chat ended; the customer's own lines read "You"; a
// pushed address wraps only between its parts, never inside a word; "Start
// a new chat" starts with an empty transcript.
func TestBrowserPageConsentYouLinksRestart(t *testing.T) {
	path := chromium(t)
	s := newHub(t, testConfig(t, func(c *Config) {
		c.Queues[0].AskConsent, c.Queues[0].ConsentText = true, "May we record this chat?"
	}))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	agent, _ := agentLogin(t, base, "t-grace", true)
	ctx := browser(t, path)

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(420, 800), // a phone: the link must wrap
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
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
	visible := func(sel string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+"`"+sel+"`"+`); return !!e && e.offsetParent !== null; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#consent-yes"))); err != nil {
		t.Fatalf("consent question: %v", err)
	}
	if visible("#delete-ask") {
		t.Error(`"Delete my recording" is offered before the customer consented`)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#consent-yes")),
		chromedp.WaitVisible(chromedp.CSS("#delete-ask")),
		chromedp.SendKeys(chromedp.CSS("#text"), "Where is my parcel?"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(`//li[contains(@class, "customer") and contains(., "Where is my parcel?")]`),
	); err != nil {
		t.Fatalf("consent yes, then a line: %v", err)
	}
	meta, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transcript li.customer .meta")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(meta, "You · ") {
		t.Errorf("the customer's own line is labelled %q, want You", meta)
	}

	url := "https://support.example.com/orders/track/2026/parcel-status?order=A-123456789&lang=en-GB"
	agent.send(session.TypePushURL, chat, session.PushURLData{URL: url})
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#transcript a"))); err != nil {
		t.Fatalf("pushed link: %v", err)
	}
	// Every piece of the address between its / ? & = . stays on one line,
	// and the whole link text is still the real address.
	broken, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const a = document.querySelector('#transcript a'); const out = [];
		const w = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
		for (let n = w.nextNode(); n; n = w.nextNode()) {
			const r = document.createRange(); r.selectNodeContents(n);
			const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
			if (tops.size > 1) out.push(n.textContent);
		}
		return out; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(broken) > 0 {
		t.Errorf("the link wraps inside %q", broken)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transcript a")))
	if err != nil {
		t.Fatal(err)
	}
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const r = document.createRange();
		r.selectNodeContents(document.querySelector('#transcript a'));
		return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if text != url || lines < 2 {
		t.Errorf("link text %q on %d lines; want the address, wrapped at 420 px", text, lines)
	}

	agent.send(session.TypeEnd, chat, nil)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#restart"))); err != nil {
		t.Fatalf("ended: %v", err)
	}
	if !visible("#delete-ask") {
		t.Error(`"Delete my recording" went when the chat ended`)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#restart")),
		chromedp.WaitVisible(chromedp.CSS("#join")),
	); err != nil {
		t.Fatalf("restart: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#transcript li').length`))
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 || visible("#delete-ask") {
		t.Errorf("after Start a new chat: %d old lines, delete offered %v; want a clean page", n, visible("#delete-ask"))
	}
}
