package hub

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// TestEncodersMatchEncodingJSON: the hand-written encoders produce what
// encoding/json reads back as the same envelope.
func TestEncodersMatchEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 21, 6, 0, 0, 123456789, time.UTC)
	cases := []session.MessageData{
		{ID: 1, From: session.FromCustomer, Name: "Carol", Text: "plain", At: at},
		{ID: 2, From: session.FromAgent, Name: "Zoë \"Z\"", Text: "quote \" back\\slash <b> \n é 😀", At: at},
		{ID: 3, From: session.FromAgent, Name: "Ada", Text: "Please navigate to the link: https://x.test/?a=1&b=2", URL: "https://x.test/?a=1&b=2", At: at},
	}
	for _, m := range cases {
		var env session.Envelope
		if err := json.Unmarshal(encodeMessage("chat-1", m), &env); err != nil {
			t.Fatalf("%q: %v", m.Text, err)
		}
		var got session.MessageData
		if err := env.Decode(&got); err != nil || env.V != 1 || env.Type != session.TypeMessage || env.Chat != "chat-1" {
			t.Fatalf("envelope %+v: %v", env, err)
		}
		if got != m {
			t.Fatalf("round trip %+v, want %+v", got, m)
		}
	}
	var env session.Envelope
	if err := json.Unmarshal(encode(session.TypeQueue, "c\"1", session.QueueData{Position: 3}), &env); err != nil || env.Chat != "c\"1" {
		t.Fatalf("encode: %+v %v", env, err)
	}
}
