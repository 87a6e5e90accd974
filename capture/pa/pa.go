// Package pa is the real microphone, through PortAudio
// (github.com/gordonklaus/portaudio, cgo, Debian portaudio19-dev). On Linux
// PortAudio reaches PulseAudio (or PipeWire's pulse server) through its
// ALSA host API and the ALSA pulse plugin (Debian libasound2-plugins): the
// input devices are then "pulse" and "default"; see capture/internal/pulse
// for the headless setup the tests use.
//
// A Mic reads fixed 20 ms blocks from a PortAudio stream in its own
// goroutine, with the blocking read API but only once a whole block is
// waiting, and hands them to Read: Close ends a blocked Read at once
// whatever the device does, and a device that goes silent (the sound
// server died) is an error after 5 s instead of a hang. The first second or two of a capture may
// arrive in a burst: a caller must count samples, never time its reads.
//
// # PortAudio's global state
//
// PortAudio is initialised per process (Pa_Initialize is reference
// counted in C) and its calls are not safe from several threads at once.
// Calls from several goroutines (two Mics opened in parallel tests, doctor
// listing devices while a recording runs) must therefore be serialised
// process wide. That is the one piece of package-level state here, a
// mutex (paMu): it guards no data of ours, only the library's. Each Open
// and each Devices call initialises PortAudio and the matching Close (or
// the end of Devices) terminates it, so nothing stays initialised between
// uses. The blocking Pa_ReadStream runs outside the lock: PortAudio allows
// reading one stream while other calls go on.
//
// The binding is our own (portaudio.go), not github.com/gordonklaus/portaudio
// as DESIGN.md planned: see the note there.
package pa

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Errors, in words an agent or an installer can act on.
var (
	// ErrNoDevice: PortAudio found no input device at all.
	ErrNoDevice = errors.New("no audio input device: is PulseAudio running? set PULSE_SERVER")
	// ErrDeviceNotFound: no input device has the asked-for name.
	ErrDeviceNotFound = errors.New("no audio input device by that name")
	// ErrPermission: the system refused access to the microphone.
	ErrPermission = errors.New("microphone permission denied")
	// ErrUnavailable: the PortAudio library could not start.
	ErrUnavailable = errors.New("PortAudio not available")
	// ErrStalled: the device delivered nothing for seconds.
	ErrStalled = errors.New("microphone stopped delivering sound: is the sound server (PulseAudio) still running?")
)

// paMu serialises every call into PortAudio (see the package doc).
var paMu sync.Mutex

// DeviceInfo describes an audio input device, for `agentdesk doctor`.
type DeviceInfo struct {
	Name              string
	MaxInputChannels  int
	DefaultSampleRate float64
	// Default is true for the system's default input device.
	Default bool
	// HostAPI is PortAudio's host API ("ALSA", "JACK Audio Connection Kit").
	HostAPI string
}

// Devices lists the input devices PortAudio sees.
func Devices() ([]DeviceInfo, error) {
	paMu.Lock()
	defer paMu.Unlock()
	if err := initialize(); err != nil {
		return nil, err
	}
	defer paTerminate()
	devs, def, err := paDevices()
	if err != nil {
		return nil, fmt.Errorf("pa: list devices: %w", err)
	}
	var out []DeviceInfo
	for _, d := range devs {
		if d.inputs > 0 {
			out = append(out, DeviceInfo{Name: d.name, MaxInputChannels: d.inputs,
				DefaultSampleRate: d.rate, Default: d.index == def, HostAPI: d.hostAPI})
		}
	}
	return out, nil
}

// initialize starts PortAudio (caller holds paMu).
func initialize() error {
	if err := paInit(); err != nil {
		return fmt.Errorf("pa: %w: %v", ErrUnavailable, err)
	}
	return nil
}

// findInput picks the input device: the default one for "", else the
// first whose name equals name, else the first that contains it (case
// folded). Caller holds paMu with PortAudio initialised.
func findInput(name string) (device, error) {
	devs, def, err := paDevices()
	if err != nil {
		return device{}, fmt.Errorf("pa: list devices: %w", err)
	}
	var inputs []device
	for _, d := range devs {
		if d.inputs > 0 {
			inputs = append(inputs, d)
		}
	}
	if len(inputs) == 0 {
		return device{}, fmt.Errorf("pa: %w", ErrNoDevice)
	}
	if name == "" {
		for _, d := range inputs {
			if d.index == def {
				return d, nil
			}
		}
		return device{}, fmt.Errorf("pa: no default input: %w", ErrNoDevice)
	}
	for _, d := range inputs {
		if d.name == name {
			return d, nil
		}
	}
	low := strings.ToLower(name)
	names := make([]string, len(inputs))
	for i, d := range inputs {
		if strings.Contains(strings.ToLower(d.name), low) {
			return d, nil
		}
		names[i] = fmt.Sprintf("%q", d.name)
	}
	return device{}, fmt.Errorf("pa: %w: %q (inputs: %s)", ErrDeviceNotFound, name, strings.Join(names, ", "))
}

// openError puts a failed stream open in words.
func openError(dev string, err error) error {
	switch {
	case denied(err):
		return fmt.Errorf("pa: open %q: %w (%v)", dev, ErrPermission, err)
	case busy(err):
		return fmt.Errorf("pa: open %q: device busy or gone: %w", dev, err)
	}
	// Anything else: on Linux almost always the sound server (gone, or
	// not reachable where PULSE_SERVER says), so say that.
	return fmt.Errorf("pa: open %q: %v: %w", dev, err, ErrNoDevice)
}
