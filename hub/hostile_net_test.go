package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/browsertest"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// hostileConnections (point 2): under an open-file limit of 256, sockets
// that never say hello or join are closed after hello_timeout, sockets
// that never answer a ping after ping_interval + ping_timeout (3 s: ada's
// own pongs must not miss it on a busy machine under -race), idle
// keep-alive connections after idle_timeout, half-sent headers after the
// request timeout; a flood of connections from many addresses is refused
// in words (503, and 429 from one address) before the descriptors run out,
// /healthz answering throughout; customers are capped below the total so
// agents keep room. Meanwhile ada's chat goes on, and once the flood is
// gone she is offered the next chat.
func hostileConnections(t *testing.T, bin string) {
	// The flood's customers join sales, a queue no agent serves: they wait
	// there as real customers would, offered to nobody.
	cfg := withLimits(strings.Replace(testYAML, "queues:\n", "queues:\n  - {name: sales, title: Sales}\n", 1), "hello_timeout: 1s", "ping_interval: 1s", "ping_timeout: 3s", "idle_timeout: 1s",
		"request_timeout: 6s", "connections_per_ip: 20", "customers_per_ip: 10", "max_customers: 30", "max_transfers: 8")
	h := startChathubUnder(t, []string{"prlimit", "--nofile=256:256", "--"}, bin, cfg)
	// 256 - 64 for the hub - 8 transfers - 32 reserve.
	const maxConns = 152
	if !strings.Contains(h.logText(), "using="+strconv.Itoa(maxConns)) {
		t.Fatalf("the hub did not lower max_connections under the open-file limit:\n%s", h.logText())
	}
	ws := h.ws()
	ada, _ := agentLogin(t, ws, "t-ada", true)
	ann, j := customerJoin(t, ws, session.JoinData{Name: "Ann", Queue: "general"})
	connect(t, ada, ann, j.Chat)
	chatOn := func(what string) {
		t.Helper()
		ann.send(session.TypeSend, "", session.SendData{Text: "during " + what})
		lineWith(ada, "during "+what)
		ada.send(session.TypeSend, j.Chat, session.SendData{Text: "answer during " + what})
		lineWith(ann, "answer during "+what)
	}
	baseFiles := h.openFiles()

	t.Run("no hello, no join", func(t *testing.T) {
		var socks []*websocket.Conn
		for i := range 30 {
			path := "/v1/agent"
			if i%3 == 0 {
				path = "/v1/customer"
			}
			c, _, err := websocket.Dial(testCtx(t, wait), ws+path, fromAddr(fmt.Sprintf("127.0.3.%d", 1+i/10), nil))
			if err != nil {
				t.Fatal(err)
			}
			socks = append(socks, c)
		}
		for i, c := range socks {
			_, _, err := c.Read(testCtx(t, 10*time.Second))
			var ce websocket.CloseError
			want := "send hello with your token within 1s"
			if i%3 == 0 {
				want = "join a chat within 1s"
			}
			if !errors.As(err, &ce) || ce.Code != StatusNoHello || ce.Reason != want {
				t.Fatalf("socket %d: %v, want closed with %d %q", i, err, StatusNoHello, want)
			}
		}
		chatOn("the silent sockets")
	})

	t.Run("no pong", func(t *testing.T) {
		c, _, err := websocket.Dial(testCtx(t, wait), ws+"/v1/agent", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		hello, _ := json.Marshal(session.Envelope{V: session.ProtocolVersion, Type: session.TypeHello, Data: json.RawMessage(`{"token":"t-grace"}`)})
		if err := c.Write(testCtx(t, wait), websocket.MessageText, hello); err != nil {
			t.Fatal(err)
		}
		// It reads nothing more, so answers no ping: the hub drops it.
		await(t, "grace online", 5*time.Second, func() bool { return health(t, h).AgentsOnline == 2 })
		await(t, "the deaf socket dropped", 15*time.Second, func() bool { return health(t, h).AgentsOnline == 1 })
		chatOn("the deaf socket")
	})

	t.Run("idle and half-sent", func(t *testing.T) {
		keep, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer keep.Close()
		if resp, _, err := rawRequest(keep, "GET", "/healthz"); err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz on a keep-alive connection: %v %v", resp, err)
		}
		half, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer half.Close()
		fmt.Fprint(half, "GET /healthz HTTP/1.1\r\nHost: hub\r\n") // and never the end of the headers
		silent, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		for name, c := range map[string]net.Conn{"idle keep-alive": keep, "half-sent headers": half, "silent": silent} {
			if !closedWithin(c, 15*time.Second) {
				t.Errorf("%s connection still open after 15s", name)
			}
		}
	})

	t.Run("customer cap", func(t *testing.T) {
		var socks []*client
		for i := range 30 - 1 { // Ann is one
			c, _ := customerJoinWith(t, ws, session.JoinData{Name: "flood", Queue: "sales"}, fromAddr(fmt.Sprintf("127.0.4.%d", 1+i/10), nil))
			socks = append(socks, c)
		}
		_, resp, err := websocket.Dial(testCtx(t, wait), ws+"/v1/customer", fromAddr("127.0.4.200", nil))
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("customer 31: %v %v, want 503", err, resp)
		}
		var e api.Error
		if json.NewDecoder(resp.Body).Decode(&e); e.Error.Code != api.ErrTooManyConnections || !strings.Contains(e.Error.Message, "limits.max_customers") {
			t.Errorf("customer 31 is told %+v", e)
		}
		// Agents keep their room.
		g, _ := agentLogin(t, ws, "t-grace", false)
		g.conn.CloseNow()
		chatOn("the customer cap")
		for _, c := range socks {
			c.conn.CloseNow()
		}
		await(t, "the flood's customers gone", 10*time.Second, func() bool { return health(t, h).Customers == 1 })
	})

	t.Run("connection caps", func(t *testing.T) {
		var conns []net.Conn
		closeAll := func() {
			for _, c := range conns {
				c.Close()
			}
			conns = nil
		}
		defer closeAll()
		// openN opens n connections from addresses src(i), quickly: the
		// hub closes idle ones after request_timeout (6s here), so every
		// check below is made well within it.
		openN := func(n int, src func(i int) string) []net.Conn {
			t.Helper()
			var cs []net.Conn
			for i := range n {
				cs = append(cs, mustDial(t, src(i), h.addr))
			}
			conns = append(conns, cs...)
			return cs
		}
		// One address: 20 are served, the next 8 are told 429 but may ask
		// /healthz, and beyond that they are closed at once.
		one := openN(20+8+3, func(int) string { return "127.0.5.1" })
		if resp, b, err := rawRequest(one[20], "GET", "/queues.json"); err != nil || resp.StatusCode != http.StatusTooManyRequests ||
			apiCode(b) != api.ErrTooManyConnections || !strings.Contains(string(b), "limits.connections_per_ip") {
			t.Errorf("connection 21 from one address: %v %v %s, want 429", err, resp, b)
		}
		if resp, _, err := rawRequest(one[21], "GET", "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("healthz over the address's cap: %v %v", err, resp)
		}
		if !closedWithin(one[30], 2*time.Second) {
			t.Error("connection 31 from one address is not closed at once")
		}
		if resp, _, err := rawRequest(one[0], "GET", "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("a connection within the address's cap: %v %v", err, resp)
		}
		closeAll()
		await(t, "the address's connections closed", 10*time.Second, func() bool { return health(t, h).Connections <= 3 })

		// Many addresses, 10 each: up to max_connections served, then 503
		// with /healthz answering, then closed at once; never out of files.
		open := health(t, h).Connections - 1 // without healthz's own
		many := openN(maxConns+connReserve+5-open, func(i int) string { return fmt.Sprintf("127.0.6.%d", 1+i/10) })
		firstOver := maxConns - open // many[firstOver] is the first over the cap
		if resp, b, err := rawRequest(many[firstOver+1], "GET", "/queues.json"); err != nil || resp.StatusCode != http.StatusServiceUnavailable ||
			apiCode(b) != api.ErrTooManyConnections || !strings.Contains(string(b), "limits.max_connections") {
			t.Errorf("a connection over max_connections: %v %v %s, want 503", err, resp, b)
		}
		if resp, b, err := rawRequest(many[firstOver+2], "GET", "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("healthz over the cap: %v %v %s", err, resp, b)
		}
		if resp, _, err := rawRequest(many[firstOver-2], "GET", "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("a connection within the cap: %v %v", err, resp)
		}
		if !closedWithin(many[len(many)-1], 2*time.Second) {
			t.Error("a connection beyond the reserve is not closed at once")
		}
		if n := h.openFiles(); n >= 256-8 {
			t.Errorf("the hub holds %d files of 256", n)
		}
		chatOn("the connection flood")
	})
	if strings.Contains(h.logText(), "too many open files") {
		t.Errorf("the hub ran out of files:\n%s", h.logText())
	}
	await(t, "the flood's connections gone", 20*time.Second, func() bool { return h.openFiles() <= baseFiles+2 })
	bob, jb := customerJoin(t, ws, session.JoinData{Name: "Bob", Queue: "general"})
	connect(t, ada, bob, jb.Chat)
}

