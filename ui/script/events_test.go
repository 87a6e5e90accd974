package script

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

func TestEventLog(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 21, 6, 0, 0, 123, time.FixedZone("x", 3600))
	l := NewEventLog(&buf, func() time.Time { return at })
	_ = l.Write("custom", map[string]any{"z": 1, "a": "b", "t": "dropped", "kind": "dropped"})
	_ = l.Write("bare", nil)
	env, _ := session.NewEnvelope(session.TypeSend, "c1", session.SendData{Text: "hi"})
	_ = l.Envelope("out", env)
	_ = l.ChatState("c1", session.ACW, session.EndAgentEnded)
	_ = l.Link(session.LinkEvent{Status: &session.LinkStatus{State: session.LinkDown, Err: "gone", Attempt: 2}})
	want := `{"t":"2026-11-21T05:00:00.000000123Z","kind":"custom","a":"b","z":1}
{"t":"2026-11-21T05:00:00.000000123Z","kind":"bare"}
{"t":"2026-11-21T05:00:00.000000123Z","kind":"proto","chat":"c1","data":{"text":"hi"},"dir":"out","type":"send"}
{"t":"2026-11-21T05:00:00.000000123Z","kind":"chat_state","chat":"c1","reason":"agent_ended","state":"acw"}
{"t":"2026-11-21T05:00:00.000000123Z","kind":"link","attempt":2,"err":"gone","state":"disconnected"}
`
	if buf.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
	if err := l.Write("bad", map[string]any{"f": func() {}}); err == nil {
		t.Error("unmarshalable field: want an error")
	}
	if err := l.Close(); err == nil || !strings.Contains(err.Error(), "bad event") {
		t.Errorf("Close = %v, want the first write error", err)
	}
	if err := l.Write("late", nil); !errors.Is(err, ErrLogClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	var nilLog *EventLog
	if nilLog.Write("x", nil) != nil || nilLog.Close() != nil {
		t.Error("a nil log must discard")
	}
}

type fakeHub struct {
	sent []session.Envelope
	ch   chan session.LinkEvent
}

func (f *fakeHub) Send(_ context.Context, e session.Envelope) error {
	f.sent = append(f.sent, e)
	return nil
}
func (f *fakeHub) Events() <-chan session.LinkEvent { return f.ch }

func TestTapHub(t *testing.T) {
	var buf bytes.Buffer
	log := NewEventLog(&buf, nil)
	fh := &fakeHub{ch: make(chan session.LinkEvent)}
	tapped := TapHub(context.Background(), fh, log)
	accept, _ := session.NewEnvelope(session.TypeAccept, "c1", nil)
	if err := tapped.Send(context.Background(), accept); err != nil || len(fh.sent) != 1 {
		t.Fatalf("Send not forwarded: %v", err)
	}
	offer, _ := session.NewEnvelope(session.TypeOffer, "c1", session.ChatData{ID: "c1", State: session.Queued})
	chat, _ := session.NewEnvelope(session.TypeChat, "c1", session.ChatData{ID: "c1", State: session.Connected})
	same, _ := session.NewEnvelope(session.TypeState, "c1", session.StateData{State: session.Connected})
	ended, _ := session.NewEnvelope(session.TypeState, "c1", session.StateData{State: session.ACW, Reason: session.EndContactLeft})
	go func() {
		for _, e := range []session.Envelope{offer, chat, same, ended} {
			fh.ch <- session.LinkEvent{Envelope: &e}
		}
		close(fh.ch)
	}()
	n := 0
	for range tapped.Events() {
		n++
	}
	if n != 4 {
		t.Fatalf("relayed %d events, want 4", n)
	}
	got := buf.String()
	for _, want := range []string{`"dir":"out","type":"accept"`, `"dir":"in","type":"offer"`,
		`"state":"offered"`, `"state":"connected"`, `"reason":"contact_left","state":"acw"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
	if c := strings.Count(got, `"kind":"chat_state"`); c != 3 {
		t.Errorf("%d chat_state events, want 3 (an unchanged state is not logged again)", c)
	}
}
