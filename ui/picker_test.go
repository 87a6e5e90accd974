package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/agentdesk/agentdesk/session"
)

// fakeDirectory answers the picker's GET /v1/directory.
type fakeDirectory struct {
	mu    sync.Mutex
	dir   session.Directory
	err   error
	calls int
}

func (d *fakeDirectory) Directory(context.Context) (session.Directory, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	return d.dir, d.err
}

func directory() session.Directory {
	return session.Directory{
		Agents: []session.DirectoryAgent{
			{ID: "ada", Name: "Ada Lovelace", Queues: []string{"general", "billing"}, Online: true, Ready: true, Available: true, Load: 2, Capacity: 5},
			{ID: "grace", Name: "Grace Hopper", Queues: []string{"general"}, Online: true, Ready: true, Available: true, Load: 1, Capacity: 3, Joined: 1},
			{ID: "alan", Name: "Alan Turing", Queues: []string{"billing"}, Online: true, Ready: false, Load: 0, Capacity: 2},
			{ID: "kat", Name: "Katherine Johnson", Queues: []string{"billing"}, Online: false, Capacity: 3},
		},
		Queues: []session.DirectoryQueue{
			{Name: "general", Title: "General", Waiting: 1, Agents: 2, Ready: 2, Available: 1},
			{Name: "billing", Title: "Billing", Waiting: 0, Agents: 2, Ready: 1, Available: 0},
		},
	}
}

func pickerModel(t *testing.T, d *fakeDirectory) (*Model, *fakeHub) {
	t.Helper()
	h := newFakeHub()
	m := New(Options{Hub: h, Now: func() time.Time { return now }, Directory: d, Banner: "customer page: http://127.0.0.1:8080/"})
	m.loc = time.UTC
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	welcomeDesk(t, m)
	selectChat(t, m, "Bob Marsh")
	return m, h
}

// Issue 14 point 4: t opens the picker on the connected chat, with every
// other agent and queue, their availability and load; typing filters.
func TestPickerListsAndFilters(t *testing.T) {
	d := &fakeDirectory{dir: directory()}
	m, _ := pickerModel(t, d)
	press(t, m, "t")
	if !m.picker.shown || m.picker.chat != "bob" {
		t.Fatalf("t did not open the picker on bob: shown %v chat %q", m.picker.shown, m.picker.chat)
	}
	golden(t, m, "picker")
	s := plain(t, m)
	for _, want := range []string{
		"Transfer · Conference · Consult — the chat with Bob Marsh",
		"◆ General", "queue · 1 available · 2 ready of 2 online · 1 waiting",
		"● Grace Hopper", "available · 1/3 chats · 1 joined · general",
		"◐ Alan Turing", "not ready · 0/2 chats", "○ Katherine Johnson", "offline",
		"[t Transfer]", "enter choose",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("picker lacks %q", want)
		}
	}
	if strings.Count(s, "Ada Lovelace") != 1 { // the title bar's
		t.Error("the picker offers the agent themself")
	}
	press(t, m, "t:tur")
	s = plain(t, m)
	if !strings.Contains(s, "Alan Turing") || strings.Contains(s, "Grace Hopper") || strings.Contains(s, "◆ General") {
		t.Errorf("the filter \"tur\" did not keep Alan Turing alone:\n%s", s)
	}
	press(t, m, "backspace", "backspace", "backspace", "t:zzz")
	if !strings.Contains(plain(t, m), "Nobody matches “zzz”") {
		t.Error("an empty filter result is not said")
	}
	press(t, m, "esc")
	if m.picker.shown {
		t.Error("esc did not close the picker")
	}
	// the chat ends while the picker is open: it closes and says why
	press(t, m, "t")
	feed(t, m, frame_(t, session.TypeState, "bob", session.StateData{State: session.ACW, Reason: session.EndContactLeft}))
	if m.picker.shown || !strings.Contains(m.status, "the picker closed: the chat is no longer connected") {
		t.Errorf("the picker stayed on a chat in wrap-up (status %q)", m.status)
	}
}

// R-I7: enter on an agent, then t sends transfer{agent}; the pane says it
// waits, then the result in words; a reject keeps the chat.
func TestPickerTransferAndResult_R_I7(t *testing.T) {
	d := &fakeDirectory{dir: directory()}
	m, h := pickerModel(t, d)
	press(t, m, "t", "t:grace", "enter")
	if m.picker.mode != pickAction {
		t.Fatal("enter did not choose Grace")
	}
	h.reset()
	press(t, m, "t")
	e := h.last(t)
	if e.Type != session.TypeTransfer || e.Chat != "bob" {
		t.Fatalf("sent %s %s, want transfer bob", e.Type, e.Chat)
	}
	if r := decode[session.InviteRequest](t, e); r.Agent != "grace" || r.Queue != "" {
		t.Errorf("transfer went to %+v, want agent grace", r)
	}
	if m.picker.shown {
		t.Error("the picker stayed open after the action")
	}
	if s := plain(t, m); !strings.Contains(s, "⇄ Transfer to Grace Hopper: waiting for an answer") {
		t.Errorf("the pane does not say the transfer waits:\n%s", s)
	}
	feed(t, m, frame_(t, session.TypeInviteResult, "", session.InviteResultData{ID: "bob-transfer-1", Kind: session.InviteTransfer,
		Chat: "bob", Status: session.InviteRejected, Agent: session.AgentRef{ID: "grace", Name: "Grace Hopper"}, Reason: "in a meeting"}))
	s := plain(t, m)
	if !strings.Contains(s, "⇄ Transfer to Grace Hopper: rejected — in a meeting") {
		t.Errorf("the pane does not say the transfer was rejected:\n%s", s)
	}
	if m.desk.Chat("bob") == nil {
		t.Error("a rejected transfer lost the chat")
	}
}

