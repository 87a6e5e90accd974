package session

import (
	"testing"
)

// R-I2: older sessions the agent asked for go above the ones the desk has,
// once each, and say whether still older ones remain.
func TestOlderHistory(t *testing.T) {
	d := NewDesk()
	s := func(chat string, days int) Session {
		at := t0.AddDate(0, 0, -days)
		return Session{Chat: chat, Start: at, Transcript: []MessageData{msg(1, FromCustomer, chat, at)}}
	}
	apply(t, d, env(t, TypeChat, "c9", ChatData{ID: "c9", Customer: "Bob", State: Connected,
		History: []Session{s("c7", 2), s("c8", 1)}, HistoryMore: true}), t0)
	apply(t, d, env(t, TypeHistory, "c9", HistoryData{Sessions: []Session{s("c5", 4), s("c6", 3), s("c7", 2)}, More: false}), t0)
	c := d.Chat("c9")
	var got []string
	for _, h := range c.History {
		got = append(got, h.Chat)
	}
	if len(got) != 4 || got[0] != "c5" || got[1] != "c6" || got[2] != "c7" || got[3] != "c8" || c.HistoryMore {
		t.Fatalf("history %v more=%v, want c5 c6 c7 c8 and no more", got, c.HistoryMore)
	}
	if _, err := d.Apply(env(t, TypeHistory, "c404", HistoryData{}), t0); err == nil {
		t.Fatal("history for an unknown chat was applied")
	}
}

// the hub's restart notice reaches the agent in words.
func TestRestartingNotice(t *testing.T) {
	d := connectedDesk(t)
	n := apply(t, d, env(t, TypeRestarting, "", RestartingData{Text: "The chat service is restarting"}), t0)
	if len(n) != 1 || n[0].Reason != AttnRestarting || n[0].Text != "The chat service is restarting" {
		t.Fatalf("notices %+v", n)
	}
}
