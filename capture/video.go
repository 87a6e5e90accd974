package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"
)

// SlateColour is the dark grey of the "recording paused" slate.
func SlateColour() [3]uint8 { return [3]uint8{48, 48, 48} }

// SlateBand is the colour of the band across the slate's middle, which a
// test (or a reviewer scrubbing the video) recognises.
func SlateBand() [3]uint8 { return [3]uint8{255, 128, 0} }

// DrawSlate paints the "recording paused" slate: dark grey with an orange
// band across the middle third, two pause bars in the band, and the words
// RECORDING PAUSED below it.
func DrawSlate(f *Frame) {
	w, h := f.Width, f.Height
	grey, band := SlateColour(), SlateBand()
	f.FillRect(0, 0, w, h, grey[0], grey[1], grey[2])
	top := h / 3 &^ 1
	f.FillRect(0, top, w, h/3, band[0], band[1], band[2])
	bw, bh := max(w/40&^1, 2), h/5&^1
	y := h/2 - bh/2&^1
	f.FillRect(w/2-2*bw, y, bw, bh, grey[0], grey[1], grey[2])
	f.FillRect(w/2+bw, y, bw, bh, grey[0], grey[1], grey[2])
	slateWords(f)
}

// video is the state of the video loop.
type video struct {
	frame, slate *Frame
	next         time.Duration // the next tick
	interval     time.Duration
	lastKey      time.Duration
	needKey      bool
	paused       bool
	slated       bool // the slate was encoded since the pause began
	stopped      bool // the screen stream ended (error or no screen)
	encoded      bool // a frame was encoded at lastTick
	lastTick     time.Duration
	held         *Frame // the frame the last encode was of
	rects        []image.Rectangle
	active       []byte // the active map, when screen and encoder have one
}

// videoLoop runs the clock ticks and the commands until Stop, ctx, or a
// fatal error. It is the only goroutine that writes marks.
func (r *Recording) videoLoop(ctx context.Context) {
	defer close(r.done)
	defer r.cancel()
	v := &video{interval: time.Second / time.Duration(r.cfg.FPS), needKey: true, lastKey: -1}
	if r.src.Screen != nil {
		v.frame = NewFrame(r.src.Screen.Size())
		v.slate = NewFrame(r.src.Screen.Size())
		DrawSlate(v.slate)
	} else {
		v.stopped = true
	}
	for {
		select {
		case <-r.clock.After(v.next):
			if !r.tick(v) {
				r.finish(v, r.clock.Now())
				return
			}
		case c := <-r.cmds:
			now := r.clock.Now()
			r.voicePause(c.kind, now)
			if !r.catchUp(v, now) {
				c.reply <- r.Err()
				r.finish(v, now)
				return
			}
			err := r.apply(v, c.kind, now)
			if c.kind == cmdStop || r.Err() != nil {
				r.finish(v, now)
				c.reply <- err
				return
			}
			c.reply <- err
		case <-ctx.Done():
			r.finish(v, r.clock.Now())
			return
		}
	}
}

// voicePause starts or ends the voice's pause at now, the moment a Pause
// or Resume arrived, before the video catches up: the audio loop goes on
// encoding meanwhile (a slow tick on a busy machine took 280 ms), and
// every block it encodes after now must already be silenced, or no longer
// (R-G4). The video applies the command at the same now.
func (r *Recording) voicePause(k cmdKind, now time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.pauses)
	open := n > 0 && r.pauses[n-1].to < 0
	switch {
	case k == cmdPause && !open:
		r.pauses = append(r.pauses, span{now, -1})
	case k == cmdResume && open:
		r.pauses[n-1].to = now
	}
}

// catchUp handles every tick due by now, in the state before a command.
func (r *Recording) catchUp(v *video, now time.Duration) bool {
	for v.next <= now {
		if !r.tick(v) {
			return false
		}
	}
	return true
}

// tick handles the tick at v.next: a grab and maybe an encode, or the
// slate while paused. It reports false on a fatal error.
func (r *Recording) tick(v *video) bool {
	t := v.next
	v.next += v.interval
	v.lastTick, v.encoded = t, false
	if now := r.clock.Now(); now-v.next > time.Second {
		// Far behind (a stalled machine): skip to the present rather
		// than encode a backlog; the held frame covers the gap.
		skip := now - now%v.interval + v.interval
		r.mu.Lock()
		r.st.Dropped += int((skip - v.next) / v.interval)
		r.mu.Unlock()
		v.next = skip
	}
	defer func() {
		if r.cfg.OnFrame != nil {
			r.cfg.OnFrame(t)
		}
	}()
	if v.stopped {
		return true
	}
	keyDue := v.needKey || t-v.lastKey >= r.cfg.KeyEvery
	if v.paused {
		if v.slated && !keyDue {
			return true
		}
		v.slated = true
		return r.encode(v, v.slate, t, true)
	}
	t0 := time.Now()
	changed, err := r.src.Screen.Grab(v.frame)
	r.mu.Lock()
	r.st.Grabs++
	r.st.GrabTime += time.Since(t0)
	r.mu.Unlock()
	if err != nil {
		v.stopped = true
		r.setScreen(false)
		r.streamErr(fmt.Errorf("screen capture stopped: %w", err))
		return r.mark(MarkError, t, "screen: "+err.Error())
	}
	if !changed && !keyDue {
		return true
	}
	if !keyDue {
		r.setActive(v)
	}
	return r.encode(v, v.frame, t, keyDue)
}

