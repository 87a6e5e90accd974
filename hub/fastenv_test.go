package hub

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// fastSeeds are frames of the hot shapes and near misses, for the table
// test and as the fuzz corpus.
var fastSeeds = []string{
	`{"v":1,"type":"send","chat":"chat-1","data":{"text":"hello"}}`,
	`{"v":1,"type":"typing","chat":"chat-1","data":{"typing":true,"preview":"hel"}}`,
	` { "data" : { "text" : "héllo ✓" } , "ref" : "r1", "type" : "send" , "v" : 1 } `,
	`{"v":1,"type":"typing","data":{"typing":false}}`,
	`{"v":1,"type":"typing","data":{}}`,
	`{"v":1,"type":"send","data":{"text":""}}`,
	`{"v":1,"type":"send","data":{"text":"a\"b"}}`,
	`{"v":1,"type":"send","data":{"text":"a","text":"b"}}`,
	`{"v":1,"type":"send","data":{"text":null}}`,
	`{"v":1,"type":"send","data":{"Text":"x"}}`,
	`{"v":1,"type":"send","data":{"text":"x"},}`,
	`{"v":1,"type":"send","data":{"text":"x",}}`,
	`{"v":1,"type":"send","data":{"text":"x"}} x`,
	`{"v":1,"type":"send","data":{"text":"\xff"}}`,
	`{"v":01,"type":"send","data":{"text":"x"}}`,
	`{"v":1.0,"type":"send","data":{"text":"x"}}`,
	`{"v":2,"type":"send","data":{"text":"x"}}`,
	`{"v":10,"type":"send","data":{"text":"x"}}`,
	`{"type":"send","data":{"text":"x"}}`,
	`{"v":1,"type":"ping"}`,
	`{"v":1,"type":"send"}`,
	`{"v":1,"type":"typing","data":{"typing":truex}}`,
	`{"v":1,"type":"typing","data":{"typing":true,"text":"x"}}`,
	`{"v":1,"type":"send","data":{"text":"x","preview":"y"}}`,
	`{"v":1,"type":"send","type":"send","data":{"text":"x"}}`,
	`{"v":1,"type":"send","data":[1]}`,
	`{"v":1,"type":"send","data":{"text":"x"}`,
	`{"v":1,"type":`,
	`[1,2]`,
	``,
}

// TestParseFastTakesTheHotShapes checks which frames the fast decoder takes
// (the rest go to encoding/json) and what it reads from them.
func TestParseFastTakesTheHotShapes(t *testing.T) {
	cases := []struct {
		frame  string
		taken  bool
		env    session.Envelope
		send   session.SendData
		typing session.TypingData
	}{
		{fastSeeds[0], true, session.Envelope{V: 1, Type: "send", Chat: "chat-1", Data: []byte(`{"text":"hello"}`)}, session.SendData{Text: "hello"}, session.TypingData{}},
		{fastSeeds[1], true, session.Envelope{V: 1, Type: "typing", Chat: "chat-1", Data: []byte(`{"typing":true,"preview":"hel"}`)}, session.SendData{}, session.TypingData{Typing: true, Preview: "hel"}},
		{fastSeeds[2], true, session.Envelope{V: 1, Type: "send", Ref: "r1", Data: []byte(`{ "text" : "héllo ✓" }`)}, session.SendData{Text: "héllo ✓"}, session.TypingData{}},
		{fastSeeds[4], true, session.Envelope{V: 1, Type: "typing", Data: []byte(`{}`)}, session.SendData{}, session.TypingData{}},
		{`{"v":1,"type":"send","data":{"text":"a\"b"}}`, false, session.Envelope{}, session.SendData{}, session.TypingData{}},
		{`{"v":1,"type":"send","data":{"text":"x"},}`, false, session.Envelope{}, session.SendData{}, session.TypingData{}},
		{`{"v":1,"type":"send","data":{"Text":"x"}}`, false, session.Envelope{}, session.SendData{}, session.TypingData{}},
		{`{"v":2,"type":"send","data":{"text":"x"}}`, false, session.Envelope{}, session.SendData{}, session.TypingData{}},
		{`{"v":1,"type":"ping"}`, false, session.Envelope{}, session.SendData{}, session.TypingData{}},
		{"{\"v\":1,\"type\":\"send\",\"data\":{\"text\":\"\xff\"}}", false, session.Envelope{}, session.SendData{}, session.TypingData{}},
	}
	for _, tc := range cases {
		t.Run(tc.frame, func(t *testing.T) {
			var in inbound
			if got := parseFast([]byte(tc.frame), &in); got != tc.taken {
				t.Fatalf("taken = %v, want %v", got, tc.taken)
			}
			if !tc.taken {
				return
			}
			if !in.pre || in.env.V != tc.env.V || in.env.Type != tc.env.Type || in.env.Ref != tc.env.Ref ||
				in.env.Chat != tc.env.Chat || !bytes.Equal(in.env.Data, tc.env.Data) || in.send != tc.send || in.typing != tc.typing {
				t.Fatalf("got %+v %q send %+v typing %+v", in.env, in.env.Data, in.send, in.typing)
			}
		})
	}
}

