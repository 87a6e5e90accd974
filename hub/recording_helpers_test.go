package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/session"
)

// recSetup is a hub with Grace logged in and one connected chat, and the
// recording frame the accept brought.
type recSetup struct {
	s      *Server
	base   string // ws://
	http   string // http://
	g      *client
	cust   *client
	chat   string
	resume string // the customer's resume token
	joined session.RecordingData
}

// withRights gives grace (agents[1]) the default rights changed by f.
func withRights(f func(r *session.Rights)) func(*Config) {
	return func(c *Config) {
		r := DefaultRights()
		f(&r)
		ar := AgentRecording(r)
		c.Agents[1].Recording = &ar
	}
}

func both(fs ...func(*Config)) func(*Config) {
	return func(c *Config) {
		for _, f := range fs {
			f(c)
		}
	}
}

func recHub(t *testing.T, mutate func(*Config)) *recSetup {
	t.Helper()
	s, base := startHub(t, func(c *Config) {
		c.Agents[1].Capacity = 4 // room for next
		if mutate != nil {
			mutate(c)
		}
	})
	g, _ := agentLogin(t, base, "t-grace", true)
	r := &recSetup{s: s, base: base, http: "http" + strings.TrimPrefix(base, "ws"), g: g}
	r.next(t, "Carol")
	return r
}

// next connects a new customer chat to Grace.
func (r *recSetup) next(t *testing.T, name string) {
	t.Helper()
	cust, joined := customerJoin(t, r.base, session.JoinData{Name: name})
	if _, env := expectData[session.ChatData](r.g, session.TypeOffer); env.Chat != joined.Chat {
		t.Fatalf("offer for %s, want %s", env.Chat, joined.Chat)
	}
	r.g.send(session.TypeAccept, joined.Chat, nil)
	r.cust, r.chat, r.resume = cust, joined.Chat, joined.Resume
	r.joined = recFrame(r.g)
	// The snapshot that says Connected comes after the recording frame and
	// carries the same buttons, so a desk never shows a connected chat whose
	// Record is still refused (the CI flake of docs/examples/recording.script).
	snap, _ := expectData[session.ChatData](r.g, session.TypeChat)
	if snap.State != session.Connected || snap.Recording == nil || !reflect.DeepEqual(snap.Recording.Buttons, r.joined.Buttons) {
		t.Fatalf("snapshot after accept: %s, recording %+v; the recording frame said %+v", snap.State, snap.Recording, r.joined.Buttons)
	}
	cust.expect(session.TypeAgentIn)
	lineWith(r.g, "joined the chat")
}

// recFrame waits for the next recording frame.
func recFrame(c *client) session.RecordingData {
	c.t.Helper()
	d, _ := expectData[session.RecordingData](c, session.TypeRecording)
	return d
}

// press presses a recording button and returns the recording frame.
func (r *recSetup) press(t *testing.T, button string) session.RecordingData {
	t.Helper()
	r.g.send(session.TypeRecord, r.chat, session.RecordData{Button: button})
	return recFrame(r.g)
}

// refused presses a button the rules refuse and returns the error message.
func (r *recSetup) refused(t *testing.T, button string) string {
	t.Helper()
	r.g.send(session.TypeRecord, r.chat, session.RecordData{Button: button})
	e, _ := expectData[session.ErrorData](r.g, session.TypeError)
	if e.Code != session.ErrCodeRecRefused {
		t.Fatalf("%s: error %+v, want rec_refused", button, e)
	}
	r.g.expectNone(session.TypeRecording)
	return e.Message
}

// say has the customer send text and waits until the agent has it.
func (r *recSetup) say(t *testing.T, text string) {
	t.Helper()
	r.cust.send(session.TypeSend, r.chat, session.SendData{Text: text})
	lineWith(r.g, text)
}

// finish ends the chat and marks it done; it returns the final recording
// frame (with the file names).
func (r *recSetup) finish(t *testing.T) session.RecordingData {
	t.Helper()
	r.g.send(session.TypeEnd, r.chat, nil)
	if st, _ := expectData[session.StateData](r.g, session.TypeState); st.State != session.ACW {
		t.Fatalf("state %+v", st)
	}
	r.g.send(session.TypeDone, r.chat, nil)
	var last session.RecordingData
	for {
		env := r.g.expect2(session.TypeRecording, session.TypeState)
		if env.Type == session.TypeState {
			var st session.StateData
			_ = env.Decode(&st)
			if st.State == session.Done {
				return last
			}
			continue
		}
		_ = env.Decode(&last)
	}
}

// expect2 waits for the next envelope of either type.
func (c *client) expect2(a, b string) session.Envelope {
	c.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case env := <-c.in:
			if env.Type == a || env.Type == b {
				return env
			}
		case <-timeout:
			c.t.Fatalf("no %s or %s within %v", a, b, wait)
		}
	}
}

// stored lists the hub's recordings of the chat.
func (r *recSetup) stored(t *testing.T) RecordingList {
	t.Helper()
	var l RecordingList
	code, body := apiDo(t, http.MethodGet, r.http+"/v1/recordings?interaction="+r.chat, "t-sue", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// api posts a recording API request with token and returns status and body.
func (r *recSetup) api(t *testing.T, token, body string) (int, []byte) {
	t.Helper()
	return apiDo(t, http.MethodPost, r.http+"/v1/recording", token, body)
}

func apiDo(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// texts are the texts of lines.
func texts(lines []session.MessageData) string {
	var b strings.Builder
	for _, m := range lines {
		b.WriteString(m.Text + "\n")
	}
	return b.String()
}

// kinds lists the kinds and states of a frame's recordings.
func kinds(d session.RecordingData) string {
	var l []string
	for _, r := range d.Recordings {
		l = append(l, r.Kind+":"+r.State)
	}
	return strings.Join(l, ",")
}
