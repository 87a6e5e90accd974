package hub

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/session"
)

// TestHubOnPostgres (issue 16, X-3): with store.driver: postgres the hub
// keeps its memory in PostgreSQL: a chat being recorded resumes after a
// restart with its transcript, and once it ends its recording is found by
// a word of what it took, accents folded (R-V5); /readyz asks PostgreSQL;
// a second hub on the same database is refused.
func TestHubOnPostgres(t *testing.T) {
	dsn := pgtest.StartT(t).Database(t)
	t.Setenv("AGENTDESK_TEST_PG", dsn)
	r := newRestartable(t, nil, func(c *Config) {
		c.Agents[1].Recording = &AgentRecording{MayRecord: true, MayPause: true, Permits: true}
		c.Store.Driver, c.Store.DSNEnv = DriverPostgres, "AGENTDESK_TEST_PG"
		c.Store.validateDriver(func(f string, a ...any) { t.Fatalf(f, a...) })
	})
	st := r.s.st
	if a, ok := st.(auditedStore); ok {
		st = a.Store
	}
	if _, ok := st.(*postgres.DB); !ok {
		t.Fatalf("the hub's store is a %T, want PostgreSQL", st)
	}
	// Ready: the hub's store is PostgreSQL, and it answers.
	res, err := http.Get(r.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"store":"ok"`) {
		t.Fatalf("/readyz on PostgreSQL: %d %s", res.StatusCode, body)
	}
	// A second hub on the same database is refused while this one runs.
	if second, err := Open(r.cfg, Options{}); err == nil {
		second.Close()
		second.CloseStore()
		t.Fatal("a second hub opened the same PostgreSQL database")
	} else if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "in use by another hub") {
		t.Fatalf("a second hub: %v", err)
	}
	g, _ := agentLogin(t, r.base, "t-grace", true)
	c, j := customerJoin(t, r.base, session.JoinData{Name: "Zoë", Contact: "zoe-1"})
	connect(t, g, c, j.Chat)
	g.send(session.TypeRecord, j.Chat, session.RecordData{Button: "record"})
	recFrame(g)
	c.send(session.TypeSend, j.Chat, session.SendData{Text: "Mon café est froid"})
	lineWith(g, "Mon café est froid")

	r.restart()

	g2, wg := agentLogin(t, r.base, "t-grace", false)
	if len(wg.Chats) != 1 || wg.Chats[0].ID != j.Chat || wg.Chats[0].State != session.Connected {
		t.Fatalf("grace's welcome after the restart: %+v", wg.Chats)
	}
	snap, _ := expectData[session.ChatData](g2, session.TypeChat)
	if got := lineTexts(snap.Transcript); len(got) == 0 || got[len(got)-1] != "customer:Mon café est froid" {
		t.Fatalf("transcript after the restart: %q", got)
	}
	g2.send(session.TypeEnd, j.Chat, nil)
	g2.send(session.TypeDone, j.Chat, nil)
	for st, _ := expectData[session.StateData](g2, session.TypeState); st.State != session.Done; st, _ = expectData[session.StateData](g2, session.TypeState) {
	}
	page, err := r.s.Store().Recordings(context.Background(), store.RecordingFilter{Text: "CAFE froid"})
	if err != nil || len(page.Recordings) != 1 || page.Recordings[0].Interaction != j.Chat {
		t.Fatalf("the recording by its words: %+v %v", page.Recordings, err)
	}
}
