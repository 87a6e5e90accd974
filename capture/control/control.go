// Package control runs the desktop's capture: it follows each chat's
// recording state as the hub tells it (the same frames the desk applies)
// and drives a capture.Recording accordingly (R-V2): capture starts when a
// recording of the chat is on, pauses when every recording is paused or
// stopped (voice and screen together, R-G4, R-G5), the voice stops when the
// chat enters ACW (the contact left or the chat was ended), the screen when
// ACW ends. The screen is captured only when a recording asks for it
// (RecordingInfo.Screen, R-V1); the voice always.
//
// The screen and the microphone are one per desktop: the first chat whose
// recording starts holds them until that chat is done. A chat recorded
// meanwhile gets no media, and says so in its Status: its files hold the
// transcript alone.
//
// When the chat is done, each produced recording (the hub's final frame
// names it, R-H4) becomes one WebM (combine.go), encrypted with age when a
// recipient is configured, and goes into the upload queue. The spool is
// removed only after every file is safely in the queue (R-V10); spools a
// crash left behind are combined at the next start (Recover).
//
// The package is pure logic over interfaces: devices and the queue are
// given by cmd; tests use synthetic sources.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/durable"
)

// ErrNoSpoolDir is returned by New without a spool folder.
var ErrNoSpoolDir = errors.New("control: no spool folder")

// Devices opens what a capture needs. cmd picks real devices, synthetic
// ones, or none (each method then fails; the chats' files hold the
// transcript alone).
type Devices interface {
	// Screen opens the screen for grabbing at fps.
	Screen(fps int) (capture.Screen, error)
	// Mic opens the microphone; a synthetic one paces itself on clock.
	Mic(clock capture.Clock) (capture.Mic, error)
	// VideoEncoder encodes w x h frames at fps; codec is the Matroska id.
	VideoEncoder(w, h, fps int) (enc capture.VideoEncoder, codec string, err error)
	// AudioEncoder encodes mono samples at rate; preSkip is in 48 kHz
	// samples, codec the Matroska id.
	AudioEncoder(rate int) (enc capture.AudioEncoder, codec string, preSkip int, err error)
}

// Enqueuer takes a finished file into the upload queue (uploader.Queue).
// The file is moved in: after a nil error the caller's path is gone.
type Enqueuer interface {
	Enqueue(ctx context.Context, path string, m uploader.Manifest) (string, error)
}

// Config configures a Controller.
type Config struct {
	SpoolDir  string   // where spools and combined files are made (required)
	Devices   Devices  // nil: no devices (transcript-only files)
	Queue     Enqueuer // where finished files go (nil: they stay in SpoolDir/out)
	Recipient string   // age recipient (age1…); "" writes plain WebM
	Agent     string   // the agent's id, for the manifest and tags ("": the one the hub welcomed)
	FPS       int      // screen frames a second (0: 5)
	MinFree   int64    // refuse a spool below this much free disk (0: no floor)
	// CalibrateMic is set for real microphones (capture.Config).
	CalibrateMic bool
	// Clock makes the media clock of a capture (nil: capture.NewWallClock).
	Clock func() capture.Clock
	// Logf, when set, gets one line per event worth a log entry.
	Logf func(format string, args ...any)
	// OnFile, when set, is called after a recording's file was queued (or
	// kept, without a queue), with its path before the move and its manifest.
	OnFile func(m uploader.Manifest)
	// AwaitWelcome makes Recover keep the spool of a chat that was live
	// when the last run ended until the hub's welcome says whether the
	// chat goes on (resume.go): set it where the controller sees the
	// desktop's welcome, the desktop's own capture. Without it (a service
	// that may never see one) such a spool is combined at once.
	AwaitWelcome bool
}

// Status is what the desktop shows about a chat's capture.
type Status struct {
	Active       bool   // a capture (or a transcript-only record) runs for the chat
	Screen       bool   // the screen is being captured now
	Voice        bool   // the voice is being captured now
	Paused       bool   // both paused (R-G4, R-G5)
	VoiceStopped bool   // the contact left: voice ended, the screen goes on until ACW ends (R-V2)
	Note         string // a problem in words, e.g. "screen capture failed: … — recording the transcript only"
	Combining    bool   // the chat is done and its files are being made
	// Media is the capture's media time so far, paused time included.
	Media time.Duration
}

// Controller follows the chats and captures. Safe for concurrent use.
type Controller struct {
	cfg Config

	mu    sync.Mutex
	desk  *session.Desk
	chats map[string]*chatCapture
	owner string // the chat holding screen and mic
	// leftover are spools a desktop left while their chat was live, per
	// chat, waiting for the hub (resume.go)
	leftover map[string][]string
	wg       sync.WaitGroup
	errs     []error

	// term is the recording the text desktop's frames go to (the one
	// holding the screen), read without the lock by Frame.
	term atomic.Pointer[capture.Recording]
	// recipient is the age key files are encrypted to: Config.Recipient,
	// or else the store's key the hub's welcome told.
	recipient atomic.Pointer[string]
}

