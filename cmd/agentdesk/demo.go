package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/sim"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui"
	"github.com/agentdesk/agentdesk/ui/script"
	"github.com/agentdesk/agentdesk/ui/script/netcut"
	"github.com/agentdesk/agentdesk/ui/script/recapi"
	"github.com/agentdesk/agentdesk/ui/script/simcustomers"
)

const demoSynopsis = `Usage: agentdesk demo [--listen ADDR] [--agent ID] [--customers N] [--config FILE] [--not-ready] [--quiet] [recording flags]
       agentdesk demo --script FILE [--config FILE] [--customers N] [--events FILE] [--snapshots DIR] [--update] [--size COLSxROWS]

Runs everything in one process: a hub on loopback (the shipped
configs/chathub.yaml, or --config FILE), simulated customers who open chats and
talk, and the desktop logged in as a demo agent, Ready at once (--not-ready:
press y when you are). The other agents of the config stay offline, so the
demo agent gets the chats. Open the printed customer web chat address in a
browser to chat as a customer too. q or ctrl+c leaves.

With --script the desktop runs without a terminal and the script drives it and
its own simulated customers (customer lines), can cut the network to the
hub (hub down / hub up) and call the hub's recording API as the config's
supervisor (api lines); no other customers come unless --customers says. The
exit code is 0 when every check passed, 1 when one failed, 2 when the script is
wrong (docs/scripting.md).

Recording: the demo makes an age key pair at start; the hub keeps the
identity (its store is a temporary folder), the desktop encrypts every
recording to the recipient and uploads it to the demo hub when the chat is
done. U or f2 shows the Uploads panel; M or f3 My Recordings, to download
a recording decrypted (--recordings-dir) or play it in the browser. The
recording flags are the desktop's (agentdesk --help).`

// Errors of the demo's setup that are the user's input (exit 2).
var (
	errUnknownAgent = errors.New("no such demo agent")
	errDemoConfig   = errors.New("demo config")
)

// Reconnect waits of the demo agent's client: the hub is on loopback, so a
// dropped link (hub down) comes back quickly.
const (
	demoBackoffFirst = 250 * time.Millisecond
	demoBackoffMax   = 2 * time.Second
)

// demoOptions configure startDemo.
type demoOptions struct {
	Listen    string       // hub address; "" → 127.0.0.1:0 (a free port)
	Agent     string       // the demo agent's id; "" → the config's first agent
	Customers int          // how many of the cast come; < 0 → all of them
	Speed     float64      // customers' pace (1 or 0: human)
	Log       *slog.Logger // nil: discard
	Config    []byte       // hub config YAML; nil → configs.ChatHub
	Cast      []sim.Persona
}

// demo is a running demo: hub, crowd and the agent's hub client, which
// reaches the hub through Net, so that the network can be cut.
type demo struct {
	URL    string // hub base, http://127.0.0.1:PORT
	Page   string // the customer web chat page
	Hub    *hub.Server
	Agent  hub.AgentConfig
	Client *hubclient.Client
	Net    *netcut.Proxy // between Client and the hub
	// APIToken is the config's first supervisor token of the recording
	// API (recording.api_tokens), which a script's api steps use; "" when
	// it has none.
	APIToken string
	// Recipient and Identity are the age key pair generated at start: the
	// hub decrypts with Identity (store.identity_file), the desktop
	// encrypts to Recipient. Empty when the config names its own identity.
	Recipient, Identity string
	// Config is the hub's configuration (a script's `agent` steps sign in
	// with its agents' tokens).
	Config *hub.Config

	tmpStore  string // the recording store's temporary folder, removed by Close; "" when store.dir is absolute
	srv       *http.Server
	stopCrowd context.CancelFunc
	crowdDone chan struct{}
	closeOnce sync.Once
}

