package capture_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/pa"
)

// openVoice opens the real voice path: a private PulseAudio whose default
// source is the 440 Hz sine, read through PortAudio, coded with Opus.
func openVoice(t *testing.T) (capture.Mic, capture.AudioEncoder, int) {
	t.Helper()
	pulse.Start(t)
	return openMic(t)
}

// openMic opens the default input through PortAudio and an Opus encoder.
func openMic(t *testing.T) (capture.Mic, capture.AudioEncoder, int) {
	t.Helper()
	mic, err := pa.Open(pa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mic.Close() })
	enc, err := opus.NewEncoder(opus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { enc.Close() })
	return mic, enc, enc.Lookahead()
}