// Recipient is the age key the controller encrypts to now ("" for none).
func (c *Controller) Recipient() string {
	if r := c.recipient.Load(); r != nil {
		return *r
	}
	return ""
}

// Frame records a frame of the text desktop (the screen the desktop
// renders, cols x rows cells) into the capture holding the screen, on its
// clock; without one it does nothing. It never blocks (ui.Frames).
func (c *Controller) Frame(content string, cols, rows int) {
	if r := c.term.Load(); r != nil {
		r.Terminal(content, cols, rows)
	}
}

// chatCapture is one chat's capture.
type chatCapture struct {
	id       string
	base     string // spool path without extension
	sp       *spool.Writer
	rec      *capture.Recording
	enc      capture.Encoders
	started  time.Time // wall time of media time 0
	paused   bool
	voiceUp  bool // the capture began with voice
	voiceOff bool // StopVoice was asked (the chat entered ACW)
	screen   bool
	note     string
	snap     session.ChatData
	done     bool
	// parts are each recording's parts in media time (issue 11 point 19):
	// a part opens when the recording goes on (or continues) and closes
	// when it is stopped; a pause stays inside it.
	parts  map[string][]webm.Part
	states map[string]string // each recording's last state, to see it change
	off    time.Duration     // spool time at the capture's 0 (a spool carried on, resume.go)
	fresh  bool              // the capture just began: parts open at its 0, its first frame
	mark   string            // set by Abandon: why the chat's end was not seen
}

// mediaNow is the capture's media time now; without media (transcript
// only) the wall time since the start, which is what subtitles use.
func (cc *chatCapture) mediaNow() time.Duration {
	if cc.rec != nil {
		return cc.off + cc.rec.Status().Duration
	}
	return time.Since(cc.started)
}

// followParts opens and closes the recordings' parts as their states
// change: on or paused is inside a part, stopped or final is not.
func (cc *chatCapture) followParts(ch *session.Chat) {
	if ch.Recording == nil {
		return
	}
	live := func(state string) bool { return state == session.RecOn.String() || state == session.RecPaused.String() }
	now := cc.mediaNow()
	if cc.fresh { // what began the capture begins with its first frame
		now, cc.fresh = cc.off, false
	}
	for _, r := range ch.Recording.Recordings {
		prev := cc.states[r.ID]
		cc.states[r.ID] = r.State
		ps := cc.parts[r.ID]
		switch {
		case live(r.State) && !live(prev):
			cc.parts[r.ID] = append(ps, webm.Part{From: now, To: -1})
		case !live(r.State) && live(prev) && len(ps) > 0 && ps[len(ps)-1].To < 0:
			ps[len(ps)-1].To = now
		}
	}
}

// New makes a controller. It creates SpoolDir.
func New(cfg Config) (*Controller, error) {
	if cfg.SpoolDir == "" {
		return nil, ErrNoSpoolDir
	}
	if cfg.Recipient != "" {
		if _, err := uploader.Encrypt(discard{}, cfg.Recipient); err != nil {
			return nil, fmt.Errorf("control: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("control: spool folder: %w", err)
	}
	if cfg.FPS <= 0 {
		cfg.FPS = 5
	}
	if cfg.Clock == nil {
		cfg.Clock = func() capture.Clock { return capture.NewWallClock() }
	}
	c := &Controller{cfg: cfg, desk: session.NewDesk(), chats: map[string]*chatCapture{}}
	if cfg.Recipient != "" {
		r := cfg.Recipient
		c.recipient.Store(&r)
	}
	return c, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (c *Controller) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf(format, args...)
	}
}

// Observe follows one frame from the hub (call it with every frame the
// desktop gets, in order). It never blocks on I/O for long: opening the
// devices happens here, combining in the background.
func (c *Controller) Observe(ctx context.Context, e session.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Type == session.TypeState {
		var sd session.StateData
		if e.Decode(&sd) == nil && sd.State == session.Done {
			if cc := c.chats[e.Chat]; cc != nil {
				c.finishLocked(ctx, cc)
			}
			if ch := c.desk.Chat(e.Chat); ch != nil {
				c.doneLocked(ctx, ch.ChatData)
			}
		}
	}
	_, _ = c.desk.Apply(e, time.Now())
	if e.Type == session.TypeWelcome {
		if r := c.desk.Recipient; c.cfg.Recipient == "" && r != "" && r != c.Recipient() {
			if _, err := uploader.Encrypt(discard{}, r); err == nil {
				c.recipient.Store(&r) // the store's key: recordings are encrypted to it
				c.logf("recordings are encrypted to the store's key, as the hub says")
			} else {
				c.logf("the hub's store key %q is not an age key: %v", r, err)
			}
		}
		// Chats the hub no longer lists ended while the link was down.
		for id, cc := range c.chats {
			if c.desk.Chat(id) == nil {
				c.finishLocked(ctx, cc)
			}
		}
		c.welcomedLocked(ctx)
	}
	for _, ch := range c.desk.Chats() {
		c.followLocked(ctx, ch)
	}
}

// Status reports the capture of chat (the zero Status when none).
func (c *Controller) Status(chat string) Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc := c.chats[chat]
	if cc == nil {
		return Status{}
	}
	st := Status{Active: true, Paused: cc.paused, Note: cc.note, Combining: cc.done}
	if cc.rec != nil && !cc.done {
		rs := cc.rec.Status()
		st.Screen, st.Voice = rs.Screen && !cc.paused, rs.Voice && !cc.paused
		st.VoiceStopped = cc.voiceUp && !rs.Voice
		st.Media = rs.Duration
		if rs.Err != "" && st.Note == "" {
			st.Note = "capture stopped: " + rs.Err
		}
	}
	return st
}