// setActive tells an encoder that takes an active map which macroblocks
// the frame just grabbed changed, when the screen says. A failure only
// leaves the encoder coding every macroblock.
func (r *Recording) setActive(v *video) {
	cr, ok1 := r.src.Screen.(ChangeReporter)
	as, ok2 := r.enc.Video.(ActiveSetter)
	if !ok1 || !ok2 {
		return
	}
	cols, rows := (v.frame.Width+15)/16, (v.frame.Height+15)/16
	if v.active == nil {
		v.active = make([]byte, cols*rows)
	}
	clear(v.active)
	v.rects = cr.Changed(v.rects[:0])
	for _, rc := range v.rects {
		for y := max(rc.Min.Y/16, 0); y < min((rc.Max.Y+15)/16, rows); y++ {
			for x := max(rc.Min.X/16, 0); x < min((rc.Max.X+15)/16, cols); x++ {
				v.active[y*cols+x] = 1
			}
		}
	}
	_ = as.SetActive(v.active)
}

func (r *Recording) encode(v *video, f *Frame, t time.Duration, key bool) bool {
	v.encoded, v.held = true, f
	t0 := time.Now()
	pkts, err := r.enc.Video.Encode(f, t, key)
	r.addEncodeTime(time.Since(t0))
	if err != nil {
		v.stopped = true
		r.setScreen(false)
		r.streamErr(fmt.Errorf("screen encoder: %w", err))
		return r.mark(MarkError, t, "video encoder: "+err.Error())
	}
	for _, p := range pkts {
		p.Track = TrackVideo
		if err := r.out.WritePacket(p); err != nil {
			r.fail(err)
			return false
		}
		if p.Key {
			v.lastKey = p.PTS
			v.needKey = false
		}
		r.mu.Lock()
		r.st.Frames++
		r.mu.Unlock()
	}
	return true
}

// apply carries out a command at media time now.
func (r *Recording) apply(v *video, k cmdKind, now time.Duration) error {
	switch k {
	case cmdPause:
		if v.paused {
			return nil
		}
		v.paused, v.slated = true, false
		r.mu.Lock()
		r.st.Paused = true
		r.mu.Unlock()
		r.mark(MarkPause, now, "recording paused")
		if r.term != nil {
			r.term.pause(now)
		}
	case cmdResume:
		if !v.paused {
			return nil
		}
		v.paused, v.needKey = false, true
		r.mu.Lock()
		r.st.Paused = false
		r.mu.Unlock()
		r.mark(MarkResume, now, "recording resumed")
		if r.term != nil {
			r.term.resume(now)
		}
	case cmdStopVoice:
		if r.audio == nil || !r.audio.stop(now) {
			return nil
		}
		r.mark(MarkVoiceStop, now, "contact disconnected")
	case cmdStop:
		// finish does it
	}
	return r.Err()
}

// finish ends both streams at media time now and writes the MarkStop.
func (r *Recording) finish(v *video, now time.Duration) {
	if r.audio != nil && r.audio.stop(now) && r.Err() == nil {
		r.mark(MarkVoiceStop, now, "voice stopped with the recording")
	}
	if r.audio != nil {
		r.audio.wait(r.cfg.StopTimeout)
	}
	if !v.stopped && !v.encoded && v.held != nil && r.Err() == nil {
		// The held picture again at the last tick, so the video lasts
		// to the end in every player.
		r.encode(v, v.held, v.lastTick, false)
	}
	if r.src.Screen != nil {
		_ = r.src.Screen.Close()
	}
	if r.term != nil {
		r.term.stop()
	}
	r.setScreen(false)
	if r.Err() == nil {
		r.mark(MarkStop, now, "recording stopped")
	} else if !errors.Is(r.Err(), ErrStopped) {
		_ = r.out.WriteMark(Mark{Kind: MarkError, PTS: now, Text: r.Err().Error()})
	}
	r.mu.Lock()
	r.ended = now
	r.mu.Unlock()
}

// mark writes a mark; a sink error is fatal. It reports success.
func (r *Recording) mark(k MarkKind, t time.Duration, text string) bool {
	if err := r.out.WriteMark(Mark{Kind: k, PTS: t, Text: text}); err != nil {
		r.fail(err)
		return false
	}
	return true
}

func (r *Recording) setScreen(on bool) {
	r.mu.Lock()
	r.st.Screen = on
	r.mu.Unlock()
}
