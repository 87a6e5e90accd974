package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// TestBadInputIsRefusedAndTheSocketStaysUp covers every refused frame of the
// protocol: each gets error{code, message, ref} and the socket keeps working.
func TestBadInputIsRefusedAndTheSocketStaysUp(t *testing.T) {
	_, base := startHub(t, nil)
	// A connected chat of Grace's, an ended one, and one offered to Ada.
	g, _ := agentLogin(t, base, "t-grace", true)
	cust, j := customerJoin(t, base, session.JoinData{Name: "Carol"})
	connect(t, g, cust, j.Chat)
	ended, je := customerJoin(t, base, session.JoinData{Name: "Ed", Queue: "billing"})
	ended.send(session.TypeLeave, je.Chat, nil)
	ended.expect(session.TypeEnded)
	ada, _ := agentLogin(t, base, "t-ada", true)
	_, jo := customerJoin(t, base, session.JoinData{Name: "Olga"})
	expectData[session.ChatData](ada, session.TypeOffer)

	env := func(typ, chat string, data any) string {
		e, _ := session.NewEnvelope(typ, chat, data)
		e.Ref = "r1"
		b, _ := json.Marshal(e)
		return string(b)
	}
	big := env(session.TypeSend, j.Chat, session.SendData{Text: strings.Repeat("x", 5000)})
	cases := []struct {
		name  string
		who   *client
		frame string
		code  string
	}{
		{"malformed JSON", g, `{"v":1,"type":`, session.ErrCodeBadJSON},
		{"not an object", cust, `[1,2]`, session.ErrCodeBadJSON},
		{"wrong version", g, `{"v":2,"type":"ready","ref":"r1","data":{"ready":true}}`, session.ErrCodeBadVersion},
		{"missing version", cust, `{"type":"send","ref":"r1"}`, session.ErrCodeBadVersion},
		{"unknown type agent", g, env("dance", "", nil), session.ErrCodeUnknownType},
		{"unknown type customer", cust, env("accept", j.Chat, nil), session.ErrCodeUnknownType},
		{"oversized frame agent", g, big, session.ErrCodeTooLarge},
		{"oversized frame customer", cust, big, session.ErrCodeTooLarge},
		{"no such chat", g, env(session.TypeSend, "chat-999", session.SendData{Text: "hi"}), session.ErrCodeNoSuchChat},
		{"missing chat id", g, env(session.TypeAccept, "", nil), session.ErrCodeNoSuchChat},
		{"not yours", g, env(session.TypeSend, jo.Chat, session.SendData{Text: "hi"}), session.ErrCodeNotYours},
		{"accept on connected chat", g, env(session.TypeAccept, j.Chat, nil), session.ErrCodeBadState},
		{"send on offered chat", ada, env(session.TypeSend, jo.Chat, session.SendData{Text: "hi"}), session.ErrCodeBadState},
		{"done on connected chat", g, env(session.TypeDone, j.Chat, nil), session.ErrCodeBadState},
		{"hello twice", g, env(session.TypeHello, "", session.HelloData{Token: "t-grace"}), session.ErrCodeBadState},
		{"bad payload", g, `{"v":1,"type":"ready","ref":"r1","data":"yes"}`, session.ErrCodeBadRequest},
		{"empty text", g, env(session.TypeSend, j.Chat, session.SendData{Text: " "}), session.ErrCodeBadRequest},
		{"push non-http URL", g, env(session.TypePushURL, j.Chat, session.PushURLData{URL: "ftp://x"}), session.ErrCodeBadRequest},
		{"bad disposition", g, env(session.TypeWrapUp, j.Chat, session.WrapUpData{Disposition: "Lost"}), session.ErrCodeBadRequest},
		{"customer message to ended chat", ended, env(session.TypeSend, je.Chat, session.SendData{Text: "hi"}), session.ErrCodeChatEnded},
		{"join to unknown queue", ended, env(session.TypeJoin, "", session.JoinData{Name: "Ed", Queue: "nope"}), session.ErrCodeBadRequest},
		{"join without name", ended, env(session.TypeJoin, "", session.JoinData{}), session.ErrCodeBadRequest},
		{"resume unknown token", ended, env(session.TypeJoin, "", session.JoinData{Resume: "nope"}), session.ErrCodeNoSuchChat},
		{"join twice", cust, env(session.TypeJoin, "", session.JoinData{Name: "Carol"}), session.ErrCodeBadState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.who.t = t
			tc.who.raw([]byte(tc.frame))
			e, env := expectData[session.ErrorData](tc.who, session.TypeError)
			if e.Code != tc.code || e.Message == "" || e.Fatal {
				t.Fatalf("got %+v, want code %s", e, tc.code)
			}
			if tc.code != session.ErrCodeBadJSON && tc.code != session.ErrCodeTooLarge && env.Ref != "r1" {
				t.Fatalf("ref %q not echoed", env.Ref)
			}
			tc.who.send(session.TypePing, "", nil) // still up
			tc.who.expect(session.TypePong)
		})
	}
}

