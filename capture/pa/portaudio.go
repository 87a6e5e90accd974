package pa

/*
#cgo pkg-config: portaudio-2.0 alsa jack
#include <stdlib.h>
#include <portaudio.h>
#include <alsa/asoundlib.h>
#include <jack/jack.h>

static void alsa_silent(const char *file, int line, const char *fn, int err, const char *fmt, ...) {}
static void jack_silent(const char *msg) {}

// quiet stops ALSA and JACK from printing while PortAudio probes them.
static void quiet(void) {
	snd_lib_error_set_handler(alsa_silent);
	jack_set_error_function(jack_silent);
	jack_set_info_function(jack_silent);
}

static PaError open_input(PaStream **s, int dev, int channels, double latency, double rate, unsigned long frames) {
	PaStreamParameters in = {0};
	in.device = dev;
	in.channelCount = channels;
	in.sampleFormat = paInt16;
	in.suggestedLatency = latency;
	return Pa_OpenStream(s, &in, NULL, rate, frames, paNoFlag, NULL, NULL);
}

static const char *host_api_name(PaHostApiIndex i) {
	const PaHostApiInfo *h = Pa_GetHostApiInfo(i);
	return h ? h->name : "";
}
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// This file is our own small binding to PortAudio's blocking input API.
// DESIGN.md chose github.com/gordonklaus/portaudio; we tried it and left
// it: its OpenStream hands the stream's number to C as a fake pointer
// (unsafe.Pointer(uintptr(id))), which the race detector's pointer checks
// (checkptr, on with -race, as `make test` runs) reject with a fatal error
// on the second stream of a process; it also keeps unguarded package
// variables. We need six calls, so we make them directly.

// paError is a PortAudio error code with its text, and for a host error
// the host's code (an ALSA errno, negative) and words.
type paError struct {
	code     C.PaError
	hostCode int
	text     string
}

func (e *paError) Error() string { return e.text }

// newPaError wraps a PortAudio error code (nil for paNoError).
func newPaError(code C.PaError) error {
	if code == C.paNoError {
		return nil
	}
	e := &paError{code: code, text: C.GoString(C.Pa_GetErrorText(code))}
	if code == C.paUnanticipatedHostError {
		if h := C.Pa_GetLastHostErrorInfo(); h != nil {
			e.hostCode = int(h.errorCode)
			if t := C.GoString(h.errorText); t != "" {
				e.text += ": " + t
			}
		}
	}
	return e
}

// isCode reports whether err is PortAudio's error code.
func isCode(err error, code C.PaError) bool {
	var e *paError
	return errors.As(err, &e) && e.code == code
}

// denied reports whether err is the system refusing access.
func denied(err error) bool {
	var e *paError
	return errors.As(err, &e) && (e.hostCode == -int(syscall.EACCES) || e.hostCode == -int(syscall.EPERM))
}

// paInit initialises PortAudio (reference counted by PortAudio; caller
// holds paMu).
func paInit() error {
	C.quiet()
	return newPaError(C.Pa_Initialize())
}

// paTerminate undoes one paInit (caller holds paMu).
func paTerminate() { C.Pa_Terminate() }

// device is what we need of a PortAudio device.
type device struct {
	index       int
	name        string
	inputs      int
	rate        float64
	highLatency float64 // seconds
	hostAPI     string
}

// paDevices lists the devices and says which is the default input (-1
// for none). Caller holds paMu with PortAudio initialised.
func paDevices() ([]device, int, error) {
	n := C.Pa_GetDeviceCount()
	if n < 0 {
		return nil, -1, newPaError(C.PaError(n))
	}
	devs := make([]device, 0, int(n))
	for i := C.PaDeviceIndex(0); i < n; i++ {
		d := C.Pa_GetDeviceInfo(i)
		if d == nil {
			continue
		}
		devs = append(devs, device{index: int(i), name: C.GoString(d.name), inputs: int(d.maxInputChannels),
			rate: float64(d.defaultSampleRate), highLatency: float64(d.defaultHighInputLatency),
			hostAPI: C.GoString(C.host_api_name(d.hostApi))})
	}
	return devs, int(C.Pa_GetDefaultInputDevice()), nil
}

// stream is an open blocking input stream of 16-bit samples.
type stream struct {
	s        unsafe.Pointer // *C.PaStream
	channels int
}

// openInput opens (not starts) a blocking input stream on dev. Caller
// holds paMu.
func openInput(dev device, channels, rate, frames int) (*stream, error) {
	var s unsafe.Pointer
	err := newPaError(C.open_input(&s, C.int(dev.index), C.int(channels), C.double(dev.highLatency),
		C.double(rate), C.ulong(frames)))
	if err != nil {
		return nil, err
	}
	return &stream{s: s, channels: channels}, nil
}

func (s *stream) start() error { return newPaError(C.Pa_StartStream(s.s)) }
func (s *stream) stop() error  { return newPaError(C.Pa_StopStream(s.s)) }

func (s *stream) close() error { return newPaError(C.Pa_CloseStream(s.s)) }

// read blocks until buf (interleaved, a whole number of frames) is full.
// paInputOverflowed still fills buf (samples were lost before it).
func (s *stream) read(buf []int16) error {
	if len(buf) == 0 || len(buf)%s.channels != 0 {
		return fmt.Errorf("pa: read of %d samples on %d channels", len(buf), s.channels)
	}
	return newPaError(C.Pa_ReadStream(s.s, unsafe.Pointer(&buf[0]), C.ulong(len(buf)/s.channels)))
}

// busy reports whether err says the device is in use or gone.
func busy(err error) bool { return isCode(err, C.paDeviceUnavailable) }

// overflowed reports whether err only says samples were lost before this
// read (the read itself succeeded).
func overflowed(err error) bool { return isCode(err, C.paInputOverflowed) }

// available is how many frames can be read without blocking.
func (s *stream) available() (int, error) {
	n := C.Pa_GetStreamReadAvailable(s.s)
	if n < 0 {
		return 0, newPaError(C.PaError(n))
	}
	return int(n), nil
}