// R-I8, R-I9: a queue as target, and conference / consult by key and by
// click on the action buttons.
func TestPickerQueueConferenceConsult_R_I8_R_I9(t *testing.T) {
	d := &fakeDirectory{dir: directory()}
	m, h := pickerModel(t, d)
	press(t, m, "t", "t:billing q", "enter", "o")
	e := h.last(t)
	if r := decode[session.InviteRequest](t, e); e.Type != session.TypeConsult || r.Queue != "billing" {
		t.Errorf("sent %s %+v, want consult to queue billing", e.Type, r)
	}
	press(t, m, "t", "t:grace", "enter")
	// a click on [c Conference]
	_, hits, _ := m.layout()
	clicked := false
	for _, ht := range hits {
		if ht.t.kind == hitPickAct && pickKinds[ht.t.n].kind == session.InviteConference {
			_, cmd := m.Update(tea.MouseClickMsg{X: ht.x + 1, Y: ht.y, Button: tea.MouseLeft})
			run(t, m, cmd)
			clicked = true
		}
	}
	if !clicked {
		t.Fatal("no conference button to click")
	}
	e = h.last(t)
	if r := decode[session.InviteRequest](t, e); e.Type != session.TypeConference || r.Agent != "grace" {
		t.Errorf("the click sent %s %+v, want conference to grace", e.Type, r)
	}
}

// The picker refreshes while open and says when it cannot load.
func TestPickerRefreshAndError(t *testing.T) {
	d := &fakeDirectory{err: errors.New("401 Unauthorized: bad token")}
	m, _ := pickerModel(t, d)
	press(t, m, "t")
	if s := plain(t, m); !strings.Contains(s, "Could not load who is there: 401 Unauthorized: bad token") {
		t.Errorf("a failed load is not said:\n%s", s)
	}
	d.mu.Lock()
	d.dir, d.err = directory(), nil
	d.mu.Unlock()
	run(t, m, m.picker.tick(now.Add(pickRefresh)))
	if s := plain(t, m); !strings.Contains(s, "Grace Hopper") {
		t.Errorf("the picker did not refresh:\n%s", s)
	}
	if d.calls != 2 {
		t.Errorf("%d loads, want 2", d.calls)
	}
	// a chat not connected: no picker
	press(t, m, "esc")
	selectChat(t, m, "Fay Wong")
	press(t, m, "t")
	if m.picker.shown || !strings.Contains(m.status, "only a connected chat") {
		t.Errorf("the picker opened on a chat in wrap-up (status %q)", m.status)
	}
}

// The picker by mouse and at 80x24: a click on a row moves to it, a
// second click chooses it; the wheel moves; every line fits.
func TestPickerMouseAndSmall(t *testing.T) {
	d := &fakeDirectory{dir: directory()}
	m, h := pickerModel(t, d)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(t, m, "t")
	lines := strings.Split(plain(t, m), "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines at 80x24", len(lines))
	}
	for i, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line %d is %d wide", i, w)
		}
	}
	click := func(n int) {
		t.Helper()
		_, hits, _ := m.layout()
		for _, ht := range hits {
			if ht.t.kind == hitPickRow && ht.t.n == n {
				_, cmd := m.Update(tea.MouseClickMsg{X: ht.x + 3, Y: ht.y, Button: tea.MouseLeft})
				run(t, m, cmd)
				return
			}
		}
		t.Fatalf("no row %d to click", n)
	}
	click(2) // Grace Hopper (queues first)
	if m.picker.cursor != 2 || m.picker.mode != pickList {
		t.Fatalf("cursor %d mode %v after one click", m.picker.cursor, m.picker.mode)
	}
	click(2)
	if m.picker.mode != pickAction || m.picker.chosen == nil || m.picker.chosen.agent.ID != "grace" {
		t.Fatalf("a second click did not choose Grace")
	}
	press(t, m, "esc")
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.picker.cursor != 3 {
		t.Errorf("the wheel did not move the cursor: %d", m.picker.cursor)
	}
	h.reset()
	press(t, m, "enter", "c")
	if e := h.last(t); e.Type != session.TypeConference || decode[session.InviteRequest](t, e).Agent != "alan" {
		t.Errorf("sent %s %+v, want conference alan", e.Type, decode[session.InviteRequest](t, e))
	}
}
