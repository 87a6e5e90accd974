package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/hub/internal/smtptest"
	"github.com/agentdesk/agentdesk/session"
)

// TestTranscriptByMail_I11: once the chat has ended the customer may have
// its transcript e-mailed to one address they give: what they saw, their
// own lines as "You", never the agent-only recording markers; twice at
// most; a bad address, a live chat or a hub without mail are refused in
// words. The message reaches a real SMTP server on loopback.
func TestTranscriptByMail_I11(t *testing.T) {
	srv := smtptest.Start(t)
	r := recHub(t, func(c *Config) {
		c.Mail = MailConfig{SMTP: srv.Addr, From: "Contact centre <noreply@example.org>", AllowPlain: true}
	})
	r.press(t, "record") // an agent-only marker the mail must not carry
	r.say(t, "my order 77 is late")
	r.cust.send(session.TypeTranscriptMail, r.chat, session.TranscriptMailData{Address: "bea@example.org"})
	if e, _ := expectData[session.ErrorData](r.cust, session.TypeError); e.Code != session.ErrCodeBadState {
		t.Fatalf("a live chat's transcript: %+v", e)
	}
	r.cust.send(session.TypeLeave, r.chat, nil)
	if ended, _ := expectData[session.EndedData](r.cust, session.TypeEnded); !ended.Mail {
		t.Fatalf("ended %+v: the page is not told it may ask", ended)
	}
	r.cust.send(session.TypeTranscriptMail, r.chat, session.TranscriptMailData{Address: "bea@example.org\r\nBcc: all@example.org"})
	if e, _ := expectData[session.ErrorData](r.cust, session.TypeError); e.Code != session.ErrCodeBadRequest {
		t.Fatalf("a bad address: %+v", e)
	}
	r.cust.send(session.TypeTranscriptMail, r.chat, session.TranscriptMailData{Address: "bea@example.org"})
	for _, want := range []string{"sending", "sent"} {
		if d, _ := expectData[session.TranscriptMailData](r.cust, session.TypeTranscriptMail); d.Status != want {
			t.Fatalf("%+v, want %s", d, want)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "bea@example.org" {
		t.Fatalf("messages %+v", msgs)
	}
	body := msgs[0].Data
	if !strings.Contains(body, "You: my order 77 is late") || !strings.Contains(body, "Grace Hopper joined the chat") || strings.Contains(body, "Recording started") {
		t.Fatalf("the transcript mail:\n%s", body)
	}
	// After the chat is done (gone from memory) it comes from the store.
	r.g.expect(session.TypeState)
	r.g.send(session.TypeDone, r.chat, nil)
	for st, _ := expectData[session.StateData](r.g, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](r.g, session.TypeState) {
	}
	r.cust.send(session.TypeTranscriptMail, r.chat, session.TranscriptMailData{Address: "bea@example.org"})
	expectData[session.TranscriptMailData](r.cust, session.TypeTranscriptMail)
	if d, _ := expectData[session.TranscriptMailData](r.cust, session.TypeTranscriptMail); d.Status != "sent" {
		t.Fatalf("from the store: %+v", d)
	}
	if m := srv.Messages(); len(m) != 2 || !strings.Contains(m[1].Data, "You: my order 77 is late") {
		t.Fatalf("the second mail %+v", m)
	}
	r.cust.send(session.TypeTranscriptMail, r.chat, session.TranscriptMailData{Address: "bea@example.org"})
	if e, _ := expectData[session.ErrorData](r.cust, session.TypeError); e.Code != session.ErrCodeRateLimited {
		t.Fatalf("a third mail: %+v", e)
	}
	// A hub without mail says so.
	r2 := recHub(t, nil)
	r2.cust.send(session.TypeLeave, r2.chat, nil)
	if ended, _ := expectData[session.EndedData](r2.cust, session.TypeEnded); ended.Mail {
		t.Fatal("a hub without mail offers it")
	}
	r2.cust.send(session.TypeTranscriptMail, r2.chat, session.TranscriptMailData{Address: "bea@example.org"})
	if e, _ := expectData[session.ErrorData](r2.cust, session.TypeError); !strings.Contains(e.Message, "does not send transcripts") {
		t.Fatalf("no mail: %+v", e)
	}
}

// TestBrowserTranscriptByMail_I11: the page offers the transcript by
// e-mail when the chat ends and says when it is sent.
func TestBrowserTranscriptByMail_I11(t *testing.T) {
	path := chromium(t)
	srv := smtptest.Start(t)
	s, base := startHub(t, func(c *Config) { c.Mail = MailConfig{SMTP: srv.Addr, From: "noreply@example.org", AllowPlain: true} })
	agent, _ := agentLogin(t, base, "t-grace", true)
	ctx := browser(t, path)
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(httpBase+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.WaitReady(chromedp.CSS("#topic option")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bea"),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#text")),
	); err != nil {
		t.Fatal(err)
	}
	_, env := expectData[session.ChatData](agent, session.TypeOffer)
	agent.send(session.TypeAccept, env.Chat, nil)
	agent.expect(session.TypeChat)
	agent.send(session.TypeSend, env.Chat, session.SendData{Text: "Here is your answer"})
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//li[contains(., "Here is your answer")]`),
		chromedp.Click(chromedp.CSS("#leave")),
		chromedp.WaitVisible(chromedp.CSS("#mailform")),
		chromedp.SendKeys(chromedp.CSS("#mailto"), "bea@example.org"),
		chromedp.Click(chromedp.CSS("#mailsend")),
		chromedp.WaitVisible(`//span[@id="mailnote" and contains(., "on its way")]`),
	); err != nil {
		t.Fatalf("the page's transcript mail: %v", err)
	}
	deadline := time.Now().Add(wait)
	for len(srv.Messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if m := srv.Messages(); len(m) != 1 || !strings.Contains(m[0].Data, "Here is your answer") {
		t.Fatalf("messages %+v", m)
	}
	_ = s
}
