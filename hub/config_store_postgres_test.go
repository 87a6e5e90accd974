package hub

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentdesk/agentdesk/hub/internal/natstest"
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

// TestClusterAutoOnPostgres (issue 16 points 1 and 4): two hubs of role
// auto on one PostgreSQL database and a real nats-server: PostgreSQL's
// lock elects one core, the other is an edge and carries its sockets to it
// (a customer on one hub chats with an agent on the other); when the core
// stops the edge takes the store within seconds and resumes the chat from
// PostgreSQL with its transcript.
func TestClusterAutoOnPostgres(t *testing.T) {
	dsn := pgtest.StartT(t).Database(t)
	t.Setenv("AGENTDESK_TEST_PG", dsn)
	ns := natstest.Start(t)
	tf := filepath.Join(t.TempDir(), "nats.token")
	if err := os.WriteFile(tf, []byte(ns.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	type node struct {
		n   *Node
		ts  *httptest.Server
		url string
	}
	start := func(name string) node {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		url := "http://" + ln.Addr().String()
		cfg := testConfig(t, func(c *Config) {
			c.Store.Driver, c.Store.DSNEnv = DriverPostgres, "AGENTDESK_TEST_PG"
			c.Cluster = ClusterConfig{NATS: ns.URL, NATSTokenFile: tf, Role: RoleAuto, Node: name, Advertise: url}
			c.TrustedProxies = []string{"127.0.0.1"}
			var errs []string
			bad := func(f string, a ...any) { errs = append(errs, f) }
			c.Store.validateDriver(bad)
			c.validateNet(bad)
			c.validateCluster(bad)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
		})
		n, err := OpenNode(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewUnstartedServer(n)
		ts.Listener.Close()
		ts.Listener = ln
		ts.Start()
		t.Cleanup(func() { n.Close(); ts.Close(); _ = n.CloseStore() })
		return node{n, ts, "ws" + strings.TrimPrefix(url, "http")}
	}
	a := start("hub-a")
	if !a.n.IsCore() {
		t.Fatal("the first hub on a free database is not the core")
	}
	b := start("hub-b")
	if b.n.IsCore() {
		t.Fatal("a second core on the same PostgreSQL database")
	}
	deadline := time.Now().Add(wait)
	for up, _ := b.n.Server().edge.coreUp(); !up; up, _ = b.n.Server().edge.coreUp() {
		if time.Now().After(deadline) {
			t.Fatal("the edge never heard the core")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// While the core lives the edge opens no store: it asks pg_locks on
	// the one connection it keeps (an Open is a pool, the migrations'
	// check and a try of the lock, twice a second).
	mon, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close(context.Background())
	sessions := func() int64 { // the database's sessions ended so far
		var n int64
		if err := mon.QueryRow(context.Background(), `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s0 := sessions()
	time.Sleep(5 * tryEvery)
	if d := sessions() - s0; d > 1 {
		t.Errorf("%d sessions came and went in %v while the core lived: the edge opens the store instead of asking", d, 5*tryEvery)
	}
	var probes int
	if err := mon.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chathub-probe'`).Scan(&probes); err != nil || probes != 1 {
		t.Errorf("%d probe connections (%v), want the edge's one", probes, err)
	}

	g, _ := agentLogin(t, a.url, "t-grace", true)
	c, j := customerJoin(t, b.url, session.JoinData{Name: "Zoë"})
	connect(t, g, c, j.Chat)
	c.send(session.TypeSend, j.Chat, session.SendData{Text: "through the edge"})
	lineWith(g, "through the edge")

	a.n.Close() // the core stops, and its store with it: its lock goes
	if err := a.n.CloseStore(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	deadline = stopped.Add(10 * time.Second)
	for !b.n.IsCore() {
		if time.Now().After(deadline) {
			t.Fatal("the edge did not take the store within 10 s of the core's stop")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the edge became the core %v after the core stopped", time.Since(stopped).Round(time.Millisecond))
	g2, wg := agentLogin(t, b.url, "t-grace", false)
	if len(wg.Chats) != 1 || wg.Chats[0].ID != j.Chat {
		t.Fatalf("grace's chats on the new core: %+v", wg.Chats)
	}
	snap, _ := expectData[session.ChatData](g2, session.TypeChat)
	if got := lineTexts(snap.Transcript); !slices.Contains(got, "customer:through the edge") {
		t.Fatalf("the transcript on the new core: %q", got)
	}
}
