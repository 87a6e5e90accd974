package script_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui"
	"github.com/agentdesk/agentdesk/ui/script"
	"github.com/agentdesk/agentdesk/ui/script/netcut"
	"github.com/agentdesk/agentdesk/ui/script/recapi"
	"github.com/agentdesk/agentdesk/ui/script/simcustomers"
)

// examplesDir holds the scripts docs/scripting.md shows; each runs here
// against a real hub (the shipped demo config), the real desktop model and
// real simulated customers, as `agentdesk demo --script FILE` would.
const examplesDir = "../../docs/examples"

// startHub serves a hub with the demo config on 127.0.0.1:0.
func startHub(t *testing.T) string {
	t.Helper()
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Dir = t.TempDir()
	h, err := hub.Open(cfg, hub.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		h.Close()
		srv.Close()
		h.CloseStore()
	})
	return "http://" + ln.Addr().String()
}

// runDesktop runs s against a fresh hub as the demo agent Ada.
func runDesktop(t *testing.T, s *script.Script, events io.Writer, update bool) (*script.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := startHub(t)
	// The desktop reaches the hub through a relay that `hub down` cuts.
	relay, err := netcut.New(strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	client := hubclient.Dial(ctx, relay.URL(), "demo-token-ada", hubclient.WithBackoff(100*time.Millisecond, time.Second))
	defer client.Close()
	log := script.NewEventLog(events, nil)
	defer log.Close() // no event lands in events after this returns
	customers := simcustomers.New(url)
	defer customers.Close()
	api, err := recapi.New(url, "demo-token-sue", nil) // the shipped config's supervisor
	if err != nil {
		t.Fatal(err)
	}
	model := ui.New(ui.Options{Hub: script.TapHub(ctx, client, log)})
	return script.Run(ctx, s, script.Env{
		Model:     model,
		Customers: customers,
		Hub:       relay,
		API:       api,
		Events:    log,
		Update:    update,
	})
}

func TestExamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(examplesDir, "*.script"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example scripts in %s: %v", examplesDir, err)
	}
	update := os.Getenv("UPDATE_SNAPSHOTS") != ""
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			s, err := script.Load(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			var events bytes.Buffer
			res, err := runDesktop(t, s, &events, update)
			if code := script.ExitCode(res, err); code != script.ExitPass {
				var out bytes.Buffer
				script.Report(&out, &out, res, err)
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			wants := []string{`"dir":"in"`, `"dir":"out"`, `"kind":"key"`, `"kind":"check"`, `"kind":"end","checks":`}
			if strings.Contains(events.String(), `"action":"open"`) { // a chat was offered
				wants = append(wants, `"kind":"chat_state","chat":`, `"state":"offered"`, `"state":"connected"`)
			}
			for _, want := range wants {
				if !strings.Contains(events.String(), want) {
					t.Errorf("events log lacks %s", want)
				}
			}
		})
	}
}

// TestCustomerOutOfOrder proves a customer line before its `open` fails
// the run at its line with a message that says what to add.
func TestCustomerOutOfOrder(t *testing.T) {
	s, err := script.Parse("story.script", strings.NewReader("wait \"● Connected\"\ncustomer zoe says hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := runDesktop(t, s, io.Discard, false)
	if script.ExitCode(res, err) != script.ExitFail || res.Failure.Pos.Line != 2 ||
		!strings.Contains(res.Failure.Detail, "add `customer NAME open` before") {
		t.Fatalf("got %v %+v", err, res)
	}
}
