package hub

import "fmt"

// Limits bound what one client can make the hub hold or do (issue 9, X-4):
// every refusal is an error code the client is told, nothing already
// stored is lost, and nobody else is slowed. docs/configuration.md
// documents each key and its default.
type Limits struct {
	MaxLineBytes       int     `yaml:"max_line_bytes"`               // one message's text
	MaxLinesPerChat    int     `yaml:"max_lines_per_chat"`           // lines of one chat's transcript
	MaxTranscriptBytes int     `yaml:"max_transcript_bytes"`         // one chat's transcript, as the frames that carry it
	HistorySessions    int     `yaml:"history_sessions"`             // earlier sessions sent with an offer (R-I2)
	HistoryBytes       int     `yaml:"history_bytes"`                // ... and at most about this much of their text
	MessageRate        float64 `yaml:"customer_messages_per_second"` // every frame but typing notices: refused beyond
	MessageBurst       int     `yaml:"customer_message_burst"`
	TypingRate         float64 `yaml:"customer_typing_per_second"` // typing notices: dropped beyond
	TypingBurst        int     `yaml:"customer_typing_burst"`
	CustomersPerIP     int     `yaml:"customers_per_ip"` // open customer sockets from one address
}

// DefaultLimits are the limits of a config that leaves them out.
func DefaultLimits() Limits {
	return Limits{
		MaxLineBytes: 4096, MaxLinesPerChat: 2000, MaxTranscriptBytes: 512 << 10,
		HistorySessions: 5, HistoryBytes: 256 << 10,
		MessageRate: 2, MessageBurst: 10, TypingRate: 20, TypingBurst: 40,
		CustomersPerIP: 20,
	}
}

// snapshotBudget is how large a chat snapshot may grow: the desktop reads
// frames of up to 4 MiB, and a snapshot carries the transcript, the
// history and the recording state.
const snapshotBudget = 3 << 20

// validateLimits fills in the defaults of the keys left out and checks
// the rest.
func (c *Config) validateLimits(bad func(string, ...any)) {
	l, d := &c.Limits, DefaultLimits()
	ints := []struct {
		key string
		v   *int
		def int
	}{
		{"max_line_bytes", &l.MaxLineBytes, d.MaxLineBytes}, {"max_lines_per_chat", &l.MaxLinesPerChat, d.MaxLinesPerChat},
		{"max_transcript_bytes", &l.MaxTranscriptBytes, d.MaxTranscriptBytes}, {"history_sessions", &l.HistorySessions, d.HistorySessions},
		{"history_bytes", &l.HistoryBytes, d.HistoryBytes}, {"customer_message_burst", &l.MessageBurst, d.MessageBurst},
		{"customer_typing_burst", &l.TypingBurst, d.TypingBurst}, {"customers_per_ip", &l.CustomersPerIP, d.CustomersPerIP},
	}
	for _, f := range ints {
		switch {
		case *f.v < 0:
			bad("limits.%s: %d is negative; leave it out for %d", f.key, *f.v, f.def)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		key string
		v   *float64
		def float64
	}{{"customer_messages_per_second", &l.MessageRate, d.MessageRate}, {"customer_typing_per_second", &l.TypingRate, d.TypingRate}} {
		switch {
		case *f.v < 0:
			bad("limits.%s: %v is negative; leave it out for %v", f.key, *f.v, f.def)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if int64(l.MaxLineBytes) > c.MaxFrameBytes {
		bad("limits.max_line_bytes (%d) must not be larger than max_frame_bytes (%d): a longer line could not be sent", l.MaxLineBytes, c.MaxFrameBytes)
	}
	if l.MaxTranscriptBytes < 4*l.MaxLineBytes {
		bad("limits.max_transcript_bytes (%d) should hold at least 4 lines of max_line_bytes (%d)", l.MaxTranscriptBytes, l.MaxLineBytes)
	}
	if sum := l.MaxTranscriptBytes + l.HistoryBytes; sum > snapshotBudget {
		bad("limits.max_transcript_bytes + limits.history_bytes is %d; keep it at most %d (%s) so a chat's snapshot stays under the desktop's 4 MiB frame limit",
			sum, snapshotBudget, fmt.Sprintf("%d MiB", snapshotBudget>>20))
	}
}
