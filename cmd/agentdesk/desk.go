package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/agentdesk/agentdesk/configs/yamlerr"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui"
)

// errNoHub is returned by resolve when the hub or the token is missing.
var errNoHub = errors.New("no hub address or no token")

// fileConfig is the optional desktop config file IT can push.
type fileConfig struct {
	Hub   string `yaml:"hub"`
	Token string `yaml:"token"`
	Bell  *bool  `yaml:"bell"` // ring the terminal bell on a new offer (nil: yes)
	// RecordingsDir is the folder My Recordings offers for downloads.
	RecordingsDir string `yaml:"recordings_dir"`
}

// fileConfigKeys names the keys for an unknown one.
const fileConfigKeys = "the file has the keys hub, token, bell and recordings_dir"

// loadFileConfig reads a desktop config file; unknown keys are errors,
// said in the file's words (the key, its line, what it wants).
func loadFileConfig(path string) (fileConfig, error) {
	var c fileConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("config %s: %s", path, yamlerr.Explain(b, err, fileConfigKeys))
	}
	return c, nil
}

// resolve picks the hub address and token: flags win over the
// environment, which wins over the config file. It returns errNoHub when
// either is missing, and a wrapped error naming the file when the config
// file cannot be used. fc is the file's settings (zero without a file).
func (m *Main) resolve(flagHub, flagToken, cfgPath string) (url, token string, fc fileConfig, err error) {
	if cfgPath != "" {
		if fc, err = loadFileConfig(cfgPath); err != nil {
			return "", "", fc, err
		}
	}
	url = first(flagHub, m.getenv("AGENTDESK_HUB"), fc.Hub)
	token = first(flagToken, m.getenv("AGENTDESK_TOKEN"), fc.Token)
	if url == "" || token == "" {
		return url, token, fc, errNoHub
	}
	return url, token, fc, nil
}

// bellFlag is --bell: ring the terminal bell when an offer alerts.
func bellFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("bell", true, "ring the terminal bell when a new offer alerts (--bell=false: quiet; config file key bell)")
}

// bellOn is --bell when given, else the config file's bell, else on.
func bellOn(fs *flag.FlagSet, flagBell bool, fc fileConfig) bool {
	if given(fs, "bell") || fc.Bell == nil {
		return flagBell
	}
	return *fc.Bell
}

// first returns the first non-empty value.
func first(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// deskSynopsis is what --help says beyond the usage of every command.
const deskSynopsis = `The desktop (agentdesk [flags]) connects to the hub as the agent whose
token is given and shows My Interactions. URL and TOKEN may also come from
AGENTDESK_HUB / AGENTDESK_TOKEN or from the config file (YAML, keys: hub,
token, bell, recordings_dir). Flags win over the environment, which wins
over the file. A token the hub refuses ends the desktop with exit code 1. A
hub on https:// whose certificate a private CA signed is trusted with --ca
FILE (that CA's certificate, PEM; or AGENTDESK_CA).

With --script the desktop runs without a terminal and the script's keys and
checks drive it (docs/scripting.md); the exit code is 0 when every check
passed, 1 when one failed (its line, what was expected and the screen are
printed) and 2 when the script is wrong (file:line:col). See also:
agentdesk demo --help.

Recording: while a chat has a recording on, the screen (when the recording
asks for it) and the microphone are captured into a crash-safe spool; when
the chat is done each recording becomes one WebM (encrypted with --recipient)
and is uploaded to the hub (or --upload-dir) at once or inside the
--upload-window. U or f2 shows the Uploads panel.

My Recordings (M or f3) lists the agent's own recordings made with Record,
newest first, from the hub; enter on one downloads it decrypted into a
folder (--recordings-dir, default ~/Recordings, changeable each time; never
over another file) or opens its player in the browser ($BROWSER, else
xdg-open with a display; without one the address is shown to copy).`

// desk runs the desktop against a hub.
func (m *Main) desk(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet("agentdesk", strings.TrimRight(usage, "\n")+"\n\n"+deskSynopsis)
	hubURL := fs.String("hub", "", "hub address, e.g. http://chathub.example:8080 (env AGENTDESK_HUB)")
	token := fs.String("token", "", "the agent's token (env AGENTDESK_TOKEN)")
	cfgPath := fs.String("config", "", "YAML file with hub and token")
	logPath := fs.String("log", "", "append the connection log to this file (default: no log)")
	caFile := fs.String("ca", "", "trust the hub's certificate by this CA certificate (PEM) besides the system's (env AGENTDESK_CA)")
	bell := bellFlag(fs)
	recDir := recordingsDirFlag(fs)
	cf := addCaptureFlags(fs)
	sf := addScriptFlags(fs)
	if err := parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	run, err := sf.prepare(stdin, stdout, stderr)
	if err != nil {
		return err
	}
	if run != nil {
		defer run.Close()
	}
	url, tok, fc, err := m.resolve(*hubURL, *token, *cfgPath)
	if errors.Is(err, errNoHub) {
		fmt.Fprintln(stderr, "agentdesk: which hub, and who are you? Give --hub and --token (or AGENTDESK_HUB / AGENTDESK_TOKEN, or --config FILE).\n"+
			"To try agentdesk without a hub: agentdesk demo")
		return errUsage
	}
	if err != nil { // a bad config file is the user's input: exit 2 too
		fmt.Fprintf(stderr, "agentdesk: %v\n", err)
		return errUsage
	}
	if cf.hubTLS, err = hubclient.TLSConfig(first(*caFile, m.getenv("AGENTDESK_CA"))); err != nil {
		fmt.Fprintf(stderr, "agentdesk: --ca: %v\n", err)
		return errUsage
	}
	if run == nil { // a script needs no terminal
		if err := m.needTTY(stdin); err != nil {
			return err
		}
	}
	log, closeLog, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer closeLog()

	rec, closeRec, err := cf.openRecorder(ctx, run != nil, false, url, tok, log)
	if errors.Is(err, errCaptureFlags) {
		fmt.Fprintf(stderr, "agentdesk: %v\n", err)
		return errUsage
	}
	if err != nil {
		return err
	}
	defer closeRec()
	client := hubclient.Dial(ctx, url, tok, hubclient.WithLogger(log), hubclient.WithVersion(Version), hubclient.WithTLS(cf.hubTLS))
	defer client.Close()
	mr := myRecOptions(url, tok, cf.hubTLS, first(*recDir, fc.RecordingsDir), m.getenv)
	if run != nil {
		// no simulated customers, no network control, no recording API
		return run.run(ctx, client, scriptPeers{rec: rec, myrec: mr}, stdout, stderr)
	}
	return m.tui(ctx, mr.apply(rec.options(ui.Options{Hub: rec.hub(ctx, client), Directory: client, Files: chatFiles{client}, FilesDir: "~/Downloads", Bell: bellOn(fs, *bell, fc)})), stdin, stdout)
}

// openLog opens a text logger appending to path (created when missing,
// never truncated: a log given twice keeps both runs); an empty path
// discards.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}
