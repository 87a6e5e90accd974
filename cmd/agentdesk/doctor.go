package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/x11"
	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/session/upload"
)

const doctorSynopsis = `Usage: agentdesk doctor [--display :N] [--mic NAME] [--spool-dir DIR] [--min-free MB] [--hub URL] [--ca FILE] [--token TOKEN]

Checks what recording needs on this desktop: the displays and their sizes,
the microphones, a one-second test capture of each, the free disk in the
spool directory, the hub, and whether the hub accepts the agent's token
(without signing in: a desktop running with the token stays signed in).
Ends with a verdict and the fix for each problem. Exit 0 when all is good,
1 when a problem was found.`

// doctorFlags are the doctor's settings.
type doctorFlags struct {
	display   string
	mic       string
	spoolDir  string
	minFree   int64
	hub       string
	ca        string // the desktop's --ca: the hub's CA certificate
	token     string
	recipient string // the desktop's own --recipient
	plaintext bool   // the desktop's --allow-plaintext
	seconds   time.Duration
}

// finding is one problem and its fix.
type finding struct{ problem, fix string }

// doctor writes its report as it goes; problems are collected for the
// verdict.
type doctor struct {
	out      io.Writer
	f        doctorFlags
	http     *http.Client // to the hub, trusting --ca besides the system's authorities
	problems []finding
}

func (d *doctor) say(format string, a ...any) { fmt.Fprintf(d.out, format+"\n", a...) }

func (d *doctor) problem(problem, fix string) {
	d.problems = append(d.problems, finding{problem, fix})
	d.say("  PROBLEM: %s", problem)
}

func (m *Main) doctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := doctorFlags{seconds: time.Second}
	fs := flagSet("agentdesk doctor", doctorSynopsis)
	fs.StringVar(&f.display, "display", "", "X display to check (default $DISPLAY)")
	fs.StringVar(&f.mic, "mic", "", "microphone `name` to test (default: the default input)")
	fs.StringVar(&f.spoolDir, "spool-dir", defaultSpoolDir(), "`directory` where recordings are spooled (the desktop's default; created on first use)")
	fs.Int64Var(&f.minFree, "min-free", 100, "free disk needed in the spool directory, in `MB`")
	fs.StringVar(&f.hub, "hub", "", "hub `URL` to check (default $AGENTDESK_HUB; none: not checked)")
	fs.StringVar(&f.ca, "ca", "", "the hub's CA certificate (PEM) to trust besides the system's, as the desktop's --ca (default $AGENTDESK_CA)")
	fs.StringVar(&f.token, "token", "", "the agent's `token`, checked with the hub (default $AGENTDESK_TOKEN)")
	fs.StringVar(&f.recipient, "recipient", "", "the age `key` the desktop encrypts to (its --recipient; none: the store's key the hub tells)")
	fs.BoolVar(&f.plaintext, "allow-plaintext", false, "the desktop records unencrypted on purpose (its --allow-plaintext)")
	if err := parse(fs, args, stdout, stderr); err != nil {
		return err
	}
	if f.display == "" {
		f.display = m.getenv("DISPLAY")
	}
	if f.hub == "" {
		f.hub = m.getenv("AGENTDESK_HUB")
	}
	if f.token == "" {
		f.token = m.getenv("AGENTDESK_TOKEN")
	}
	if f.ca == "" {
		f.ca = m.getenv("AGENTDESK_CA")
	}
	d := &doctor{out: stdout, f: f, http: http.DefaultClient}
	tlsCfg, err := hubclient.TLSConfig(f.ca)
	if err != nil {
		fmt.Fprintf(stderr, "agentdesk doctor: --ca: %v\n", err)
		return errUsage
	}
	if tlsCfg != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		d.http = &http.Client{Transport: tr}
	}
	d.checkDisplays(ctx)
	d.checkMics(ctx)
	d.checkDisk()
	d.checkHub(ctx)
	d.checkCaptureService(ctx)
	d.say("")
	if len(d.problems) == 0 {
		d.say("Verdict: all good: screen, microphone, disk and hub are ready to record.")
		return nil
	}
	d.say("Verdict: %s to fix before recording:", plural(len(d.problems), "problem"))
	for i, p := range d.problems {
		d.say("  %d. %s\n     fix: %s", i+1, p.problem, p.fix)
	}
	return exitCode(exitFailure)
}

