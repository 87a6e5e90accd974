package session

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		name string
		typ  string
		data any
		into any
	}{
		{"hello", TypeHello, &HelloData{Token: "t", Client: "agentdesk/dev"}, &HelloData{}},
		{"message with URL (R-I5)", TypeMessage, &MessageData{ID: 7, From: FromAgent, Name: "Ada", Text: "Please navigate to the link: https://example.org/a?b=1", URL: "https://example.org/a?b=1", At: at}, &MessageData{}},
		{"typing preview (R-I3)", TypeTyping, &TypingData{Typing: true, Preview: "I have a qu"}, &TypingData{}},
		{"state to ACW (R-I1)", TypeState, &StateData{State: ACW, Reason: EndContactLeft, ACWDeadline: at}, &StateData{}},
		{"wrap-up (R-I10)", TypeWrapUp, &WrapUpData{Disposition: "Resolved", Note: "ok", CaseData: map[string]string{"order": "42"}}, &WrapUpData{}},
		{"settings durations", TypeWelcome, &WelcomeData{Settings: Settings{PendingWarn: Duration(20 * time.Second), PendingAlarm: Duration(45 * time.Second), Dispositions: []string{"Resolved"}}, Chats: []ChatData{}}, &WelcomeData{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := NewEnvelope(tc.typ, "c1", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			var back Envelope
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if back.V != ProtocolVersion || back.Type != tc.typ || back.Chat != "c1" {
				t.Fatalf("envelope header changed: %+v", back)
			}
			if err := back.Decode(tc.into); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(tc.into, tc.data) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", tc.into, tc.data)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	var h HelloData
	if err := (Envelope{Type: TypeHello}).Decode(&h); !errors.Is(err, ErrNoData) {
		t.Errorf("empty data: %v, want ErrNoData", err)
	}
	err := (Envelope{Type: TypeHello, Data: json.RawMessage(`{"token":5}`)}).Decode(&h)
	if err == nil || !strings.Contains(err.Error(), "bad hello data") {
		t.Errorf("wrong field type: %v", err)
	}
	var st StateData
	err = (Envelope{Type: TypeState, Data: json.RawMessage(`{"state":"ringing"}`)}).Decode(&st)
	if err == nil || !strings.Contains(err.Error(), "unknown state") {
		t.Errorf("unknown state: %v", err)
	}
	var s Settings
	if err := json.Unmarshal([]byte(`{"acw":"ninety"}`), &s); err == nil {
		t.Error("bad duration accepted")
	}
	if err := json.Unmarshal([]byte(`{"acw":1000000000}`), &s); err != nil || s.ACW.Std() != time.Second {
		t.Errorf("numeric duration: %v %v", s.ACW, err)
	}
}