func TestAgentMustSayHelloWithAGoodToken(t *testing.T) {
	_, base := startHub(t, nil)
	a := dial(t, base, "/v1/agent")
	a.send(session.TypeReady, "", session.ReadyData{Ready: true})
	if e, _ := expectData[session.ErrorData](a, session.TypeError); e.Code != session.ErrCodeNotHello {
		t.Fatalf("before hello: %+v", e)
	}
	a.send(session.TypeHello, "", session.HelloData{Token: "wrong"})
	e, _ := expectData[session.ErrorData](a, session.TypeError)
	if e.Code != session.ErrCodeUnauthorized || !e.Fatal {
		t.Fatalf("wrong token: %+v", e)
	}
	<-a.done
	if got := websocket.CloseStatus(a.err); got != StatusUnauthorized {
		t.Fatalf("close status %v (%v), want 4001", got, a.err)
	}
}

func TestHugeFrameClosesWithReasonAndHubKeepsServing(t *testing.T) {
	_, base := startHub(t, nil)
	a := dial(t, base, "/v1/agent")
	_ = a.conn.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat("x", 20<<10))) // beyond 4x max_frame_bytes
	<-a.done
	var ce websocket.CloseError
	if !errors.As(a.err, &ce) || ce.Code != websocket.StatusMessageTooBig || !strings.Contains(ce.Reason, "limited") {
		t.Fatalf("close: %v", a.err)
	}
	b, _ := agentLogin(t, base, "t-ada", true) // others are served
	b.expectNone(session.TypeError)
}

func TestHealthz(t *testing.T) {
	s, base := startHub(t, nil)
	agentLogin(t, base, "t-ada", true)
	customerJoin(t, base, session.JoinData{Name: "H"})
	h := s.Health()
	if !h.OK || h.AgentsOnline != 1 || h.ChatsLive != 1 {
		t.Fatalf("health %+v", h)
	}
	resp, err := httpGet(context.Background(), strings.Replace(base, "ws", "http", 1)+"/healthz")
	if err != nil || !strings.Contains(resp, `"agents_online":1`) {
		t.Fatalf("healthz: %q %v", resp, err)
	}
	s.Close()
	s.Close() // idempotent
	if s.Health().OK {
		t.Fatal("closed hub reports ok")
	}
}

func TestSecondLoginReplacesTheFirst(t *testing.T) {
	_, base := startHub(t, nil)
	old, _ := agentLogin(t, base, "t-ada", true)
	fresh, w := agentLogin(t, base, "t-ada", false)
	if !w.Ready {
		t.Fatal("ready state should carry over to the new login")
	}
	if e, _ := expectData[session.ErrorData](old, session.TypeError); e.Code != session.ErrCodeUnauthorized || !e.Fatal {
		t.Fatalf("old socket got %+v", e)
	}
	<-old.done
	if got := websocket.CloseStatus(old.err); got != websocket.StatusPolicyViolation {
		t.Fatalf("old socket closed with %v", got)
	}
	fresh.expectNone(session.TypeError)
}
