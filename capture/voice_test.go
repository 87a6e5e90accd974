package capture_test

import (
	"testing"

	"github.com/agentdesk/agentdesk/capture"
)

// openVoice opens the real voice path (PulseAudio sine source through
// PortAudio, Opus). Nil until capture/pa and capture/opus land.
func openVoice(t *testing.T) (capture.Mic, capture.AudioEncoder, int) {
	t.Helper()
	return nil, nil, 0
}