func (d *doctor) checkDisplays(ctx context.Context) {
	d.say("Displays")
	if d.f.display == "" {
		d.problem("no DISPLAY: there is no screen to record", "start an X session or set DISPLAY (for example DISPLAY=:0), or pass --display")
		return
	}
	mons, err := x11.Displays(d.f.display)
	if err != nil {
		d.problem(fmt.Sprintf("display %s cannot be opened: %v", d.f.display, err),
			"start an X session or set DISPLAY to a running one; allow this user on it (xhost +SI:localuser:$USER)")
		return
	}
	for _, mon := range mons {
		b := mon.Bounds
		d.say("  %s monitor %d: %dx%d at +%d+%d", d.f.display, mon.Index, b.Dx(), b.Dy(), b.Min.X, b.Min.Y)
	}
	frames, per, how, err := testScreen(ctx, d.f.display, d.f.seconds)
	if err != nil {
		d.problem(fmt.Sprintf("test capture of %s failed: %v", d.f.display, err), "check the X server allows screen capture (MIT-SHM or GetImage) for this user")
		return
	}
	d.say("  test capture: %d frames in %v (%.2f ms a grab); capture path %s", frames, d.f.seconds, float64(per)/float64(time.Millisecond), how)
	if frames == 0 {
		d.problem("the test capture grabbed no frame", "check the X server is responsive")
	}
}

// testScreen grabs the whole display at 5 fps for dur: 5 frames a second.
func testScreen(ctx context.Context, display string, dur time.Duration) (int, time.Duration, string, error) {
	src, err := x11.Open(display, x11.Options{FPS: 5, Log: discardLog()})
	if err != nil {
		return 0, 0, "", err
	}
	how := src.Describe()
	defer src.Close()
	f := capture.NewFrame(src.Size())
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	n := max(int(dur/(200*time.Millisecond)), 1)
	var spent time.Duration
	for i := range n {
		t0 := time.Now()
		if _, err := src.Grab(f); err != nil {
			return i, 0, how, err
		}
		spent += time.Since(t0)
		if i == n-1 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return i + 1, 0, how, ctx.Err()
		}
	}
	return n, spent / time.Duration(n), how, nil
}

func (d *doctor) checkDisk() {
	d.say("Disk")
	base := existingParent(d.f.spoolDir)
	if st, err := os.Stat(base); err == nil && !st.IsDir() {
		d.problem(fmt.Sprintf("spool directory %s cannot be created: %s is not a directory", d.f.spoolDir, base), "create the directory or pass --spool-dir with one that can be created")
		return
	}
	free, err := spool.FreeSpace(base)
	if err != nil {
		d.problem(fmt.Sprintf("spool directory %s: %v", d.f.spoolDir, err), "create the directory or pass --spool-dir with one that exists")
		return
	}
	d.say("  %s: %d MB free (the floor is %d MB)", d.f.spoolDir, free>>20, d.f.minFree)
	if free < d.f.minFree<<20 {
		d.problem(fmt.Sprintf("only %d MB free in %s, under the %d MB floor: recording would refuse to start", free>>20, d.f.spoolDir, d.f.minFree),
			"free disk space there, or spool elsewhere with --spool-dir")
	}
}

// plural says n things: "1 problem", "2 problems".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// existingParent is dir, or its nearest ancestor that exists: the desktop
// creates its spool folder on first use, and the free space is the same.
func existingParent(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			return d
		}
	}
}