// startDemo starts the hub on a loopback listener, the crowd and the demo
// agent's client. Close stops all of it.
func startDemo(ctx context.Context, o demoOptions) (*demo, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	raw := o.Config
	if raw == nil {
		raw = configs.ChatHub
	}
	cfg, err := hub.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDemoConfig, err)
	}
	agent, err := pickAgent(cfg, o.Agent)
	if err != nil {
		return nil, err
	}
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", listen, err)
	}
	tmpStore, err := demoStore(cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	recipient, identity, err := demoIdentity(cfg, tmpStore)
	if err != nil {
		ln.Close()
		os.RemoveAll(tmpStore)
		return nil, err
	}
	h, err := hub.Open(cfg, hub.Options{Log: log.With("part", "hub")})
	if err != nil {
		ln.Close()
		os.RemoveAll(tmpStore)
		return nil, err
	}
	d := &demo{Config: cfg, Recipient: recipient, Identity: identity, tmpStore: tmpStore, Hub: h, Agent: agent, URL: baseURL(ln.Addr()), APIToken: supervisorToken(cfg), crowdDone: make(chan struct{})}
	d.Page = d.URL + "/"
	d.srv = &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("hub server stopped", "err", err)
		}
	}()
	if d.Net, err = netcut.New(ln.Addr().String()); err != nil {
		d.Hub.Close()
		d.srv.Close()
		d.Hub.CloseStore()
		if tmpStore != "" {
			os.RemoveAll(tmpStore)
		}
		return nil, err
	}
	log.Info("demo hub listening", "url", d.URL, "agent", agent.ID, "agent_via", d.Net.URL())

	cast := o.Cast
	if cast == nil {
		cast = sim.DemoCast()
	}
	if o.Customers >= 0 && o.Customers < len(cast) {
		cast = cast[:o.Customers]
	}
	crowdCtx, stop := context.WithCancel(ctx)
	d.stopCrowd = stop
	go func() {
		defer close(d.crowdDone)
		(&sim.Crowd{BaseURL: d.URL, Cast: cast, Log: log.With("part", "crowd"), Speed: o.Speed}).Run(crowdCtx)
	}()

	d.Client = hubclient.Dial(ctx, d.Net.URL(), agent.Token, hubclient.WithBackoff(demoBackoffFirst, demoBackoffMax),
		hubclient.WithLogger(log.With("part", "client")), hubclient.WithVersion(Version))
	return d, nil
}

// Close stops the client, the crowd and the hub. It is idempotent.
func (d *demo) Close() error {
	d.closeOnce.Do(func() {
		d.Client.Close()
		d.stopCrowd()
		d.Net.Close()
		d.Hub.Close()
		d.srv.Close()
		<-d.crowdDone
		d.Hub.CloseStore()
		if d.tmpStore != "" {
			os.RemoveAll(d.tmpStore)
		}
	})
	return nil
}

// demoStore points a relative or empty store.dir at a new temporary folder
// (returned, for Close to remove), so the demo leaves nothing behind; an
// absolute store.dir is used as it is ("" returned).
func demoStore(cfg *hub.Config) (string, error) {
	if cfg.Store.Dir != "" && filepath.IsAbs(cfg.Store.Dir) {
		return "", nil
	}
	dir, err := os.MkdirTemp("", "agentdesk-demo-store-")
	if err != nil {
		return "", fmt.Errorf("demo recording store: %w", err)
	}
	cfg.Store.Dir = dir
	return dir, nil
}

