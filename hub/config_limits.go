package hub

import (
	"fmt"
	"time"
)

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

	// Connections and time (issue 10): what a client that connects and
	// then does nothing, or too much, may hold.
	MaxConnections   int           `yaml:"max_connections"`    // open TCP connections, every kind
	ConnectionsPerIP int           `yaml:"connections_per_ip"` // ... from one address (not a trusted proxy's)
	MaxCustomers     int           `yaml:"max_customers"`      // customer sockets in all; 0: 9/10 of max_connections
	MaxTransfers     int           `yaml:"max_transfers"`      // upload and download requests at once
	HelloTimeout     time.Duration `yaml:"hello_timeout"`      // a socket must say hello (agent) or join (customer) by then
	PingInterval     time.Duration `yaml:"ping_interval"`      // a socket quiet this long is pinged ...
	PingTimeout      time.Duration `yaml:"ping_timeout"`       // ... and closed when no pong comes by then
	IdleTimeout      time.Duration `yaml:"idle_timeout"`       // a keep-alive HTTP connection idle this long is closed
	RequestTimeout   time.Duration `yaml:"request_timeout"`    // reading and answering a plain request
	StallTimeout     time.Duration `yaml:"stall_timeout"`      // an upload or download that moves no byte this long is cut off
}

// DefaultLimits are the limits of a config that leaves them out.
func DefaultLimits() Limits {
	return Limits{
		MaxLineBytes: 4096, MaxLinesPerChat: 2000, MaxTranscriptBytes: 512 << 10,
		HistorySessions: 5, HistoryBytes: 256 << 10,
		MessageRate: 2, MessageBurst: 10, TypingRate: 20, TypingBurst: 40,
		CustomersPerIP: 20,
		MaxConnections: 10000, ConnectionsPerIP: 256, MaxTransfers: 64,
		HelloTimeout: 10 * time.Second, PingInterval: 30 * time.Second, PingTimeout: 20 * time.Second,
		IdleTimeout: 60 * time.Second, RequestTimeout: 30 * time.Second, StallTimeout: time.Minute,
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
		{"max_connections", &l.MaxConnections, d.MaxConnections}, {"connections_per_ip", &l.ConnectionsPerIP, d.ConnectionsPerIP},
		{"max_customers", &l.MaxCustomers, 0}, {"max_transfers", &l.MaxTransfers, d.MaxTransfers},
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
	for _, f := range []struct {
		key string
		v   *time.Duration
		def time.Duration
	}{
		{"hello_timeout", &l.HelloTimeout, d.HelloTimeout}, {"ping_interval", &l.PingInterval, d.PingInterval},
		{"ping_timeout", &l.PingTimeout, d.PingTimeout}, {"idle_timeout", &l.IdleTimeout, d.IdleTimeout},
		{"request_timeout", &l.RequestTimeout, d.RequestTimeout}, {"stall_timeout", &l.StallTimeout, d.StallTimeout},
	} {
		switch {
		case *f.v < 0:
			bad("limits.%s: %s is negative; leave it out for %s", f.key, *f.v, f.def)
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 100*time.Millisecond:
			bad("limits.%s: %s is too short to be met over a network; give at least 100ms (%s is the default)", f.key, *f.v, f.def)
		}
	}
	if l.MaxCustomers > l.MaxConnections {
		bad("limits.max_customers (%d) is more than limits.max_connections (%d): agents would find no room", l.MaxCustomers, l.MaxConnections)
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