// mustDial opens a TCP connection from src or fails the test.
func mustDial(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	c, err := dialFrom(src, addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	return c
}

// fromAddr makes websocket dial options whose connections come from the
// loopback address src (and trust tlsCfg, when set).
func fromAddr(src string, tlsCfg *http.Transport) *websocket.DialOptions {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tlsCfg != nil {
		tr = tlsCfg
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	tr.DialContext = d.DialContext
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}}
}

// health reads /healthz.
func health(t *testing.T, h *chathub) Health {
	t.Helper()
	resp, b, err := getWith(testCtx(t, wait), http.DefaultClient, h.base()+"/healthz", "")
	if err != nil {
		t.Fatal(err)
	}
	var hl Health
	if err := json.Unmarshal(b, &hl); err != nil {
		t.Fatalf("healthz %v %s", resp, b)
	}
	return hl
}

// hostileTLS (point 8): chathub serves TLS with a certificate the test
// made; the desktop (the real binary, --ca), the uploader and the customer
// page (headless Chromium trusting the test CA) work over it, each told
// what is wrong when given another CA; plain HTTP to the port is refused;
// HSTS is sent.
func hostileTLS(t *testing.T, bin string) {
	pki, other := newTestPKI(t, "agentdesk test CA"), newTestPKI(t, "some other CA")
	h := startChathub(t, bin, testYAML+fmt.Sprintf("tls:\n  cert_file: %s\n  key_file: %s\n", pki.Cert, pki.Key))
	if h.scheme != "https" {
		t.Fatalf("the hub listens on %s", h.base())
	}
	tlsCfg, err := hubclient.TLSConfig(pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	wrongCfg, err := hubclient.TLSConfig(other.CA)
	if err != nil {
		t.Fatal(err)
	}
	hc := httpsClient(tlsCfg)
	ctx := testCtx(t, time.Minute)
	resp, _, err := getWith(ctx, hc, h.base()+"/healthz", "")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=15552000") {
		t.Fatalf("healthz over TLS: %v %v", err, resp)
	}
	if resp, b, err := getWith(ctx, http.DefaultClient, "http://"+h.addr+"/healthz", ""); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain HTTP to the TLS port: %v %v %s", err, resp, b)
	}
	wsOpts := &websocket.DialOptions{HTTPClient: hc}

	t.Run("desktop", func(t *testing.T) {
		agentdesk := buildAgentdesk(t)
		ann, _ := customerJoinWith(t, h.ws(), session.JoinData{Name: "Ann", Queue: "general"}, wsOpts)
		ann.send(session.TypeSend, "", session.SendData{Text: "hello over TLS"})
		out, err := runDesk(t, agentdesk, h.base(), pki.CA, `set timeout 30s
wait "● Connected"
key y
wait "Ann · Alerting"
key a
wait "Ann · Connected"
wait "Ann: hello over TLS"
`)
		if err != nil {
			t.Fatalf("the desktop over TLS with --ca: %v\n%s", err, out)
		}
		lineWith(ann, "Ada Lovelace joined the chat")
		out, err = runDesk(t, agentdesk, h.base(), other.CA, `set timeout 30s
wait "does not trust"
wait "--ca FILE"
`)
		if err != nil {
			t.Fatalf("the desktop with another CA does not say why it cannot connect: %v\n%s", err, out)
		}
	})

	t.Run("uploader", func(t *testing.T) {
		data := randomBytes(t, 3<<20+17)
		item := uploader.Item{ID: "q1", Name: "tls.webm", Size: int64(len(data)), SHA256: sha256Hex(data),
			Manifest:   uploader.Manifest{Version: 1, Recording: "r1", Interaction: "chat-1", Agent: "ada"},
			SaveResume: func(string) error { return nil }}
		wrong, err := hubsink.New(h.base(), "t-ada", hubsink.Options{TLS: wrongCfg})
		if err != nil {
			t.Fatal(err)
		}
		if err := wrong.Put(ctx, item, bytes.NewReader(data), nil); err == nil || !strings.Contains(err.Error(), "--ca FILE") {
			t.Errorf("the uploader with another CA: %v", err)
		}
		var stored string
		item.Stored = func(id string) { stored = id }
		sink, err := hubsink.New(h.base(), "t-ada", hubsink.Options{TLS: tlsCfg})
		if err != nil {
			t.Fatal(err)
		}
		if err := sink.Put(ctx, item, bytes.NewReader(data), nil); err != nil || stored == "" {
			t.Fatalf("the uploader over TLS: %v (stored %q)", err, stored)
		}
		if resp, b, err := getWith(ctx, hc, h.base()+"/v1/files/"+stored, "t-sue"); err != nil || resp.StatusCode != 200 || !bytes.Equal(b, data) {
			t.Fatalf("stored over TLS: %v %v", err, resp)
		}
	})

	t.Run("customer page", func(t *testing.T) {
		grace, _ := agentLoginWith(t, h.ws(), "t-grace", true, wsOpts)
		pageUnderCSP(t, browserFor(t, pki.CA), h.base(), h.ws(), grace)
		bctx := browserFor(t, other.CA)
		err := chromedp.Do(bctx, chromedp.Navigate(h.base()+"/"))
		if err == nil || !strings.Contains(err.Error(), "ERR_CERT_AUTHORITY_INVALID") {
			t.Fatalf("Chromium trusting another CA opened the page: %v", err)
		}
	})
}

