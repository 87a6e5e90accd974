// Command chathub is the contact centre's server: the customer web chat
// page, the agent websocket, routing and the recording store (package hub).
//
//	chathub [--listen ADDR] [--config FILE] [--store DIR]
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
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session/hubclient"
)

const usage = `chathub — the agentdesk contact centre server

Usage:
  chathub [--listen ADDR] [--config FILE] [--store DIR]
  chathub version        print the version (also --version)

Serves the customer web chat page on "/", customers on /v1/customer,
agent desktops on /v1/agent, a health check on /healthz, the recording
API, and the recording store: uploads on /v1/uploads/, files on /v1/files/.

The store folder holds the hub's memory (index.db: every chat, line,
contact, agent state and finished recording, written before anyone is
told) and the stored recording files. Restarted on the same folder, the
hub resumes every live chat where it was; SIGTERM tells customers and
agents it is restarting, and they reconnect.

Flags:
  --listen ADDR   address to listen on, e.g. 127.0.0.1:8080 (overrides
                  "listen" in the config)
  --config FILE   hub configuration (YAML, see docs/configuration.md);
                  without it the built-in example configs/chathub.yaml is used
  --store DIR     the store folder (overrides "store.dir"); without any,
                  chats are kept in memory only and lost at exit
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
	fs := flag.NewFlagSet("chathub", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "", "address to listen on")
	cfgPath := fs.String("config", "", "configuration file")
	storeDir := fs.String("store", "", "recording store folder")
	version := fs.Bool("version", false, "print the version")
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
	log := slog.New(slog.NewTextHandler(stderr, nil))

	var cfg *hub.Config
	var err error
	if *cfgPath != "" {
		cfg, err = hub.LoadConfig(*cfgPath)
	} else {
		cfg, err = hub.ParseConfig(configs.ChatHub)
		if err != nil {
			err = fmt.Errorf("built-in configs/chathub.yaml: %w", err)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "chathub: %v\n", err)
		return 2
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
	h, err := hub.Open(cfg, hub.Options{Log: log})
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "chathub: %v\n", err)
		return 1
	}
	defer h.CloseStore()
	return serve(ctx, ln, h, cfg, log)
}

// serve runs the hub on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h *hub.Server, cfg *hub.Config, log *slog.Logger) int {
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("chathub listening", "url", "http://"+ln.Addr().String()+"/", "agents", len(cfg.Agents), "queues", len(cfg.Queues))
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
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("chathub stopped")
	return 0
}
