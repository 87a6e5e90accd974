package hub

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/session"
)

// Recordings across parties (issue 14 point 7): the rules of R-G1, R-G2,
// R-H6 and R-H7 on a real hub with agents on real sockets.

func rights(f func(r *session.Rights)) *AgentRecording {
	r := DefaultRights()
	f(&r)
	ar := AgentRecording(r)
	return &ar
}

// finishChat ends the chat as its owner and marks it done.
func finishChat(t *testing.T, owner *client, chat string) {
	t.Helper()
	owner.send(session.TypeEnd, chat, nil)
	if st := stateOf(owner, chat); st.State != session.ACW {
		t.Fatalf("end: %+v", st)
	}
	owner.send(session.TypeDone, chat, nil)
	if st := stateOf(owner, chat); st.State != session.Done {
		t.Fatalf("done: %+v", st)
	}
}

// listed is the recording list of a chat, as a supervisor sees it.
func listed(t *testing.T, base, chat string) RecordingList {
	t.Helper()
	var l RecordingList
	code, body := apiDo(t, http.MethodGet, "http"+strings.TrimPrefix(base, "ws")+"/v1/recordings?interaction="+chat, "t-sue", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// transferTo transfers from's chat to agent id, who accepts on c.
func transferTo(t *testing.T, from, c *client, chat string, req session.InviteRequest) session.ChatData {
	t.Helper()
	from.send(session.TypeTransfer, chat, req)
	answer(c, invited(c).ID, true, "")
	if r := inviteResult(from); r.Status != session.InviteAccepted {
		t.Fatalf("transfer: %+v", r)
	}
	snap, _ := expectData[session.ChatData](c, session.TypeChat)
	return snap
}

// TestTransferStopsFullTime_R_G1: Ada's full-time recording stops when
// the chat is transferred to Alan; it holds what was said before, names
// Ada alone, and Alan's desktop is not told to capture.
func TestTransferStopsFullTime_R_G1(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) {
		c.Agents[0].Recording = rights(func(r *session.Rights) { r.FullTime = true })
	}))
	ada, cust, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)
	snap := transferTo(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	if snap.Recording == nil || snap.Recording.Recording || kinds(*snap.Recording) != "fulltime:stopped" {
		t.Fatalf("R-G1: full-time recording stops at transfer: %+v", snap.Recording)
	}
	talks(t, cust, session.TypeSend, chat, "after the transfer", []*client{alan}, nil)
	finishChat(t, alan, chat)
	l := listed(t, base, chat)
	if len(l.Recordings) != 1 || l.Recordings[0].Kind != "fulltime" || !slices.Equal(l.Recordings[0].Agents, []string{"ada"}) {
		t.Fatalf("R-G1: %+v", l.Recordings)
	}
	if lines := texts(l.Recordings[0].Lines); !strings.Contains(lines, "my parcel is late") || strings.Contains(lines, "after the transfer") {
		t.Fatalf("R-G1: the full-time recording holds %q", lines)
	}
}

// TestTransferSelective_R_G2: a selective recording the route asked for
// stops at a transfer to an agent (no new route); a transfer to a queue
// whose route asks again starts a new one.
func TestTransferSelective_R_G2(t *testing.T) {
	_, base := startHub(t, partyConfig(func(c *Config) {
		c.Queues[0].Record = RecordDestination
		c.Queues[1].Record = RecordDestination
	}))
	ada, _, chat := partyChat(t, base)
	alan, _ := agentLogin(t, base, "t-alan", true)
	snap := transferTo(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	if snap.Recording.Recording || kinds(*snap.Recording) != "selective:stopped" {
		t.Fatalf("R-G2: selective recording stops at transfer: %s", kinds(*snap.Recording))
	}
	bob, _ := agentLogin(t, base, "t-bob", true)
	ada.send(session.TypeReady, "", session.ReadyData{Ready: false})
	ada.expect(session.TypeAgent)
	snap = transferTo(t, alan, bob, chat, session.InviteRequest{Queue: "billing"})
	if !snap.Recording.Recording || kinds(*snap.Recording) != "selective:stopped,selective:recording" {
		t.Fatalf("R-G2: the new route asked again: %s", kinds(*snap.Recording))
	}
}

// TestPartiesWhoDoNotPermit_R_H6_R_H7: one agent in the chat who does not
// permit recordings, conferenced or transferred to, means no recording is
// produced; a chat flagged abusive is recorded all the same.
func TestPartiesWhoDoNotPermit_R_H6_R_H7(t *testing.T) {
	for _, tc := range []struct {
		name     string
		how      string // conference or transfer
		abusive  bool
		produced bool
	}{
		{"R-H6 a conferenced agent does not permit", session.TypeConference, false, false},
		{"R-H6 the agent transferred to does not permit", session.TypeTransfer, false, false},
		{"R-H7 abusive overrides a conferenced agent", session.TypeConference, true, true},
		{"R-H7 abusive overrides the agent transferred to", session.TypeTransfer, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, base := startHub(t, partyConfig(func(c *Config) {
				c.Agents[1].Recording = rights(func(r *session.Rights) { r.Permits = false })
			}))
			ada, _, chat := partyChat(t, base)
			ada.send(session.TypeRecord, chat, session.RecordData{Button: "record"})
			if d := recFrame(ada); !d.Recording {
				t.Fatalf("record: %+v", d)
			}
			if tc.abusive {
				ada.send(session.TypeAbusive, chat, nil)
				recFrame(ada)
			}
			grace, _ := agentLogin(t, base, "t-grace", true)
			owner := ada
			if tc.how == session.TypeTransfer {
				transferTo(t, ada, grace, chat, session.InviteRequest{Agent: "grace"})
				owner = grace
			} else {
				ada.send(session.TypeConference, chat, session.InviteRequest{Agent: "grace"})
				answer(grace, invited(grace).ID, true, "")
				inviteResult(ada)
				grace.send(session.TypeEnd, chat, nil) // grace leaves; she took part all the same
				stateOf(grace, chat)
			}
			finishChat(t, owner, chat)
			l := listed(t, base, chat)
			if tc.produced {
				if len(l.Recordings) == 0 || len(l.Dropped) != 0 {
					t.Fatalf("%s: produced %d, dropped %+v", tc.name, len(l.Recordings), l.Dropped)
				}
				return
			}
			if len(l.Recordings) != 0 || len(l.Dropped) != 1 || !strings.Contains(l.Dropped[0].Why, "permit") {
				t.Fatalf("%s: produced %+v, dropped %+v", tc.name, l.Recordings, l.Dropped)
			}
		})
	}
}

