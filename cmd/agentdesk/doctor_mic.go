package main

import (
	"context"
	"io"
	"log"
)

// checkMics lists the audio inputs and tests one for a second.
func (d *doctor) checkMics(ctx context.Context) {
	d.say("Microphones")
	d.problem("PortAudio is missing from this build: no microphone can be opened",
		"build agentdesk with cgo and PortAudio (Debian: apt-get install portaudio19-dev libasound2-plugins)")
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
