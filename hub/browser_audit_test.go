package hub

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/browsertest"
)

// TestBrowserAuditPage_R_V9 (issue 13 point 3, CI's "Headless Chromium:
// the audit page, its filters and CSV export"): in headless Chromium a
// compliance officer opens the audit page from the menu, filters it with
// the form, exports the filtered entries as CSV and sees the recording's
// access history, with no Content-Security-Policy violation; an agent who
// types the address gets the 404 of an unknown page.
func TestBrowserAuditPage_R_V9(t *testing.T) {
	path := chromium(t)
	s, base, _ := auditHub(t, nil)
	sup := newAppClient(t, base).mustLogin("sup")
	sup.do("GET", "/app/recordings/"+auditRec, nil)
	if _, _, err := s.Audit().Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, path)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 860)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		browsertest.RecordCSP(),
		chromedp.Navigate(base+"/app/"),
		appLogin("comp"),
		chromedp.WaitVisible(chromedp.CSS("#search-form")),
		chromedp.Click(chromedp.CSS(`nav a[href="/app/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#audit")),
		chromedp.WaitVisible(`//p[@id="checkpoint"][contains(., "Latest signed checkpoint")]`),
	); err != nil {
		t.Fatalf("log in, open the audit page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "hub-audit")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#a-user"), "sup"),
		chromedp.SetValue(chromedp.CSS("#a-outcome"), "ok"),
		chromedp.SendKeys(chromedp.CSS("#a-action"), "view"),
		chromedp.Click(chromedp.CSS("#audit-filter")),
		chromedp.WaitVisible(`//input[@id="a-action" and @value="view"]`),
		chromedp.WaitVisible(`//table[@id="audit"]//span[@class="act" and .="view"]`),
	); err != nil {
		t.Fatalf("filter: %v", err)
	}
	browsertest.Screenshot(t, ctx, "hub-audit-filtered")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#audit tbody tr')].map(r => r.innerText.replace(/\s+/g, ' '))`))
	if err != nil || len(rows) != 1 || !strings.Contains(rows[0], "sup") || !strings.Contains(rows[0], auditRec) || !strings.Contains(rows[0], "cust-42") {
		t.Fatalf("the filtered table: %q %v", rows, err)
	}
	// The export link carries the filter; what it answers is that entry.
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#audit-export').getAttribute('href')`))
	if err != nil || !strings.Contains(href, "user=sup") || !strings.Contains(href, "action=view") {
		t.Fatalf("the export link: %q %v", href, err)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#audit-export').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "leaf,at,user,role") ||
		!strings.Contains(lines[1], ",sup,supervisor,") || !strings.Contains(lines[1], auditRec) {
		t.Fatalf("the CSV export: %q %v", csv, err)
	}
	// The recording's page: its access history, linked to the audit page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/app/recordings/"+auditRec),
		chromedp.WaitVisible(`//section[@id="history"]//td[contains(., "sup")]`),
		chromedp.Click(chromedp.CSS("#history-all")),
		chromedp.WaitVisible(`//input[@id="a-recording" and @value="`+auditRec+`"]`),
	); err != nil {
		t.Fatalf("the recording's access history: %v", err)
	}
	browsertest.Screenshot(t, ctx, "hub-audit-recording")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/app/recordings/"+auditRec), chromedp.WaitVisible(chromedp.CSS("#history"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "hub-recording-history")
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`)); err != nil || len(v) != 0 {
		t.Fatalf("CSP violations on the audit pages: %v %v", v, err)
	}
	found := false
	_ = s.Audit().Scan(context.Background(), 0, func(e audit.Entry) error {
		found = found || e.Action == "audit_export" && e.User == "comp" && strings.Contains(e.Query, "user=sup")
		return nil
	})
	if !found {
		t.Error("the browser's CSV export is not in the audit log")
	}
	// An agent: the address is the 404 of an unknown page, and the menu
	// has no link to it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")),
		appLogin("ada"), chromedp.WaitVisible(chromedp.CSS("#search-form")),
		chromedp.Navigate(base+"/app/audit"), chromedp.WaitVisible(chromedp.CSS("#message"))); err != nil {
		t.Fatalf("the agent's audit page: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message")))
	links, err2 := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('a[href="/app/audit"]').length`))
	if err != nil || err2 != nil || msg != "No such page." || links != 0 {
		t.Fatalf("the agent's audit page: %q, %d links to it (%v %v)", msg, links, err, err2)
	}
}