func (d *doctor) checkHub(ctx context.Context) {
	d.say("Hub")
	if d.f.hub == "" {
		d.say("  not checked: give --hub URL (or AGENTDESK_HUB)")
		return
	}
	u := strings.TrimSuffix(d.f.hub, "/")
	u = strings.Replace(strings.Replace(u, "wss://", "https://", 1), "ws://", "http://", 1)
	if i := strings.Index(u, "/v1/"); i > 0 {
		u = u[:i]
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/healthz", nil)
	if err != nil {
		d.problem(fmt.Sprintf("hub address %q: %v", d.f.hub, err), "give the hub's address, for example --hub http://hub.example:8080")
		return
	}
	resp, err := d.http.Do(req)
	if err != nil {
		if words := hubclient.TLSWords(req.URL.Host, err); words != "" {
			problem, fix := words, "ask IT about the hub's certificate"
			if i := strings.LastIndex(words, "): "); i > 0 { // "what (why): what to do"
				problem, fix = words[:i+1], words[i+3:]
			}
			if strings.Contains(fix, "--ca") {
				fix += " (or AGENTDESK_CA; the desktop needs the same)"
			}
			d.problem(problem, fix)
			return
		}
		d.problem(fmt.Sprintf("hub %s unreachable: %v", u, errors.Unwrap(err)), "check the address and that chathub runs there and the network lets you reach it")
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.problem(fmt.Sprintf("hub %s/healthz answered %s", u, resp.Status), "check the address points at chathub and that it is healthy (see its log)")
		return
	}
	d.say("  %s: healthy", u)
	d.checkToken(ctx, u)
	d.checkKey(ctx, u)
}

// checkKey says what recordings are encrypted to: the desktop's own
// key, else the store's key the hub tells; with neither it is a problem,
// unless plaintext was chosen.
func (d *doctor) checkKey(ctx context.Context, hub string) {
	if d.f.recipient != "" {
		d.say("  encryption: to the desktop's own key (--recipient)")
		return
	}
	var key struct {
		Recipient string `json:"recipient"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, hub+"/v1/store/key", nil)
	if err == nil {
		var resp *http.Response
		if resp, err = d.http.Do(req); err == nil {
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("GET /v1/store/key answered %s (a chathub older than this desktop?)", resp.Status)
			} else {
				err = json.NewDecoder(io.LimitReader(resp.Body, 4<<10)).Decode(&key)
			}
			resp.Body.Close()
		}
	}
	switch {
	case err != nil:
		d.problem(fmt.Sprintf("the hub's store key: %v", err), "check the address points at chathub")
	case key.Recipient != "":
		d.say("  encryption: to the store's key the hub tells (%s…)", key.Recipient[:min(16, len(key.Recipient))])
	case d.f.plaintext:
		d.say("  encryption: none, chosen (--allow-plaintext)")
	default:
		d.problem("recordings would NOT be encrypted: the hub has no store key and the desktop none",
			"set store.recipient (or store.identity_file) in the hub's config, or give the desktop --recipient age1…; --allow-plaintext records unencrypted on purpose")
	}
}

// checkToken asks the hub whether it knows the agent's token, through the
// upload contract's verify route (docs/uploads.md) with a checksum no file
// has: 404 means the token is an agent's, 401 that it is not. Signing in
// would answer too, but it would sign out a desktop running with the token.
func (d *doctor) checkToken(ctx context.Context, hub string) {
	if d.f.token == "" {
		d.say("  token: not checked: give --token (or AGENTDESK_TOKEN)")
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, hub+upload.VerifyPath+strings.Repeat("0", 64), nil)
	if err != nil {
		d.problem(fmt.Sprintf("token check: %v", err), "check the hub address")
		return
	}
	req.Header.Set("Authorization", "Bearer "+d.f.token)
	resp, err := d.http.Do(req)
	if err != nil {
		d.problem(fmt.Sprintf("token check: %v", errors.Unwrap(err)), "check the network to the hub")
		return
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotFound:
		d.say("  token: accepted: the hub knows it as an agent's")
	case http.StatusUnauthorized:
		d.problem("the hub does not accept the token: the desktop would be refused (exit 1)",
			"use the agent's token from the hub's config (agents[].token), or ask the hub's admin for it")
	case http.StatusServiceUnavailable:
		d.problem("the hub has no recording store: recordings cannot be uploaded to it (and the token cannot be checked)",
			"set store.dir in the hub's config, or deliver recordings with --upload-dir")
	default:
		d.problem(fmt.Sprintf("token check: the hub answered %s", resp.Status), "check the address points at chathub (see its log)")
	}
}
