package sim

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/configs"
	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/session"
)

// seen is what the bot agent saw, per customer name.
type seen struct {
	mu      sync.Mutex
	names   map[string]string   // chat → customer
	chats   map[string]int      // customer → chats offered
	said    map[string][]string // customer → lines
	ended   map[string]string   // customer → end reason
	preview map[string][]string // customer → typing previews
	change  chan struct{}
}

func (s *seen) snapshot(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// runBot accepts every offer and answers every customer line.
func runBot(ctx context.Context, a *agent, s *seen) {
	for ev := range a.c.Events() {
		if ev.Envelope == nil {
			continue
		}
		e := *ev.Envelope
		s.mu.Lock()
		who := s.names[e.Chat]
		switch e.Type {
		case session.TypeWelcome:
			s.mu.Unlock()
			a.sendCtx(ctx, session.TypeReady, "", session.ReadyData{Ready: true})
			continue
		case session.TypeOffer:
			var cd session.ChatData
			if e.Decode(&cd) == nil {
				s.names[e.Chat] = cd.Customer
				s.chats[cd.Customer]++
			}
			s.mu.Unlock()
			a.sendCtx(ctx, session.TypeAccept, e.Chat, nil)
			continue
		case session.TypeMessage:
			var m session.MessageData
			if e.Decode(&m) == nil && m.From == session.FromCustomer {
				s.said[who] = append(s.said[who], m.Text)
				s.mu.Unlock()
				a.sendCtx(ctx, session.TypeSend, e.Chat, session.SendData{Text: "noted: " + m.Text})
				s.mu.Lock()
			}
		case session.TypeTyping:
			var td session.TypingData
			if e.Decode(&td) == nil {
				s.preview[who] = append(s.preview[who], td.Preview)
			}
		case session.TypeState:
			var sd session.StateData
			if e.Decode(&sd) == nil && sd.State == session.ACW {
				s.ended[who] = sd.Reason
			}
		}
		s.mu.Unlock()
		select {
		case s.change <- struct{}{}:
		default:
		}
	}
}

func (a *agent) sendCtx(ctx context.Context, typ, chat string, data any) {
	e, _ := session.NewEnvelope(typ, chat, data)
	_ = a.c.Send(ctx, e) // a failure shows up as a missing line in the test
}

func TestDemoCastAgainstRealHub(t *testing.T) {
	cfg, err := hub.ParseConfig(configs.ChatHub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Agents[0].Capacity = 10 // one bot agent takes every chat
	// The cast types at 1,000 keys a second here: every preview must come.
	cfg.Limits.TypingRate, cfg.Limits.TypingBurst = 1e6, 1e6
	cfg.Store.Dir = t.TempDir()
	h, err := hub.Open(cfg, hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer func() { h.Close(); srv.Close(); h.CloseStore() }()

	ctx, cancel := context.WithCancel(t.Context())
	s := &seen{names: map[string]string{}, chats: map[string]int{}, said: map[string][]string{}, ended: map[string]string{},
		preview: map[string][]string{}, change: make(chan struct{}, 1)}
	bot := newAgent(t, srv.URL, "demo-token-ada")
	bot.send(session.TypeReady, "", session.ReadyData{Ready: true})
	go runBot(ctx, bot, s)

	cast := DemoCast()
	crowdDone := make(chan struct{})
	go func() {
		(&Crowd{BaseURL: srv.URL, Cast: cast, Speed: 500, KeyDelay: time.Millisecond}).Run(ctx)
		close(crowdDone)
	}()

	last := func(p Persona) string { // the last line a persona says
		steps := append(append([]Step{}, p.Script...), p.Again...)
		for i := len(steps) - 1; i >= 0; i-- {
			if steps[i].Say != "" {
				return steps[i].Say
			}
		}
		return ""
	}
	done := func() bool {
		ok := true
		s.snapshot(func() {
			for _, p := range cast {
				lines := s.said[p.Name]
				if len(lines) == 0 || lines[len(lines)-1] != last(p) {
					ok = false
				}
			}
			if s.ended["Dev Patel"] == "" {
				ok = false
			}
		})
		return ok
	}
	limit := time.After(30 * time.Second)
	for !done() {
		select {
		case <-s.change:
		case <-limit:
			s.snapshot(func() { t.Fatalf("the cast did not play out: said %q, ended %q", s.said, s.ended) })
		}
	}

	s.snapshot(func() {
		if got := s.said["Carla Diaz"]; len(got) != 2 {
			t.Errorf("Carla said %q, want two lines, then quiet", got)
		}
		if r := s.ended["Dev Patel"]; r != session.EndContactLeft {
			t.Errorf("Dev's chat ended with %q, want %q (he leaves mid-chat)", r, session.EndContactLeft)
		}
		if n := s.chats["Dev Patel"]; n != 2 {
			t.Errorf("Dev opened %d chats, want 2 (he comes back)", n)
		}
		if r, ok := s.ended["Carla Diaz"]; ok {
			t.Errorf("Carla's chat ended (%q); a quiet customer stays", r)
		}
		// R-I3: previews grow char by char before the line is sent.
		want := "It says my password is wrong, but I reset it yesterday"
		var grow []string
		for _, p := range s.preview["Bob Smith"] {
			if strings.HasPrefix(want, p) {
				grow = append(grow, p)
			}
		}
		if len(grow) < len(want)/2 || !strings.HasPrefix(grow[0], "I") || len(grow[0]) > 2 {
			t.Errorf("Bob's previews %q, want them to grow char by char", grow)
		}
	})

	cancel()
	select {
	case <-crowdDone:
	case <-time.After(10 * time.Second):
		t.Fatal("RunCrowd did not return after ctx ended")
	}
}

func TestDemoCastShape(t *testing.T) {
	cast := DemoCast()
	if n := len(cast); n < 4 || n > 5 {
		t.Fatalf("cast of %d, want 4-5 personas", n)
	}
	var quiet, leave, later, waits, back int
	queues := map[string]bool{}
	for _, p := range cast {
		queues[p.Queue] = true
		if p.Arrive >= 10*time.Second {
			later++
		}
		if p.Return > 0 && len(p.Again) > 0 {
			back++
		}
		for _, st := range append(append([]Step{}, p.Script...), p.Again...) {
			switch {
			case st.Quiet:
				quiet++
			case st.Leave:
				leave++
			}
			if st.WaitReply {
				waits++
			}
			if st.Pause != 0 && (st.Pause < time.Second || st.Pause > 4*time.Second) {
				t.Errorf("%s: pause %v, want 1-4 s", p.Name, st.Pause)
			}
		}
	}
	if quiet != 1 || leave != 1 || later == 0 || waits == 0 || back != 1 || !queues["general"] || !queues["billing"] {
		t.Errorf("cast: quiet %d leave %d later %d waits %d back %d queues %v; want one quiet, one leaver, a late one, replies awaited, one returning, both queues",
			quiet, leave, later, waits, back, queues)
	}
}