// TestConsultationNotRecorded_R_I9: a consultation is neither in the
// contact's recording nor in the contact's history, though the
// recording ran all along.
func TestConsultationNotRecorded_R_I9(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, cust, chat := partyChat(t, base)
	ada.send(session.TypeRecord, chat, session.RecordData{Button: "record"})
	recFrame(ada)
	bob, _ := agentLogin(t, base, "t-bob", false)
	k, _ := consultWith(t, ada, bob, chat, session.InviteRequest{Agent: "bob", Text: "secret consultation"})
	bob.send(session.TypeConsultSend, k.ID, session.SendData{Text: "internal advice"})
	expectData[session.MessageData](ada, session.TypeConsultLine)
	talks(t, cust, session.TypeSend, chat, "the customer speaks", []*client{ada}, []*client{bob})
	finishChat(t, ada, chat)
	l := listed(t, base, chat)
	if len(l.Recordings) != 1 {
		t.Fatalf("recordings %+v", l)
	}
	lines := texts(l.Recordings[0].Lines)
	if !strings.Contains(lines, "the customer speaks") || strings.Contains(lines, "secret consultation") || strings.Contains(lines, "internal advice") {
		t.Fatalf("the contact's recording holds %q", lines)
	}
	if slices.Contains(l.Recordings[0].Agents, "bob") {
		t.Fatalf("the consulted agent is named on the recording: %v", l.Recordings[0].Agents)
	}
	// The contact comes back: the history has the chat, not the consultation.
	ada.send(session.TypeReady, "", session.ReadyData{Ready: true})
	_, j := customerJoin(t, base, session.JoinData{Name: "Carol", Contact: "carol-1"})
	off, _ := expectData[session.ChatData](ada, session.TypeOffer)
	if off.ID != j.Chat || len(off.History) != 1 || !hasText(off.History[0].Transcript, "the customer speaks") ||
		hasText(off.History[0].Transcript, "internal advice") || hasText(off.History[0].Transcript, "secret consultation") {
		t.Fatalf("the contact's history: %+v", off.History)
	}
}

// TestRecordingNamesEveryAgentAndCapture: a recording the dynamic API
// runs goes on across a transfer and a conference and names every agent
// who handled the chat (Ada, Alan, Bob); each desktop is told the
// recording state only while its agent owns or is conferenced into the
// chat: Ada's after the transfer and Bob's after he left get no more.
func TestRecordingNamesEveryAgentAndCapture(t *testing.T) {
	_, base := startHub(t, partyConfig(nil))
	ada, _, chat := partyChat(t, base)
	api := "http" + strings.TrimPrefix(base, "ws") + "/v1/recording"
	if code, body := apiDo(t, http.MethodPost, api, "t-sue", `{"operation":3013,"interaction":"`+chat+`","id":"dyn-1"}`); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	recFrame(ada)
	alan, _ := agentLogin(t, base, "t-alan", true)
	snap := transferTo(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	if !snap.Recording.Recording {
		t.Fatalf("the API's recording goes on across the transfer: %s", kinds(*snap.Recording))
	}
	bob, _ := agentLogin(t, base, "t-bob", false)
	alan.send(session.TypeConference, chat, session.InviteRequest{Agent: "bob"})
	answer(bob, invited(bob).ID, true, "")
	inviteResult(alan)
	if bs, _ := expectData[session.ChatData](bob, session.TypeChat); bs.Recording == nil || !bs.Recording.Recording {
		t.Fatalf("bob's desktop is told the chat is recorded: %+v", bs.Recording)
	}
	// A pause reaches the owner and the party, not Ada.
	if code, body := apiDo(t, http.MethodPost, api, "t-sue", `{"operation":3015,"interaction":"`+chat+`","id":"dyn-1"}`); code != http.StatusOK {
		t.Fatalf("pause: %d %s", code, body)
	}
	for _, c := range []*client{alan, bob} {
		for d := recFrame(c); !d.Paused; d = recFrame(c) {
		}
	}
	ada.expectNone(session.TypeRecording)
	bob.send(session.TypeEnd, chat, nil)
	stateOf(bob, chat)
	if code, body := apiDo(t, http.MethodPost, api, "t-sue", `{"operation":3016,"interaction":"`+chat+`","id":"dyn-1"}`); code != http.StatusOK {
		t.Fatalf("resume: %d %s", code, body)
	}
	recFrame(alan)
	bob.expectNone(session.TypeRecording)
	finishChat(t, alan, chat)
	l := listed(t, base, chat)
	if len(l.Recordings) != 1 || !slices.Equal(l.Recordings[0].Agents, []string{"ada", "alan", "bob"}) {
		t.Fatalf("a transferred chat's recording names every agent who handled it: %+v", l.Recordings)
	}
}