// demoIdentity generates the demo's age key pair when the config names no
// identity: the identity goes into a file in the demo's temporary store
// (store.identity_file), the recipient to the desktop.
func demoIdentity(cfg *hub.Config, tmpStore string) (recipient, identity string, err error) {
	if cfg.Store.IdentityFile != "" || cfg.Store.Dir == "" || tmpStore == "" {
		return "", "", nil
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", fmt.Errorf("demo age identity: %w", err)
	}
	path := filepath.Join(tmpStore, "demo-identity.age")
	if err := os.WriteFile(path, []byte(id.String()+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("demo age identity: %w", err)
	}
	cfg.Store.IdentityFile = path
	return id.Recipient().String(), id.String(), nil
}

// supervisorToken is the first supervisor token of the recording API in
// cfg, or "".
func supervisorToken(cfg *hub.Config) string {
	for _, t := range cfg.Recording.APITokens {
		if t.Role == hub.RoleSupervisor {
			return t.Token
		}
	}
	return ""
}

// recordingAPI is the demo hub's recording API as a script calls it, or
// nil when the config has no supervisor token (api steps then exit 2).
func (d *demo) recordingAPI() script.RecordingAPI {
	c, err := recapi.New(d.URL, d.APIToken, nil)
	if err != nil {
		return nil
	}
	return c
}

// pickAgent finds the demo agent by id; "" picks the first.
func pickAgent(cfg *hub.Config, id string) (hub.AgentConfig, error) {
	if len(cfg.Agents) == 0 {
		return hub.AgentConfig{}, fmt.Errorf("%w: the config has no agents", errUnknownAgent)
	}
	if id == "" {
		return cfg.Agents[0], nil
	}
	var ids []string
	for _, a := range cfg.Agents {
		if a.ID == id {
			return a, nil
		}
		ids = append(ids, a.ID)
	}
	return hub.AgentConfig{}, fmt.Errorf("%w %q: choose one of %s", errUnknownAgent, id, strings.Join(ids, ", "))
}

// baseURL is the http address of a listener, with loopback for an
// unspecified host.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// demo is the demo subcommand.
func (m *Main) demo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet("agentdesk demo", demoSynopsis)
	listen := fs.String("listen", "127.0.0.1:0", "hub address; port 0 picks a free one")
	agent := fs.String("agent", "ada", "the demo agent you are logged in as (an agent id of the config)")
	customers := fs.Int("customers", len(sim.DemoCast()), "how many simulated customers come (0 for none: chat from the browser);\nwith --script the default is 0")
	cfgPath := fs.String("config", "", "run the demo hub on this chathub YAML `FILE` (default: the shipped configs/chathub.yaml)")
	notReady := fs.Bool("not-ready", false, "start Not ready (press y to take chats); without it the demo agent is Ready at once")
	quiet := fs.Bool("quiet", false, "print nothing but errors (no addresses before and after)")
	logPath := fs.String("log", "", "the demo's log `FILE` (the terminal belongs to the desktop); default: a new file per run,\n"+
		filepath.Join(os.TempDir(), "agentdesk-demo-*.log")+", named before and after the desktop (with --script removed\nwhen the run passes, named on stderr when not); --log '' keeps no log")
	speed := fs.Float64("speed", 1, "customers' pace: 2 is twice as fast")
	bell := bellFlag(fs)
	recDir := recordingsDirFlag(fs)
	cf := addCaptureFlags(fs)
	sf := addScriptFlags(fs)
	if err := parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	if *customers < 0 || *speed <= 0 {
		fmt.Fprintln(stderr, "agentdesk demo: --customers must be 0 or more and --speed above 0")
		return errUsage
	}
	run, err := sf.prepare(stdin, stdout, stderr)
	if err != nil {
		return err
	}
	o := demoOptions{Listen: *listen, Agent: *agent, Customers: *customers, Speed: *speed}
	if run != nil {
		defer run.Close()
		if !given(fs, "customers") {
			o.Customers = 0 // the script drives its own customers
		}
	}
	if *cfgPath != "" { // a bad file is said before anything else is asked for
		if o.Config, err = os.ReadFile(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "agentdesk demo: --config: %v\n", err)
			return errUsage
		}
		if _, err := hub.ParseConfig(o.Config); err != nil {
			fmt.Fprintf(stderr, "agentdesk demo: --config %s: %s\n", *cfgPath, strings.TrimPrefix(err.Error(), hub.ErrConfig.Error()+": "))
			return errUsage
		}
	}
	if run == nil {
		if err := m.needTTY(stdin); err != nil {
			return err
		}
	}
	tmpLog := "" // this run's own log: a script run keeps it only if it fails
	if !given(fs, "log") {
		if tmpLog, err = tempLog(); err != nil {
			return err
		}
		*logPath = tmpLog
	}
	log, closeLog, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer closeLog()
	o.Log = log

	d, err := startDemo(ctx, o)
	if errors.Is(err, errUnknownAgent) || errors.Is(err, errDemoConfig) {
		fmt.Fprintf(stderr, "agentdesk demo: %v\n", err)
		return errUsage
	}
	if err != nil {
		return err
	}
	defer d.Close()
	if cf.recipient == "" {
		cf.recipient = d.Recipient
	}
	rec, closeRec, err := cf.openRecorder(ctx, run != nil, true, d.URL, d.Agent.Token, log)
	if errors.Is(err, errCaptureFlags) {
		fmt.Fprintf(stderr, "agentdesk demo: %v\n", err)
		return errUsage
	}
	if err != nil {
		return err
	}
	defer closeRec()

	if run != nil {
		c := simcustomers.New(d.URL)
		defer c.Close()
		agents := newPeerAgents(d.URL, d.Config)
		defer agents.Close()
		err := run.run(ctx, d.Client, scriptPeers{customers: c, hub: d.Net, api: d.recordingAPI(), rec: rec, agents: agents, supers: peerSupervisors{agents},
			directory: d.Client, files: chatFiles{d.Client},
			myrec: myRecOptions(d.Net.URL(), d.Agent.Token, nil, *recDir, m.getenv)}, stdout, stderr) // hub down cuts it too
		if tmpLog != "" {
			keepLog(tmpLog, err, stderr)
		}
		return err
	}
	return m.demoDesk(ctx, d, demoDeskOptions{NotReady: *notReady, Quiet: *quiet, LogPath: *logPath, Rec: rec, Bell: *bell,
		MyRec: myRecOptions(d.URL, d.Agent.Token, nil, *recDir, m.getenv)}, stdin, stdout)
}

