package hubclient

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session"
)

// realHub runs hub.Open with the shipped config (and a store in memory) on
// a loopback port and can restart it, as a fresh hub, on the same port.
type realHub struct {
	t    *testing.T
	addr string
	h    *hub.Server
	srv  *http.Server
}

func startRealHub(t *testing.T, addr string) *realHub {
	t.Helper()
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	cfg.Store.Dir = "" // in memory: a restart is a fresh hub
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &realHub{t: t, addr: ln.Addr().String(), h: h}
	r.srv = &http.Server{Handler: r.h.Handler()}
	go r.srv.Serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *realHub) url() string { return "http://" + r.addr }

func (r *realHub) stop() {
	r.h.Close()
	r.srv.Close()
	r.h.CloseStore()
}

func TestRealHubWelcome(t *testing.T) {
	r := startRealHub(t, "127.0.0.1:0")
	c := Dial(t.Context(), r.url(), "demo-token-ada")
	defer c.Close()
	waitFor(t, c, "link up", isStatus(session.LinkUp))
	ev := waitFor(t, c, "welcome", isFrame(session.TypeWelcome))
	var w session.WelcomeData
	if err := ev.Envelope.Decode(&w); err != nil {
		t.Fatal(err)
	}
	if w.Agent.ID != "ada" || w.Settings.ACW.Std() <= 0 || w.Ready {
		t.Errorf("welcome = %+v, want ada, settings from the config, not ready", w)
	}
	e, _ := session.NewEnvelope(session.TypeReady, "", session.ReadyData{Ready: true})
	if err := c.Send(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	ev = waitFor(t, c, "agent echo", isFrame(session.TypeAgent))
	var a session.AgentData
	if err := ev.Envelope.Decode(&a); err != nil || !a.Ready {
		t.Errorf("agent = %+v (%v), want ready", a, err)
	}
}

func TestRealHubRestartOnSamePort(t *testing.T) {
	r := startRealHub(t, "127.0.0.1:0")
	c := Dial(t.Context(), r.url(), "demo-token-ada", WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	defer c.Close()
	waitFor(t, c, "welcome", isFrame(session.TypeWelcome))

	r.stop()
	down := waitFor(t, c, "link down", isStatus(session.LinkDown))
	if down.Status.Err != "the hub is restarting" {
		t.Errorf("link down: %q, want the hub's word that it restarts", down.Status.Err)
	}
	// While it is away, the reason stays the restart, not "connection refused".
	down = waitFor(t, c, "third attempt", func(ev session.LinkEvent) bool {
		return ev.Status != nil && ev.Status.State == session.LinkDown && ev.Status.Attempt >= 3
	})
	if down.Status.Err != "the hub is restarting" {
		t.Errorf("attempt %d: %q, want the hub is restarting", down.Status.Attempt, down.Status.Err)
	}
	startRealHub(t, r.addr) // a new hub process on the same port
	waitFor(t, c, "link up after the restart", isStatus(session.LinkUp))
	waitFor(t, c, "welcome after the restart", isFrame(session.TypeWelcome))
}

func TestRealHubBadTokenRefused(t *testing.T) {
	r := startRealHub(t, "127.0.0.1:0")
	c := Dial(t.Context(), r.url(), "not-a-token", WithBackoff(time.Millisecond, time.Millisecond))
	ev := waitFor(t, c, "refused", func(ev session.LinkEvent) bool {
		return ev.Status != nil && (ev.Status.State == session.LinkRefused || ev.Status.State == session.LinkUp)
	})
	if ev.Status.State != session.LinkRefused || !strings.Contains(ev.Status.Err, "token") {
		t.Errorf("status = %+v, want refused with the hub's reason", *ev.Status)
	}
	c.Close()
	for ev := range c.Events() {
		if ev.Status != nil && ev.Status.State == session.LinkConnecting {
			t.Errorf("dialled again after the refusal: %+v", *ev.Status)
		}
	}
	if n := r.h.Health().AgentsOnline; n != 0 {
		t.Errorf("%d agents online after a bad token", n)
	}
}

func TestRealHubSecondLoginRefusesTheFirst(t *testing.T) {
	r := startRealHub(t, "127.0.0.1:0")
	first := Dial(t.Context(), r.url(), "demo-token-ada", WithBackoff(time.Millisecond, time.Millisecond))
	defer first.Close()
	waitFor(t, first, "first welcome", isFrame(session.TypeWelcome))
	second := Dial(t.Context(), r.url(), "demo-token-ada")
	defer second.Close()
	waitFor(t, second, "second welcome", isFrame(session.TypeWelcome))
	// The replaced desktop must stop, not fight the new login in a loop.
	ev := waitFor(t, first, "first refused", isStatus(session.LinkRefused))
	if ev.Status.Err == "" {
		t.Error("refused without a reason")
	}
	if err := first.Send(t.Context(), session.Envelope{Type: session.TypeReady}); !errors.Is(err, ErrOffline) {
		t.Errorf("Send on the replaced client = %v, want ErrOffline", err)
	}
}
