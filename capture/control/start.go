package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
	"github.com/agentdesk/agentdesk/session"
)

// startLocked begins a chat's capture: a spool always (the transcript
// needs its file even without media), the devices when free.
func (c *Controller) startLocked(ctx context.Context, ch *session.Chat, wantScreen bool) *chatCapture {
	cc := &chatCapture{id: ch.ID, base: c.spoolBase(ch.ID), started: time.Now().UTC(), snap: ch.ChatData,
		parts: map[string][]webm.Part{}, states: map[string]string{}, fresh: true}
	if _, err := os.Stat(cc.base + ".spool"); err == nil {
		// a chat of the same id was captured before (a spool not yet
		// recovered): keep both
		cc.base += "-" + cc.started.Format("150405.000000")
	}
	c.chats[ch.ID] = cc
	var src capture.Sources
	var enc capture.Encoders
	h := spool.Header{Started: cc.started, Tags: map[string]string{"interaction": ch.ID, "agent": c.agentLocked()}}
	var notes []string
	clock := c.cfg.Clock()
	leftBase, left, resumed := c.takeLeftover(ch.ID) // the desktop came back to the chat
	switch {
	case c.cfg.Devices == nil:
		notes = append(notes, "capture is off: recording the transcript only")
	case c.owner != "":
		notes = append(notes, fmt.Sprintf("screen and microphone are busy with chat %s: recording the transcript only", c.owner))
	default:
		src, enc, h, notes = c.openDevices(clock, wantScreen, h)
	}
	var sp *spool.Writer
	err := errors.New("no spool yet")
	if resumed {
		if sp, resumed = c.carryOn(cc, leftBase, left, h); resumed {
			err = nil
		}
	}
	if sp == nil {
		sp, err = spool.Create(cc.base+".spool", h, spool.Options{MinFree: c.cfg.MinFree})
	}
	if err != nil {
		closeAll(src, enc)
		src, enc = capture.Sources{}, capture.Encoders{}
		notes = []string{fmt.Sprintf("cannot record to disk: %v — recording the transcript only", err)}
		if errors.Is(err, spool.ErrLowDisk) {
			notes = []string{err.Error() + " — recording the transcript only"}
		}
	} else {
		cc.sp = sp
	}
	if src.Screen != nil || src.Mic != nil {
		cfg := capture.Config{FPS: c.cfg.FPS, Clock: clock, CalibrateMic: c.cfg.CalibrateMic, Terminal: src.Screen != nil}
		var sink capture.Sink = sp
		if cc.off > 0 {
			sink = offsetSink{sp, cc.off}
		}
		rec, err := capture.Start(context.WithoutCancel(ctx), cfg, src, enc, sink)
		if err != nil {
			closeAll(src, enc)
			notes = []string{fmt.Sprintf("capture failed: %v — recording the transcript only", err)}
		} else {
			cc.rec, cc.enc, cc.voiceUp, cc.screen = rec, enc, src.Mic != nil, src.Screen != nil
			c.owner = ch.ID
			if cc.screen {
				c.term.Store(rec)
			}
		}
	}
	cc.note = strings.Join(notes, "; ")
	c.logf("capture %s: started (screen %v, voice %v) %s", ch.ID, cc.screen, cc.voiceUp, cc.note)
	return cc
}

// openDevices opens the mic (always) and the screen (when asked) with
// their encoders; what fails is said in words and left out.
func (c *Controller) openDevices(clock capture.Clock, wantScreen bool, h spool.Header) (capture.Sources, capture.Encoders, spool.Header, []string) {
	var src capture.Sources
	var enc capture.Encoders
	var micErr, scrErr error
	d := c.cfg.Devices
	if m, err := d.Mic(clock); err != nil {
		micErr = err
	} else if a, codec, pre, err := d.AudioEncoder(m.SampleRate()); err != nil {
		m.Close()
		micErr = err
	} else {
		src.Mic, enc.Audio = m, a
		h.AudioCodec, h.SampleRate, h.Channels, h.PreSkip = codec, m.SampleRate(), 1, pre
	}
	if wantScreen {
		if s, err := d.Screen(c.cfg.FPS); err != nil {
			scrErr = err
		} else if w, hh := s.Size(); true {
			if v, codec, err := d.VideoEncoder(w, hh, c.cfg.FPS); err != nil {
				s.Close()
				scrErr = err
			} else {
				src.Screen, enc.Video = s, v
				h.VideoCodec, h.Width, h.Height, h.FPS = codec, w, hh, c.cfg.FPS
			}
		}
	}
	var notes []string
	rest := "recording the transcript only"
	if src.Mic != nil {
		rest = "recording voice and transcript"
	}
	if scrErr != nil {
		notes = append(notes, fmt.Sprintf("screen capture failed: %v — %s", scrErr, rest))
	}
	if micErr != nil {
		rest = "recording the transcript only"
		if src.Screen != nil {
			rest = "recording screen and transcript"
		}
		notes = append(notes, fmt.Sprintf("microphone capture failed: %v — %s", micErr, rest))
	}
	return src, enc, h, notes
}

func closeAll(src capture.Sources, enc capture.Encoders) {
	if src.Screen != nil {
		src.Screen.Close()
	}
	if src.Mic != nil {
		src.Mic.Close()
	}
	if enc.Video != nil {
		enc.Video.Close()
	}
	if enc.Audio != nil {
		enc.Audio.Close()
	}
}

// stopLocked ends a capture's recording and spool without combining.
// The recording's Stop may wait up to its StopTimeout for the mic.
func (c *Controller) stopLocked(cc *chatCapture) {
	if cc.rec != nil {
		c.term.CompareAndSwap(cc.rec, nil)
		if err := cc.rec.Stop(); err != nil {
			c.logf("capture %s: %v", cc.id, err)
		}
		closeAll(capture.Sources{}, cc.enc) // the recording closed the sources
	}
	if cc.sp != nil {
		if err := cc.sp.Close(); err != nil {
			c.logf("capture %s: spool: %v", cc.id, err)
		}
	}
	if c.owner == cc.id {
		c.owner = ""
	}
}

// finishLocked ends a done chat's capture and combines its recordings in
// the background.
func (c *Controller) finishLocked(ctx context.Context, cc *chatCapture) {
	if cc.done {
		return
	}
	if ch := c.desk.Chat(cc.id); ch != nil {
		cc.snap = ch.ChatData
	}
	cc.done = true
	c.saveSnap(cc)
	rec, sp, enc := cc.rec, cc.sp, cc.enc
	if rec != nil {
		c.term.CompareAndSwap(rec, nil)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if rec != nil {
			if err := rec.Stop(); err != nil {
				c.logf("capture %s: %v", cc.id, err)
			}
			closeAll(capture.Sources{}, enc)
		}
		if sp != nil {
			if err := sp.Close(); err != nil {
				c.logf("capture %s: spool: %v", cc.id, err)
			}
		}
		c.mu.Lock()
		if c.owner == cc.id {
			c.owner = ""
		}
		sc := sidecar{Started: cc.started, Agent: c.agentLocked(), Chat: cc.snap, Parts: cc.parts, Mark: cc.mark}
		c.mu.Unlock()
		// an abandoned chat's end was not seen: its recordings get files
		// under the fallback name, as after a crash
		err := c.combineChat(context.WithoutCancel(ctx), cc.base, sc, cc.mark == "")
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			c.errs = append(c.errs, err)
			c.logf("capture %s: %v (the spool is kept and combined at the next start)", cc.id, err)
		}
		if c.chats[cc.id] == cc {
			delete(c.chats, cc.id)
		}
	}()
}