// TestInboundParseFallsBackWithTheSameErrors: a frame the fast decoder does
// not take gets parseEnvelope's answer, and no payload of an earlier frame.
func TestInboundParseFallsBackWithTheSameErrors(t *testing.T) {
	var in inbound
	if fe := in.parse([]byte(fastSeeds[0])); fe != nil || !in.pre {
		t.Fatalf("hot frame: %v, pre %v", fe, in.pre)
	}
	for _, frame := range []string{`{"v":1,"type":`, `{"v":2,"type":"send","data":{"text":"x"}}`, `{"v":1,"type":"send","data":{"text":1}}`} {
		_, want := parseEnvelope([]byte(frame))
		fe := in.parse([]byte(frame))
		if in.pre || in.send != (session.SendData{}) {
			t.Fatalf("%s: payload of the earlier frame kept", frame)
		}
		if (fe == nil) != (want == nil) || (fe != nil && *fe != *want) {
			t.Fatalf("%s: got %v, want %v", frame, fe, want)
		}
	}
	// The payload error is encoding/json's, as before.
	if _, fe := in.sendData(); fe == nil || fe.code != session.ErrCodeBadRequest {
		t.Fatalf("bad payload: %v", fe)
	}
}

// TestParseFastAllocations: the hot frame costs the text it keeps and
// nothing else; the chat's string is kept from the socket's last frame.
func TestParseFastAllocations(t *testing.T) {
	frame := []byte(fastSeeds[0])
	var in inbound
	if n := testing.AllocsPerRun(100, func() { parseFast(frame, &in) }); n > 1 {
		t.Fatalf("%v allocations per frame, want at most 1", n)
	}
	// Another chat on the same socket is read as that chat.
	if !parseFast([]byte(`{"v":1,"type":"send","chat":"chat-22","data":{"text":"x"}}`), &in) || in.env.Chat != "chat-22" {
		t.Fatalf("chat %q, want chat-22", in.env.Chat)
	}
	if !parseFast([]byte(`{"v":1,"type":"send","data":{"text":"x"}}`), &in) || in.env.Chat != "" {
		t.Fatalf("chat %q, want none", in.env.Chat)
	}
}

// TestEncodeTypingReadsAsEncode: the hand-made typing frame reads back as
// the one encoding/json makes.
func TestEncodeTypingReadsAsEncode(t *testing.T) {
	cases := []struct {
		chat string
		d    session.TypingData
	}{
		{"chat-1", session.TypingData{Typing: true, Preview: "hel"}},
		{"chat-1", session.TypingData{}},
		{"", session.TypingData{Typing: true}},
		{"chat-2", session.TypingData{Typing: true, Preview: "<b>\"é\n\x01 ✓"}},
	}
	for _, tc := range cases {
		var got, want session.Envelope
		if err := json.Unmarshal(encodeTyping(tc.chat, tc.d), &got); err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if err := json.Unmarshal(encode(session.TypeTyping, tc.chat, tc.d), &want); err != nil {
			t.Fatal(err)
		}
		var gd, wd session.TypingData
		if err := got.Decode(&gd); err != nil {
			t.Fatal(err)
		}
		_ = want.Decode(&wd)
		if got.V != want.V || got.Type != want.Type || got.Chat != want.Chat || gd != wd || gd != tc.d {
			t.Fatalf("%+v: got %+v %+v, want %+v %+v", tc, got, gd, want, wd)
		}
	}
}

// FuzzParseFast: whatever parseFast takes, encoding/json reads alike (the
// envelope and the type's payload); what it does not take goes to
// encoding/json anyway, so the hub answers every frame as before.
func FuzzParseFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in inbound
		if !parseFast(b, &in) {
			return
		}
		env, fe := parseEnvelope(b)
		if fe != nil {
			t.Fatalf("taken by parseFast, refused by encoding/json: %v", fe)
		}
		if env.V != in.env.V || env.Type != in.env.Type || env.Ref != in.env.Ref || env.Chat != in.env.Chat || !bytes.Equal(env.Data, in.env.Data) {
			t.Fatalf("envelope: json %+v %q, fast %+v %q", env, env.Data, in.env, in.env.Data)
		}
		var send session.SendData
		var typing session.TypingData
		var err error
		if env.Type == session.TypeSend {
			err = json.Unmarshal(env.Data, &send)
		} else {
			err = json.Unmarshal(env.Data, &typing)
		}
		if err != nil || send != in.send || typing != in.typing {
			t.Fatalf("payload: json %+v %+v (%v), fast %+v %+v", send, typing, err, in.send, in.typing)
		}
	})
}
