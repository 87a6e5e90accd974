package main

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agentdesk/agentdesk/hub/browsertest"
)

// chathubProc is cmd/chathub running as a real process.
type chathubProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}
}

var hubListening = regexp.MustCompile(`"chathub listening"`)

// startChathub runs bin on listen with the config and store folder and
// waits until it listens.
func startChathub(t *testing.T, bin, listen, config, store string) *chathubProc {
	t.Helper()
	cmd := exec.Command(bin, "--config", config, "--listen", listen, "--store", store)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &chathubProc{t: t, cmd: cmd, done: make(chan struct{})}
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if hubListening.MatchString(sc.Text()) {
				up <- true
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-p.done })
	select {
	case <-up:
	case <-p.done:
		t.Fatalf("chathub exited: %v", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		t.Fatal("chathub did not start")
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *chathubProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Fatal("chathub did not stop on SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Fatalf("chathub exited %d on SIGTERM", code)
	}
}

// TestHubRestartSIGTERM_X_3: a chathub stopped with SIGTERM mid-chat
// tells the customer's page (headless Chromium) and the agent's desktop
// (a keystroke script) that it is restarting; started again on its store,
// both come back to the same chat, which goes on.
func TestHubRestartSIGTERM_X_3(t *testing.T) {
	path := browsertest.Path(t)
	bin := filepath.Join(t.TempDir(), "chathub")
	if out, err := exec.Command("go", "build", "-o", bin, "../chathub").CombinedOutput(); err != nil {
		t.Fatalf("build chathub: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	store := t.TempDir()
	cfg, err := filepath.Abs(suiteConfig)
	if err != nil {
		t.Fatal(err)
	}
	hub := startChathub(t, bin, addr, cfg, store)

	script := writeScript(t, "restart.script", `set timeout 40s
wait "Ada Lovelace  Not ready"
key y
wait "Rita"
key a
wait "● Connected"
wait "before the restart"
wait "restarting"
wait "connected to the hub"
wait "before the restart"
key tab
type "after the restart"
key enter
wait "Ada Lovelace: after the restart"
`)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := runWith(t, "", "--script", script, "--hub", "http://"+addr, "--token", "demo-token-ada", "--size", "100x30")
		done <- result{code, out, errOut}
	}()

	ctx := browsertest.New(t, path)
	if err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.WaitReady(chromedp.CSS("#topic option")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Rita"),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(`//p[@id="status" and contains(., "You are chatting with")]`),
		chromedp.SendKeys(chromedp.CSS("#text"), "before the restart"),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(`//li[contains(., "before the restart")]`),
	); err != nil {
		t.Fatalf("the customer's chat before the restart: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // the desktop shows the line
	hub.stop()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`//div[@id="banner" and contains(., "restarting")]`)); err != nil {
		t.Fatalf("the page did not say the service is restarting: %v", err)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#banner")))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // the desktop shows it too, then keeps trying
	startChathub(t, bin, addr, cfg, store)
	if err := chromedp.Do(ctx,
		chromedp.WaitNotVisible(chromedp.CSS("#banner")),
		chromedp.WaitVisible(`//li[contains(., "after the restart")]`),
	); err != nil {
		t.Fatalf("the page did not resume the chat: %v", err)
	}
	lines, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transcript")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(lines, "before the restart") != 1 {
		t.Fatalf("the page's transcript after the restart: %q", lines)
	}
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("the desktop's script exited %d:\n%s%s", r.code, r.out, r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the desktop's script did not finish")
	}
	t.Logf("the page said %q", banner)
}
