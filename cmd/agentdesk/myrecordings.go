package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/session/hubclient"
	"github.com/agentdesk/agentdesk/ui"
)

// defaultRecordingsDir is the folder My Recordings offers for downloads
// when neither --recordings-dir nor the config file's recordings_dir says.
const defaultRecordingsDir = "~/Recordings"

// recordingsDirFlag is --recordings-dir.
func recordingsDirFlag(fs *flag.FlagSet) *string {
	return fs.String("recordings-dir", "", "the `DIR` My Recordings (M) offers to download into; the agent may change it\neach time (config file key recordings_dir; default "+defaultRecordingsDir+")")
}

// myRecordings is the hub's store as the My Recordings panel uses it
// (ui.MyRecordings on hubclient.Store).
type myRecordings struct{ s *hubclient.Store }

var _ ui.MyRecordings = myRecordings{}

// newMyRecordings is the panel's store on the hub at url for the agent's
// token, trusting its certificate by cfg (nil: the system's).
func newMyRecordings(url, token string, cfg *tls.Config) (ui.MyRecordings, error) {
	s, err := hubclient.NewStore(url, token, cfg)
	if err != nil {
		return nil, err
	}
	return myRecordings{s: s}, nil
}

// Page lists a page of the agent's own ad hoc recordings, newest first.
func (m myRecordings) Page(ctx context.Context, cursor string) (ui.RecordingPage, error) {
	p, err := m.s.MyRecordings(ctx, cursor, 0)
	if err != nil {
		return ui.RecordingPage{}, err
	}
	out := ui.RecordingPage{Next: p.Next, Recordings: make([]ui.StoredRecording, 0, len(p.Recordings)+len(p.Dropped))}
	for _, r := range append(p.Recordings, p.Dropped...) {
		sr := ui.StoredRecording{ID: r.ID, Interaction: r.Interaction, Customer: r.Customer, Queue: r.Queue,
			Finished: r.FinishedAt, Duration: r.Duration()}
		if !r.Produced {
			sr.NotKept = first(r.Why, "not kept")
		}
		if m := r.Mail; m != nil { // issue 13: how far its e-mail to the agent got
			sr.Mail = &ui.MailState{State: m.State, Sent: m.Sent, Tries: m.Tries, Why: m.Why, Link: m.Link}
		}
		for _, f := range r.Files {
			sr.Files = append(sr.Files, ui.StoredFile{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size})
		}
		out.Recordings = append(out.Recordings, sr)
	}
	// the page's kept and dropped recordings, newest first together
	sort.SliceStable(out.Recordings, func(i, j int) bool { return out.Recordings[i].Finished.After(out.Recordings[j].Finished) })
	return out, nil
}

// Download saves a file decrypted into dir (~ is the home folder).
func (m myRecordings) Download(ctx context.Context, f ui.StoredFile, dir string, progress func(done, total int64)) (ui.SavedFile, error) {
	dir, err := expandHome(dir)
	if err != nil {
		return ui.SavedFile{}, err
	}
	s, err := m.s.Download(ctx, hubclient.StoredFile{ID: f.ID, Name: f.Name, SHA256: f.SHA256, Size: f.Size}, dir, progress)
	if err != nil {
		return ui.SavedFile{}, err
	}
	return ui.SavedFile{Path: s.Path, Size: s.Size, SHA256: s.SHA256, Checked: s.Checked}, nil
}

// PlayerURL is the recording's player on the hub.
func (m myRecordings) PlayerURL(id string) string { return m.s.PlayerURL(id) }

// myRecSetup is what the desktop's My Recordings panel is given.
type myRecSetup struct {
	store ui.MyRecordings
	dir   string
	open  func(string) error
}

// myRecOptions sets up My Recordings on the hub at url for the agent's
// token; dir "" offers defaultRecordingsDir.
func myRecOptions(url, token string, cfg *tls.Config, dir string, getenv func(string) string) *myRecSetup {
	s, err := newMyRecordings(url, token, cfg)
	if err != nil {
		s = brokenStore{err}
	}
	return &myRecSetup{store: s, dir: first(dir, defaultRecordingsDir), open: opener(getenv)}
}

// apply puts the panel's settings into o; a nil setup leaves o as it is.
func (s *myRecSetup) apply(o ui.Options) ui.Options {
	if s != nil {
		o.MyRecordings, o.RecordingsDir, o.OpenURL = s.store, s.dir, s.open
	}
	return o
}

// brokenStore is the panel's store when the hub's address is unusable:
// the panel says why.
type brokenStore struct{ err error }

func (b brokenStore) Page(context.Context, string) (ui.RecordingPage, error) {
	return ui.RecordingPage{}, b.err
}

func (b brokenStore) Download(context.Context, ui.StoredFile, string, func(int64, int64)) (ui.SavedFile, error) {
	return ui.SavedFile{}, b.err
}

func (b brokenStore) PlayerURL(string) string { return "" }

// expandHome turns a leading ~ into the home folder and makes the path
// absolute.
func expandHome(dir string) (string, error) {
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home folder for %s: %w", dir, err)
		}
		dir = filepath.Join(home, strings.TrimPrefix(dir, "~"))
	}
	return filepath.Abs(dir)
}

// browserWait is how long an opener may take to fail before it is taken
// to have opened the page.
const browserWait = 3 * time.Second

// opener opens addresses in the agent's browser: $BROWSER (a list of
// commands separated by ':', %s for the address), else xdg-open (open on
// macOS) when there is a display. It never gives the browser the
// terminal: a text browser would fight the desktop for it. With none it
// returns ui.ErrNoBrowser, and the panel shows the address to copy.
func opener(getenv func(string) string) func(url string) error {
	return func(url string) error {
		var cmds [][]string
		for _, c := range strings.Split(getenv("BROWSER"), string(os.PathListSeparator)) {
			f := strings.Fields(c)
			if len(f) == 0 {
				continue
			}
			found := false
			for i := range f {
				if strings.Contains(f[i], "%s") {
					f[i], found = strings.ReplaceAll(f[i], "%s", url), true
				}
			}
			if !found {
				f = append(f, url)
			}
			cmds = append(cmds, f)
		}
		switch {
		case runtime.GOOS == "darwin":
			cmds = append(cmds, []string{"open", url})
		case getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "":
			cmds = append(cmds, []string{"xdg-open", url})
		}
		var errs []error
		for _, c := range cmds {
			path, err := exec.LookPath(c[0])
			if err != nil {
				continue
			}
			if err := startBrowser(path, c[1:]); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(path), err))
				continue
			}
			return nil
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		return ui.ErrNoBrowser
	}
}

// startBrowser runs a browser command detached from the terminal and
// waits browserWait for it to fail.
func startBrowser(path string, args []string) error {
	cmd := exec.Command(path, args...) // #nosec G204 -- the agent's own $BROWSER or xdg-open, with the hub's player address
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(browserWait):
		return nil // still running: a browser that stays
	}
}
