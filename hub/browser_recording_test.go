package hub

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/session"
)

// TestBrowserConsentAndDeletion_R_H6 drives the real page: the consent
// question appears when the agent takes a chat of an ask_consent queue,
// Yes reaches the agent, and "Delete my recording" asks for deletion,
// which the agent confirms: nothing is stored.
func TestBrowserConsentAndDeletion_R_H6(t *testing.T) {
	path := chromium(t)
	s := newHub(t, testConfig(t, func(c *Config) {
		c.Queues[0].AskConsent, c.Queues[0].ConsentText = true, "May we record this chat?"
		c.Agents[1].Recording = &AgentRecording{MayRecord: true, MayPause: true, Permits: true, Auto: true, AutoPercent: 100}
	}))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); ts.Close() })
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	agent, _ := agentLogin(t, base, "t-grace", true)
	ctx := browser(t, path)

	if err := chromedp.Do(ctx,
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
	if d := recFrame(agent); d.Consent != "asked" || d.Recording { // nothing before the answer
		t.Fatalf("after accept: %+v", d)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#consent-yes"))); err != nil {
		t.Fatalf("consent question: %v", err)
	}
	question, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#consent-text")))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#consent-yes")),
		chromedp.WaitNotVisible(chromedp.CSS("#consent")),
		chromedp.WaitVisible(chromedp.CSS("#delete-ask")), // offered once consented (issue 11 point 21)
	); err != nil {
		t.Fatalf("consent: %v", err)
	}
	if question != "May we record this chat?" {
		t.Fatalf("question %q", question)
	}
	if d := recFrame(agent); d.Consent != "yes" || !d.Recording {
		t.Fatalf("after yes: %+v", d)
	}
	// the page says the chat is recorded, and keeps saying it.
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//p[@id="recording" and contains(@class, "on") and contains(., "Recorded")]`),
		chromedp.WaitVisible(`//li[contains(., "`+DefaultNoticeRecording+`")]`),
	); err != nil {
		t.Fatalf("X-2 the recording indicator: %v", err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#delete-ask")),
		chromedp.WaitVisible(`//*[@id="privacy-note" and contains(., "delete")]`),
	); err != nil {
		t.Fatalf("delete ask: %v", err)
	}
	if d := recFrame(agent); !d.DeleteAsk || !strings.Contains(d.Change, "asked to delete") {
		t.Fatalf("after delete ask: %+v", d)
	}
	agent.send(session.TypeDeleteRec, chat, nil)
	if d := recFrame(agent); !d.Deleted || d.Recording {
		t.Fatalf("after delete: %+v", d)
	}
	if err := chromedp.Do(ctx,
		chromedp.WaitNotVisible(chromedp.CSS("#recording")),
		chromedp.WaitVisible(`//li[contains(., "`+DefaultNoticeStopped+`")]`),
		chromedp.WaitVisible(`//*[@id="privacy-note" and contains(., "`+DefaultNoticeDeleted+`")]`), // the approval, confirmed
	); err != nil {
		t.Fatalf("X-2 after the deletion: %v", err)
	}
	agent.send(session.TypeEnd, chat, nil)
	agent.send(session.TypeDone, chat, nil)
	for {
		if st, _ := expectData[session.StateData](agent, session.TypeState); st.State == session.Done {
			break
		}
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#restart"))); err != nil {
		t.Fatalf("after the end: %v", err)
	}
	if l, err := s.Recordings(chat, "", 0); err != nil || len(l.Recordings) != 0 || len(l.Dropped) != 1 || l.Dropped[0].Why != session.ErrDeleted.Error() {
		t.Fatalf("stored %+v", l)
	}
}