// demoDeskOptions are the interactive demo's settings.
type demoDeskOptions struct {
	NotReady bool      // --not-ready: no ready at the first welcome
	Quiet    bool      // --quiet: no addresses before and after
	LogPath  string    // shown with the addresses
	Rec      *recorder // capture and uploads (nil: none)
	Bell     bool      // ring the terminal bell on a new offer
	MyRec    *myRecSetup
}

// demoDesk runs the interactive desktop on a running demo: the addresses
// before and after, the agent Ready at once unless NotReady.
func (m *Main) demoDesk(ctx context.Context, d *demo, o demoDeskOptions, stdin io.Reader, stdout io.Writer) error {
	banner := "Customer web chat: " + d.Page
	say := func() {
		if !o.Quiet {
			logIn := "no log"
			if o.LogPath != "" {
				logIn = "log in " + o.LogPath
			}
			fmt.Fprintf(stdout, "agentdesk demo: hub on %s, you are %s (%s), %s\n%s\n", d.URL, d.Agent.Name, d.Agent.ID, logIn, banner)
			fmt.Fprintf(stdout, "Recordings (web app): %s/app/ (log in as sue, password demo-password-sue; the demo users are in docs/people.md)\n", d.URL)
		}
	}
	say()
	var h ui.Hub = d.Client
	if o.Rec != nil {
		h = o.Rec.hub(ctx, h) // the capture sees every frame
	}
	if !o.NotReady {
		h = readyOnWelcome(ctx, h)
	}
	uo := ui.Options{Hub: h, Banner: banner, Bell: o.Bell, Directory: d.Client, Files: chatFiles{d.Client}, FilesDir: "~/Downloads"}
	if o.Rec != nil {
		uo = o.Rec.options(uo)
	}
	uo = o.MyRec.apply(uo)
	err := m.tui(ctx, uo, stdin, stdout)
	d.Close()
	say()
	return err
}

// given reports whether the flag name was given on the command line.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