func sha256Hex(b []byte) string {
	s, _, err := uploader.ReaderSum(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return s
}

// buildAgentdesk builds the desktop into a temp folder.
func buildAgentdesk(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "agentdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/agentdesk").CombinedOutput(); err != nil {
		t.Fatalf("build agentdesk: %v\n%s", err, out)
	}
	return bin
}

// runDesk runs the desktop as ada on hub with --ca and a keystroke script.
func runDesk(t *testing.T, bin, hub, ca, script string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	sp := filepath.Join(dir, "tls.script")
	if err := os.WriteFile(sp, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--hub", hub, "--token", "t-ada", "--ca", ca, "--script", sp, "--size", "240x30",
		"--capture", "off", "--spool-dir", filepath.Join(dir, "spool"))
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// browserFor starts headless Chromium, trusting the CA in caFile when set.
func browserFor(t *testing.T, caFile string) context.Context {
	path := chromium(t)
	if caFile == "" {
		return browser(t, path)
	}
	return browsertest.NewTrusting(t, path, caFile)
}

// pageUnderCSP chats through the customer page at base with agent ag (its
// websocket on wsBase): join, the agent takes it and answers, the
// customer writes, and no CSP violation is recorded; then an inline
// script put into the page is blocked and reported: the policy is in
// force. The chat is ended and done.
func pageUnderCSP(t *testing.T, ctx context.Context, base, wsBase string, ag *client) {
	t.Helper()
	name := "Csp" + strconv.FormatInt(time.Now().UnixNano()%1000, 10)
	err := chromedp.Do(ctx,
		browsertest.RecordCSP(),
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.WaitReady(chromedp.CSS("#topic option")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS("#join")),
		chromedp.WaitVisible(chromedp.CSS("#text")),
	)
	if err != nil {
		t.Fatalf("join on the page: %v", err)
	}
	var chat string
	for chat == "" {
		off, env := expectData[session.ChatData](ag, session.TypeOffer)
		if off.Customer == name {
			chat = env.Chat
		}
	}
	ag.send(session.TypeAccept, chat, nil)
	ag.expect(session.TypeChat)
	ag.send(session.TypeSend, chat, session.SendData{Text: "How can I help?"})
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(`//li[contains(., "How can I help?")]`),
		chromedp.SendKeys(chromedp.CSS("#text"), "My parcel is late"),
		chromedp.Click(chromedp.CSS("#send")),
	); err != nil {
		t.Fatalf("chat on the page: %v", err)
	}
	lineWith(ag, "My parcel is late")
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
	if err != nil || len(violations) != 0 {
		t.Fatalf("the page breaks its CSP: %v %v", violations, err)
	}
	inject := `(() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';
		document.body.appendChild(s); return true; })()`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](inject),
		chromedp.Poll[chromedp.Void](`window.__csp.length > 0`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("an injected inline script was not reported: %v", err)
	}
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__ran === true`))
	if err != nil || ran {
		t.Fatalf("an injected inline script ran (%v %v): the CSP is not in force", ran, err)
	}
	ag.send(session.TypeEnd, chat, nil)
	ag.expect(session.TypeState)
	ag.send(session.TypeDone, chat, nil)
	ag.expect(session.TypeState)
}