// Wait waits until every combine started so far has finished and returns
// their errors joined.
func (c *Controller) Wait() error {
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.errs...)
}

// Close stops every capture without combining (their spools stay for
// Recover at the next start) and waits for combines in progress.
func (c *Controller) Close() error {
	c.mu.Lock()
	for id, cc := range c.chats {
		if !cc.done {
			c.stopLocked(cc)
			delete(c.chats, id)
		}
	}
	c.mu.Unlock()
	return c.Wait()
}

// recState sums up a chat's recordings: any on or paused (active), any on,
// any active one with the screen.
func recState(ch *session.Chat) (active, on, screen bool) {
	if ch.Recording == nil {
		return false, false, false
	}
	for _, r := range ch.Recording.Recordings {
		switch r.State {
		case session.RecOn.String():
			active, on = true, true
			screen = screen || r.Screen
		case session.RecPaused.String():
			active = true
			screen = screen || r.Screen
		}
	}
	return active, on, screen
}

// followLocked brings a chat's capture in line with its recording state.
func (c *Controller) followLocked(ctx context.Context, ch *session.Chat) {
	active, on, screen := recState(ch)
	cc := c.chats[ch.ID]
	if cc == nil {
		if !active || !(ch.State == session.Connected || ch.State == session.ACW) {
			return
		}
		cc = c.startLocked(ctx, ch, screen)
		if cc == nil {
			return
		}
	}
	if cc.done {
		return
	}
	cc.snap = ch.ChatData
	defer c.saveSnap(cc)
	if cc.rec == nil {
		cc.paused = !on
		cc.followParts(ch)
		return
	}
	switch {
	case !on && !cc.paused:
		// paused, or stopped between parts (R-C1): the capture idles on the
		// slate; a pause keeps that padding in the file, a stop is cut
		// (the parts, followParts)
		if err := cc.rec.Pause(); err == nil {
			cc.paused = true
		}
	case on && cc.paused:
		if err := cc.rec.Resume(); err == nil {
			cc.paused = false
		}
	}
	cc.followParts(ch) // after the capture changed: its media time is the mark's
	if ch.State == session.ACW && cc.voiceUp && !cc.voiceOff {
		cc.voiceOff = true
		if err := cc.rec.StopVoice(); err == nil || errors.Is(err, capture.ErrStopped) {
			c.logf("capture %s: voice stopped (the chat ended), the screen goes on until wrap-up ends", ch.ID)
		}
	}
}

// sidecar is what a spool's .json beside it keeps for Recover.
type sidecar struct {
	Started time.Time        `json:"started"`
	Agent   string           `json:"agent"`
	Chat    session.ChatData `json:"chat"`
	// Queued are the recordings whose files are in the queue already: a
	// combine cut short by a crash is not repeated for them.
	Queued []string `json:"queued,omitempty"`
	// Parts are each recording's parts in media time (see chatCapture).
	Parts map[string][]webm.Part `json:"parts,omitempty"`
	// Mark, when set, says why the capture was finished without the
	// chat's end (Abandon): it goes into the files' tags and manifests.
	Mark string `json:"mark,omitempty"`
}

func (c *Controller) saveSnap(cc *chatCapture) {
	b, err := json.Marshal(sidecar{Started: cc.started, Agent: c.agentLocked(), Chat: cc.snap, Parts: cc.parts, Mark: cc.mark})
	if err == nil {
		err = durable.WriteFile(cc.base+".json", b, 0o600)
	}
	if err != nil {
		c.logf("capture %s: cannot save its state: %v", cc.id, err)
	}
}

// agentLocked is the configured agent, else the one the hub welcomed.
func (c *Controller) agentLocked() string {
	if c.cfg.Agent != "" {
		return c.cfg.Agent
	}
	return c.desk.Agent.ID
}

// spoolBase is the path (without extension) of chat's spool.
func (c *Controller) spoolBase(chat string) string {
	safe := []rune(chat)
	for i, r := range safe {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			safe[i] = '_'
		}
	}
	return filepath.Join(c.cfg.SpoolDir, string(safe))
}
