package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/synth"
)

// Devices opens what a recording needs. The real one uses X11, PortAudio,
// libvpx and libopus; tests replace it.
type Devices interface {
	// Screen opens display ("" means $DISPLAY) for grabbing at fps.
	Screen(display string, fps int) (capture.Screen, error)
	// Mic opens the input device called name ("" means the default).
	Mic(name string) (capture.Mic, error)
	// VideoEncoder encodes w x h frames at fps; codec is the Matroska id.
	VideoEncoder(w, h, fps int) (enc capture.VideoEncoder, codec string, err error)
	// AudioEncoder encodes mono samples at rate; preSkip is in 48 kHz
	// samples, codec the Matroska id.
	AudioEncoder(rate int) (enc capture.AudioEncoder, codec string, preSkip int, err error)
}

const recordSynopsis = `Usage: capture-agent record --out FILE.spool [--seconds N] [--fps 5] [--display :N] [--mic NAME] [--synthetic] [--force]

Records the screen and the microphone into a crash-safe spool until N
seconds have passed or SIGTERM / SIGINT comes. Without a display or a
microphone it records a synthetic one instead, with a loud warning;
--synthetic asks for both synthetic on purpose. An existing --out file is
refused (exit 1) unless --force.`

type recordFlags struct {
	out       string
	seconds   float64
	fps       int
	display   string
	mic       string
	synthetic bool
	noScreen  bool
	noMic     bool
	minFreeMB int64
	tags      tagFlag
	force     bool
}

func (m *Main) record(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := recordFlags{tags: tagFlag{}}
	fs := flagSet("capture-agent record", recordSynopsis)
	fs.StringVar(&f.out, "out", "", "the spool `file` to create (required; must not exist, unless --force)")
	fs.BoolVar(&f.force, "force", false, "replace an existing --out file")
	fs.Float64Var(&f.seconds, "seconds", 0, "stop after this many seconds (0: at SIGTERM / SIGINT)")
	fs.IntVar(&f.fps, "fps", 5, "screen frames per second (1..30)")
	fs.StringVar(&f.display, "display", "", "X display to record (default $DISPLAY)")
	fs.StringVar(&f.mic, "mic", "", "microphone `name` (default: the default input)")
	fs.BoolVar(&f.synthetic, "synthetic", false, "record a synthetic screen and a 440 Hz tone instead of the devices")
	fs.BoolVar(&f.noScreen, "no-screen", false, "record the voice only")
	fs.BoolVar(&f.noMic, "no-mic", false, "record the screen only")
	fs.Int64Var(&f.minFreeMB, "min-free", 100, "refuse to start with less free disk than this many `MB`")
	fs.Var(f.tags, "tag", "a `key=value` tag for the recording (repeatable)")
	if _, err := parse(fs, args, 0, stdout, stderr); err != nil {
		return err
	}
	switch {
	case f.out == "":
		return usageErr(fs, stderr, "--out is required")
	case f.fps < 1 || f.fps > 30:
		return usageErr(fs, stderr, "--fps %d: want 1..30", f.fps)
	case f.seconds < 0:
		return usageErr(fs, stderr, "--seconds %v: want 0 or more", f.seconds)
	case f.noScreen && f.noMic:
		return usageErr(fs, stderr, "--no-screen and --no-mic leave nothing to record")
	}
	if err := refuseExisting(f.out, "--out", f.force); err != nil {
		return err
	}
	return m.runRecording(ctx, f, stdout, stderr)
}

// runRecording opens the sources, the spool and the encoders, records,
// and reports what was kept.
func (m *Main) runRecording(ctx context.Context, f recordFlags, stdout, stderr io.Writer) error {
	src, err := m.openSources(f, stderr)
	if err != nil {
		return err
	}
	closeSrc := func() {
		if src.Screen != nil {
			src.Screen.Close()
		}
		if src.Mic != nil {
			src.Mic.Close()
		}
	}
	h := spool.Header{FPS: f.fps, Started: time.Now().UTC(), Tags: f.tags}
	var enc capture.Encoders
	if src.Screen != nil {
		w, hh := src.Screen.Size()
		h.Width, h.Height = w, hh
		if enc.Video, h.VideoCodec, err = m.devices().VideoEncoder(w, hh, f.fps); err != nil {
			closeSrc()
			return fmt.Errorf("video encoder: %w", err)
		}
		defer enc.Video.Close()
	}
	if src.Mic != nil {
		h.SampleRate, h.Channels = src.Mic.SampleRate(), 1
		if enc.Audio, h.AudioCodec, h.PreSkip, err = m.devices().AudioEncoder(h.SampleRate); err != nil {
			closeSrc()
			return fmt.Errorf("audio encoder: %w", err)
		}
		defer enc.Audio.Close()
	}
	sp, err := spool.Create(f.out, h, spool.Options{MinFree: f.minFreeMB << 20})
	if err != nil {
		closeSrc()
		return err
	}
	defer sp.Close()
	cfg := capture.Config{FPS: f.fps, CalibrateMic: !f.synthetic}
	rec, err := capture.Start(ctx, cfg, src, enc, sp)
	if err != nil {
		closeSrc()
		return err
	}
	fmt.Fprintf(stdout, "recording to %s (screen %v, voice %v)\n", f.out, src.Screen != nil, src.Mic != nil)
	if m.Started != nil {
		m.Started()
	}
	var limit <-chan time.Time
	if f.seconds > 0 {
		limit = time.After(time.Duration(f.seconds * float64(time.Second)))
	}
	select {
	case <-ctx.Done():
	case <-limit:
	case <-rec.Done():
	}
	stopErr := rec.Stop()
	st := rec.Status()
	if err := sp.Close(); err != nil && stopErr == nil {
		stopErr = err
	}
	if stopErr != nil {
		if errors.Is(stopErr, spool.ErrDiskFull) {
			fmt.Fprintf(stdout, "kept %s: %.1f s, %d bytes\n", f.out, sp.Kept().Seconds(), sp.Bytes())
		}
		return stopErr
	}
	fmt.Fprintf(stdout, "recorded %s: %.1f s, %d frames, %d bytes\n", f.out, st.Duration.Seconds(), st.Frames, sp.Bytes())
	return nil
}

// openSources opens the devices asked for. A missing device is replaced
// by a synthetic one with a loud warning; --synthetic asks for that.
func (m *Main) openSources(f recordFlags, stderr io.Writer) (capture.Sources, error) {
	var src capture.Sources
	warn := func(what string, err error) {
		fmt.Fprintf(stderr, "\n!!! WARNING: %s: %v\n!!! RECORDING A SYNTHETIC %s INSTEAD: this recording does not show the agent's real %s.\n\n",
			what, err, strings.ToUpper(what), what)
	}
	if !f.noScreen {
		if f.synthetic {
			src.Screen = synth.NewScreen(synth.ScreenOptions{Width: 640, Height: 360})
		} else if s, err := m.devices().Screen(f.display, f.fps); err != nil {
			warn("screen", err)
			src.Screen = synth.NewScreen(synth.ScreenOptions{Width: 640, Height: 360})
		} else {
			src.Screen = s
		}
	}
	if !f.noMic {
		tone := synth.NewMic(synth.MicOptions{Freq: 440, Pace: capture.NewWallClock()})
		if f.synthetic {
			src.Mic = tone
		} else if mic, err := m.devices().Mic(f.mic); err != nil {
			warn("microphone", err)
			src.Mic = tone
		} else {
			src.Mic = mic
		}
	}
	return src, nil
}

func (m *Main) devices() Devices {
	if m.Devices != nil {
		return m.Devices
	}
	return realDevices{}
}
