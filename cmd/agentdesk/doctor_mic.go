package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"time"

	"github.com/agentdesk/agentdesk/capture/pa"
)

// checkMics lists the audio inputs and tests the chosen one for a second:
// the level it hears.
func (d *doctor) checkMics(ctx context.Context) {
	d.say("Microphones")
	devs, err := pa.Devices()
	switch {
	case errors.Is(err, pa.ErrUnavailable):
		d.problem(fmt.Sprintf("PortAudio is missing or cannot start: %v", err),
			"install PortAudio and the ALSA pulse plugin (Debian: apt-get install libportaudio2 libasound2-plugins)")
		return
	case err != nil:
		d.problem(fmt.Sprintf("cannot list audio inputs: %v", err), "check the sound system (PulseAudio or PipeWire) runs for this user")
		return
	}
	for _, dv := range devs {
		def := ""
		if dv.Default {
			def = " (default)"
		}
		d.say("  %s%s: %s, %.0f Hz, %s", dv.Name, def, plural(dv.MaxInputChannels, "channel"), dv.DefaultSampleRate, dv.HostAPI)
	}
	if len(devs) == 0 {
		d.problem("no microphone: no audio input device found",
			"plug in a headset, or start PulseAudio / PipeWire for this user (set PULSE_SERVER when it runs elsewhere)")
		return
	}
	level, err := testMic(ctx, d.f.mic, d.f.seconds)
	name := d.f.mic
	if name == "" {
		name = "the default input"
	}
	switch {
	case errors.Is(err, pa.ErrPermission):
		d.problem(fmt.Sprintf("no permission to open %s: %v", name, err), "allow this user to use the microphone (the audio group, or the desktop's privacy settings)")
	case errors.Is(err, pa.ErrDeviceNotFound):
		d.problem(fmt.Sprintf("no microphone called %q", d.f.mic), "pick one of the inputs listed above with --mic")
	case err != nil:
		d.problem(fmt.Sprintf("test capture of %s failed: %v", name, err), "check the microphone is connected and not used exclusively by another program")
	case math.IsInf(level, -1):
		d.problem(fmt.Sprintf("%s gives digital silence", name), "unmute the microphone (pactl set-source-mute @DEFAULT_SOURCE@ 0) or pick another with --mic")
	default:
		d.say("  test capture of %s: level %.1f dBFS over %v", name, level, d.f.seconds)
	}
}

// testMic records dur from the microphone and returns its RMS level in
// dBFS (-Inf for digital silence).
func testMic(ctx context.Context, name string, dur time.Duration) (float64, error) {
	mic, err := pa.Open(pa.Options{Device: name})
	if err != nil {
		return 0, err
	}
	defer mic.Close()
	stop := context.AfterFunc(ctx, func() { mic.Close() })
	defer stop()
	buf := make([]int16, int(dur.Seconds()*float64(mic.SampleRate())))
	if err := mic.Read(buf); err != nil {
		return 0, err
	}
	var sum float64
	for _, s := range buf {
		v := float64(s) / 32768
		sum += v * v
	}
	if sum == 0 {
		return math.Inf(-1), nil
	}
	return 10 * math.Log10(sum/float64(len(buf))), nil
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
