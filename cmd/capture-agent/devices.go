package main

import (
	"fmt"
	"log"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/pa"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// realDevices are X11, PortAudio, libvpx and libopus.
type realDevices struct{}

func (realDevices) Screen(display string, fps int) (capture.Screen, error) {
	return x11.Open(display, x11.Options{FPS: fps, Log: log.New(log.Writer(), "capture-agent: ", 0)})
}

func (realDevices) Mic(name string) (capture.Mic, error) {
	m, err := pa.Open(pa.Options{Device: name})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (realDevices) VideoEncoder(w, h, fps int) (capture.VideoEncoder, string, error) {
	e, err := vpx.NewEncoder(vpx.Options{Width: w, Height: h, FPS: fps})
	if err != nil {
		return nil, "", err
	}
	return e, "V_VP8", nil
}

func (realDevices) AudioEncoder(rate int) (capture.AudioEncoder, string, int, error) {
	if rate != opus.SampleRate {
		return nil, "", 0, fmt.Errorf("opus: the microphone gives %d Hz, the encoder takes %d", rate, opus.SampleRate)
	}
	e, err := opus.NewEncoder(opus.Options{})
	if err != nil {
		return nil, "", 0, err
	}
	return e, "A_OPUS", e.Lookahead(), nil
}
