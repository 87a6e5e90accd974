// Command chathub is the contact centre's server: the customer web chat
// page, the agent websocket, routing and the recording store (package hub).
//
//	chathub --config FILE [--listen ADDR] [--store DIR]
//	chathub --demo [--config FILE] [--listen ADDR] [--store DIR]
//	chathub user list|add|passwd|token|revoke|disable|enable|remove|team …
//	chathub audit key|verify|prove|check-proof …
//	chathub retention run [--dry-run] | restore | erase …
//	chathub hold list|place|lift …
//	chathub version
//
// Exit codes: 0 ok, 1 runtime failure, 2 bad flags or bad config.
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
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

const usage = `chathub — the agentdesk contact centre server

Usage:
  chathub --config FILE [--listen ADDR] [--store DIR]
  chathub --demo [--config FILE] [--listen ADDR] [--store DIR]
  chathub user …         manage users, teams and API tokens (chathub user --help)
  chathub audit …        the audit log: key, verify, prove, check-proof (chathub audit --help)
  chathub retention …    retention dry run and run, restore, erasure (chathub retention --help)
  chathub hold …         legal holds: list, place, lift (chathub hold --help)
  chathub version        print the version (also --version)

Serves the customer web chat page on "/", customers on /v1/customer,
agent desktops on /v1/agent, a health check on /healthz, readiness on
/readyz (503 while the store or the files' storage does not answer, or
the hub shuts down), Prometheus metrics on /metrics (with
metrics.token_file; docs/operations.md), the recording
API, and the recording store: uploads on /v1/uploads/, files on /v1/files/.
With a cluster: section it is one of several hubs over NATS: the core
that holds every chat, an edge that holds sockets for it, or (role auto)
whichever the store makes it; any hub can die (docs/cluster.md).
With tls.cert_file and tls.key_file in the config it serves HTTPS and WSS
only (docs/configuration.md; behind a reverse proxy: docs/reverse-proxy.md).

The store folder holds the hub's memory (index.db: every chat, line,
contact, agent state and finished recording, written before anyone is
told) and the stored recording files. Restarted on the same folder, the
hub resumes every live chat where it was; SIGTERM tells customers and
agents it is restarting, and they reconnect.

Flags:
  --config FILE   hub configuration (YAML, see docs/configuration.md; start
                  from configs/chathub.yaml with tokens of your own)
  --demo          try it out: without --config, run on the built-in
                  configs/chathub.yaml, and accept its published demo
                  tokens (anyone who read them can read every chat: keep
                  a demo hub on loopback)
  --listen ADDR   address to listen on, e.g. 127.0.0.1:8080 (overrides
                  "listen" in the config)
  --store DIR     the store folder (overrides "store.dir"); without any,
                  chats are kept in memory only and lost at exit
  --log-format F  text (default) or json: one JSON object per line, for a
                  log collector
  --log-level L   debug, info (default), warn or error
  --version       print the version and exit
  -h, --help      show this help

Exit codes: 0 ok, 1 runtime failure, 2 bad flags or bad config.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Version is the chathub version (the desktop's protocol version line).
const Version = hubclient.Version

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "user" {
		return runUser(args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "audit" {
		return runAudit(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "retention" || args[0] == "hold") {
		return runRetention(ctx, args[0], args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("chathub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "", "address to listen on")
	cfgPath := fs.String("config", "", "configuration file")
	storeDir := fs.String("store", "", "recording store folder")
	version := fs.Bool("version", false, "print the version")
	demo := fs.Bool("demo", false, "run on the demo config and accept its published tokens")
	logFormat := fs.String("log-format", "text", "text or json")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "chathub: %v\n\n%s", err, usage)
		return 2
	}
	if *version || (fs.NArg() == 1 && fs.Arg(0) == "version") {
		fmt.Fprintf(stdout, "chathub %s\n", Version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "chathub: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "chathub: %v\n\n%s", err, usage)
		return 2
	}

	cfg, code := loadConfig(*cfgPath, *demo, stderr)
	if cfg == nil {
		return code
	}
	if *demo {
		log.Warn("demo mode: the published demo tokens are accepted; anyone who can reach this hub can read every chat and recording with them. Never expose a demo hub beyond this machine")
	} else {
		for _, key := range hub.ShortTokens(cfg, 16) {
			log.Warn("a token is short: use at least 16 random characters (e.g. openssl rand -hex 24)", "key", key)
		}
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if *storeDir != "" {
		cfg.Store.Dir = *storeDir
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "chathub: listen: %v\n", err)
		return 1
	}
	if cfg.Cluster.Role == hub.RoleAuto {
		n, err := hub.OpenNode(cfg, hub.Options{Log: log})
		if err != nil {
			_ = ln.Close()
			fmt.Fprintf(stderr, "chathub: %v\n", err)
			return 1
		}
		defer n.CloseStore()
		return serve(ctx, ln, n, cfg, log)
	}
	h, err := hub.Open(cfg, hub.Options{Log: log})
	if err != nil {
		_ = ln.Close()
		fmt.Fprintf(stderr, "chathub: %v\n", err)
		return 1
	}
	defer h.CloseStore()
	return serve(ctx, ln, h, cfg, log)
}

// served is what serve runs: a hub, or a cluster's node of role auto.
type served interface {
	HTTPServer() *http.Server
	Listener(net.Listener) net.Listener
	Close()
}

// loadConfig reads the config chathub runs on: --config, or with --demo
// and no --config the built-in demo config. Outside demo mode a hub
// without --config, or whose config holds a published demo token, is
// refused (exit 2): those tokens are in the repository for anyone to read.
func loadConfig(path string, demo bool, stderr io.Writer) (*hub.Config, int) {
	if path == "" && !demo {
		fmt.Fprint(stderr, "chathub: no --config given. Run it on a config of your own: --config FILE (start from\n"+
			"configs/chathub.yaml and give every agent and API token a secret of your own), or try it\n"+
			"out with --demo, which runs on the built-in demo config and its published tokens.\n")
		return nil, 2
	}
	var cfg *hub.Config
	var err error
	if path != "" {
		cfg, err = hub.LoadConfig(path)
	} else {
		cfg, err = hub.ParseConfig(configs.ChatHub)
		if err != nil {
			err = fmt.Errorf("built-in configs/chathub.yaml: %w", err)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "chathub: %v\n", err)
		return nil, 2
	}
	if demo {
		return cfg, 0
	}
	if keys := hub.PublishedTokens(cfg); len(keys) > 0 {
		fmt.Fprintf(stderr, "chathub: %s: published demo tokens in %s: anyone who has read the\n"+
			"agentdesk repository can use them to read every chat and recording. Give each token a\n"+
			"secret of your own (e.g. openssl rand -hex 24) and each user a password of their own\n"+
			"(chathub user passwd), or run with --demo to try the hub out.\n",
			path, strings.Join(keys, ", "))
		return nil, 2
	}
	return cfg, 0
}

// serve runs the hub on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h served, cfg *hub.Config, log *slog.Logger) int {
	srv := h.HTTPServer()
	ln = h.Listener(ln)
	scheme := "http"
	errc := make(chan error, 1)
	if cfg.TLS.On() {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	log.Info("chathub listening", "url", scheme+"://"+ln.Addr().String()+"/", "agents", len(cfg.Agents), "queues", len(cfg.Queues))
	select {
	case err := <-errc:
		h.Close()
		log.Error("chathub stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("chathub shutting down: clients are told it restarts; live chats stay in the store")
	h.Close() // websockets end; Shutdown does not wait for hijacked conns
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("chathub stopped")
	return 0
}

// newLogger is the hub's log on w: text or JSON lines, from level up.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}
