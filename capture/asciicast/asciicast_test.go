package asciicast

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

func TestWriteReadRoundTrip(t *testing.T) {
	h := Header{Width: 10, Height: 3, Timestamp: 1700000000, Title: "chat i-42"}
	evs := []Event{
		{0, "o", "\x1b[H\x1b[2Jhello \"you\"\n\u00e9t\u00e9 <&>"},
		{1500 * time.Millisecond, "m", "recording paused"},
		{2 * time.Second, "r", "12x4"},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); !strings.Contains(first, `"version":2`) || !strings.Contains(first, `"width":10`) {
		t.Errorf("header line %q", first)
	}
	gh, got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h.Version = 2
	if gh != h || !slices.Equal(got, evs) {
		t.Errorf("read back %+v %q, want %+v %q", gh, got, h, evs)
	}
}

func TestReadBadInput(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"not json", "hello\n", "line 1"},
		{"version 1", `{"version":1,"width":80,"height":24}` + "\n", "line 1"},
		{"no size", `{"version":2}` + "\n", "line 1"},
		{"bad event", `{"version":2,"width":80,"height":24}` + "\n[0.5, \"o\"]\n", "line 2"},
		{"negative time", `{"version":2,"width":80,"height":24}` + "\n[1, \"o\", \"a\"]\n[-1, \"o\", \"b\"]\n", "line 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Read(strings.NewReader(c.in))
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Read: %v, want ErrFormat naming %q", err, c.want)
			}
		})
	}
}

func TestFromPacketAndSize(t *testing.T) {
	e, err := FromPacket(capture.Packet{Track: capture.TrackTerminal, PTS: time.Second, Data: []byte("r80x24")})
	if err != nil || e != (Event{time.Second, "r", "80x24"}) {
		t.Errorf("FromPacket: %+v, %v", e, err)
	}
	for _, bad := range [][]byte{nil, []byte("xabc")} {
		if _, err := FromPacket(capture.Packet{Data: bad}); err == nil {
			t.Errorf("FromPacket(%q): no error", bad)
		}
	}
	for _, bad := range []string{"", "80", "80x", "x24", "0x24", "80x-1", "axb", "99999x2"} {
		if _, _, err := Size(bad); err == nil {
			t.Errorf("Size(%q): no error", bad)
		}
	}
}

func TestReplay(t *testing.T) {
	h := Header{Width: 6, Height: 3}
	cases := []struct {
		name string
		evs  []Event
		want []string
	}{
		{"text and newlines", []Event{{0, "o", "ab\r\ncd"}}, []string{"ab", "cd", ""}},
		{"cursor moves and styles", []Event{{0, "o", "\x1b[2;3H\x1b[1;31mX\x1b[0m\x1b[1;1HY"}}, []string{"Y", "  X", ""}},
		{"erase line and screen", []Event{{0, "o", "abcdef\x1b[1;3H\x1b[K"}, {0, "o", "\x1b[3;1Hzz\x1b[2J\x1b[3;1Hq"}}, []string{"", "", "q"}},
		{"wrap and scroll", []Event{{0, "o", "123456789\r\nA\r\nB"}}, []string{"789", "A", "B"}},
		{"resize keeps the text", []Event{{0, "o", "hi"}, {0, "r", "3x2"}}, []string{"hi", ""}},
		{"other sequences skipped", []Event{{0, "o", "\x1b]0;title\x07\x1b[?25la\x1b(Bb"}}, []string{"ab", "", ""}},
		{"markers carry no text", []Event{{0, "m", "recording paused"}}, []string{"", "", ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Replay(h, c.evs); !slices.Equal(got, c.want) {
				t.Errorf("Replay = %q, want %q", got, c.want)
			}
		})
	}
}
