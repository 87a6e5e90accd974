package capture_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/synth"
)

// openVoice opens the voice path: a 440 Hz tone paced by the wall clock
// through Opus. (The PortAudio path replaces the tone when capture/pa
// lands.)
func openVoice(t *testing.T) (capture.Mic, capture.AudioEncoder, int) {
	t.Helper()
	enc, err := opus.NewEncoder(opus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { enc.Close() })
	return synth.NewMic(synth.MicOptions{Freq: 440, Pace: capture.NewWallClock()}), enc, enc.Lookahead()
}
