package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/hub/internal/natstest"
	"github.com/agentdesk/agentdesk/session"
)

// The load of both relay benchmarks: benchChats customers, each sending
// benchMsgs messages benchGap apart (1,000 chats at one message per 100 ms
// each is 10,000 messages a second offered).
var (
	benchChats  = 1000
	benchAgents = 50
	benchMsgs   = 20
	benchGap    = 100 * time.Millisecond
)

// benchCap is how many chats each benchmark agent takes.
const benchCap = 20

// scaleLoad sets the load of BenchmarkClusterScale (10,000 chats on 500
// agents, one message a second each: 10,000 a second offered) for f.
func scaleLoad(f func()) {
	c, a, m, g := benchChats, benchAgents, benchMsgs, benchGap
	benchChats, benchAgents, benchMsgs, benchGap = 10_000, 500, 5, time.Second
	defer func() { benchChats, benchAgents, benchMsgs, benchGap = c, a, m, g }()
	f()
}

// Markers the agent harness finds in message frames.
var (
	msgPrefix    = []byte(`{"v":1,"type":"message"`)
	textField    = []byte(`"text":"`)
	fromCustomer = []byte(`"from":"customer"`)
)

// latencies collects customer→agent latencies from many goroutines.
type latencies struct {
	mu  sync.Mutex
	d   []time.Duration
	got atomic.Int64
	all chan struct{} // closed when want samples are in
	n   int64
}

func newLatencies(want int) *latencies {
	return &latencies{d: make([]time.Duration, 0, want), all: make(chan struct{}), n: int64(want)}
}

// stamp reads "t<unix nanos> ..." and records the latency.
func (l *latencies) stamp(text string) {
	f, _, _ := strings.Cut(text, " ")
	ns, err := strconv.ParseInt(strings.TrimPrefix(f, "t"), 10, 64)
	if err != nil || !strings.HasPrefix(f, "t") {
		return
	}
	d := time.Since(time.Unix(0, ns))
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
	if l.got.Add(1) == l.n {
		close(l.all)
	}
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slices.Sort(l.d)
	pct := func(p float64) float64 {
		if len(l.d) == 0 {
			return 0
		}
		return float64(l.d[int(p*float64(len(l.d)-1))].Microseconds())
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// heapInUse is the live heap plus goroutine stacks after a GC.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if testing.Verbose() {
		fmt.Printf("heap %d KB, stacks %d KB, goroutines %d\n", m.HeapAlloc>>10, m.StackInuse>>10, runtime.NumGoroutine())
	}
	return m.HeapAlloc + m.StackInuse
}

// readReuse reads one message into buf (reused: the harness should not
// add garbage of its own to the figures).
func readReuse(c *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := c.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(r)
	return buf.Bytes(), err
}

func benchDial(ctx context.Context, b *testing.B, url string) *websocket.Conn {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		b.Fatalf("dial %s: %v", url, err)
	}
	return c
}

func writeEnv(ctx context.Context, c *websocket.Conn, typ, chat string, data any) error {
	env, _ := session.NewEnvelope(typ, chat, data)
	bs, _ := json.Marshal(env)
	return c.Write(ctx, websocket.MessageText, bs)
}

// sendFrame is a customer's send envelope, built without encoding/json
// (the text is plain ASCII) so the harness adds little garbage.
func sendFrame(chat, text string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"v":1,"type":"send","chat":"`...)
	b = append(b, chat...)
	b = append(b, `","data":{"text":"`...)
	b = append(b, text...)
	return append(b, `"}}`...)
}

// pace sends benchMsgs stamped texts through send, spread over the run.
func pace(ctx context.Context, i int, send func(text string) error) error {
	time.Sleep(time.Duration(i) * benchGap / time.Duration(benchChats)) // spread the starts
	t := time.NewTicker(benchGap)
	defer t.Stop()
	for k := range benchMsgs {
		if err := send(fmt.Sprintf("t%d msg %d", time.Now().UnixNano(), k)); err != nil {
			return err
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// drive runs the load b.N times, customer i sending frame(i, text) for
// each stamped text, waits for every message to arrive and reports the
// figures, kb among them.
func drive(ctx context.Context, b *testing.B, custs []*websocket.Conn, lat *latencies, kb float64, frame func(i int, text string) []byte) {
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		for i, c := range custs {
			wg.Go(func() {
				_ = pace(ctx, i, func(text string) error {
					return c.Write(context.Background(), websocket.MessageText, frame(i, text))
				})
			})
		}
		wg.Wait()
	}
	select {
	case <-lat.all:
	case <-time.After(30 * time.Second):
		b.Fatalf("only %d of %d messages arrived", lat.got.Load(), lat.n)
	}
	lat.report(b, time.Since(start))
	b.ReportMetric(kb, "KB/conn") // after the timer reset, which drops metrics
}

// BenchmarkHubRelay: 1,000 chats through the hub (50 agents × 20), the
// hub in a process of its own, its store in memory and in a SQLite file
// (every line written through before it is relayed). Metrics: msgs/s
// relayed, p50/p99 customer→agent latency, and the hub process's heap and
// stack growth per websocket it serves (KB/conn).
func BenchmarkHubRelay(b *testing.B) {
	for _, st := range []string{"memory", "file"} {
		b.Run("store="+st, func(b *testing.B) { benchHubRelay(b, "hub-"+st) })
	}
}

// BenchmarkClusterScale: 10,000 chats (500 agents × 20, one message a
// second each) on one hub against three (a core and two edges over a real
// nats-server, customers and agents spread over the three), the store a
// SQLite file (issue 16's benchmark). Besides msgs/s and latencies,
// chats-in/s is how fast the 10,000 customers were routed and taken.
func BenchmarkClusterScale(b *testing.B) {
	for _, kind := range []string{"hub-file", "cluster3-file"} {
		b.Run(kind, func(b *testing.B) { scaleLoad(func() { benchHubRelay(b, kind) }) })
	}
}

// BenchmarkClusterRelay is BenchmarkHubRelay's load across a cluster
// (issue 16): the customers on an edge hub, the agents on the core (its
// store a SQLite file), every customer frame crossing a real nats-server
// to the core: beside BenchmarkHubRelay/store=file its p50 and p99 give
// the latency a cross-hub hop adds.
func BenchmarkClusterRelay(b *testing.B) { benchHubRelay(b, "cluster-file") }

func benchHubRelay(b *testing.B, kind string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startRelayServer(b, kind)
	base := srv.base
	agentBase := func(int) string { return base }
	custBase := agentBase
	switch len(srv.edges) {
	case 1: // customers on the edge, agents on the core: every line crosses
		custBase = func(int) string { return srv.edges[0] }
	case 2: // everyone spread over the three hubs
		all := []string{base, srv.edges[0], srv.edges[1]}
		agentBase = func(i int) string { return all[i%3] }
		custBase = func(i int) string { return all[(i+1)%3] }
	}
	lat := newLatencies(benchChats * benchMsgs * b.N)
	var agentsUp sync.WaitGroup
	for i := range benchAgents {
		c := benchDial(ctx, b, agentBase(i)+"/v1/agent")
		c.SetReadLimit(1 << 20)
		agentsUp.Add(1)
		go func() {
			_ = writeEnv(ctx, c, session.TypeHello, "", session.HelloData{Token: fmt.Sprintf("t%d", i)})
			_ = writeEnv(ctx, c, session.TypeReady, "", session.ReadyData{Ready: true})
			var buf bytes.Buffer
			for {
				bs, err := readReuse(c, &buf)
				if err != nil {
					return
				}
				// The harness reads message frames without a JSON
				// decoder, to keep its own cost out of the figures.
				if bytes.HasPrefix(bs, msgPrefix) {
					if i := bytes.Index(bs, textField); i > 0 && bytes.Contains(bs, fromCustomer) {
						lat.stamp(string(bs[i+len(textField) : i+len(textField)+21]))
					}
					continue
				}
				var env session.Envelope
				if json.Unmarshal(bs, &env) != nil {
					continue
				}
				switch env.Type {
				case session.TypeAgent:
					agentsUp.Done()
				case session.TypeOffer:
					_ = writeEnv(ctx, c, session.TypeAccept, env.Chat, nil)
				}
			}
		}()
	}
	agentsUp.Wait()

	custs := make([]*websocket.Conn, benchChats)
	chats := make([]string, benchChats)
	joined := time.Now()
	var inChat sync.WaitGroup
	inChat.Add(benchChats)
	for i := range custs {
		c := benchDial(ctx, b, custBase(i)+"/v1/customer")
		custs[i] = c
		if err := writeEnv(ctx, c, session.TypeJoin, "", session.JoinData{Name: fmt.Sprintf("C%d", i)}); err != nil {
			b.Fatal(err)
		}
		go func() {
			in := false
			var buf bytes.Buffer
			for {
				bs, err := readReuse(c, &buf)
				if err != nil {
					return
				}
				if in {
					continue // the echoes
				}
				var env session.Envelope
				if json.Unmarshal(bs, &env) != nil {
					continue
				}
				switch env.Type {
				case session.TypeJoined:
					chats[i] = env.Chat
				case session.TypeAgentIn:
					in = true
					inChat.Done()
				}
			}
		}()
	}
	inChat.Wait()
	routed := float64(benchChats) / time.Since(joined).Seconds()
	kb := srv.memPerConn(b, benchChats+benchAgents)

	drive(ctx, b, custs, lat, kb, func(i int, text string) []byte { return sendFrame(chats[i], text) })
	b.ReportMetric(routed, "chats-in/s")
}

// BenchmarkBareRelay is the floor: a minimal coder/websocket server with
// the hub's topology (benchAgents agent sockets, each carrying benchCap
// chats) in a process of its own; same load and metrics.
func BenchmarkBareRelay(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startRelayServer(b, "bare")
	base := srv.base
	lat := newLatencies(benchChats * benchMsgs * b.N)
	for i := range benchAgents {
		a := benchDial(ctx, b, fmt.Sprintf("%s/agent/%d", base, i))
		go func() {
			var buf bytes.Buffer
			for {
				bs, err := readReuse(a, &buf)
				if err != nil {
					return
				}
				lat.stamp(string(bs))
			}
		}()
	}
	custs := make([]*websocket.Conn, benchChats)
	for i := range benchChats {
		custs[i] = benchDial(ctx, b, fmt.Sprintf("%s/customer/%d", base, i%benchAgents))
	}
	kb := srv.memPerConn(b, benchChats+benchAgents)

	drive(ctx, b, custs, lat, kb, func(_ int, text string) []byte { return []byte(text) })
}

// bareRelay is the bare relay's server: customer socket /customer/{id}
// forwards its frames to agent socket /agent/{id}, which benchCap
// customers share, as in the hub.
func bareRelay(ctx context.Context) http.Handler {
	var mu sync.Mutex
	agents := map[string]*websocket.Conn{}
	arrived := sync.NewCond(&mu)
	mux := http.NewServeMux()
	mux.HandleFunc("/agent/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		agents[r.PathValue("id")] = c
		arrived.Broadcast()
		mu.Unlock()
		<-c.CloseRead(ctx).Done()
	})
	mux.HandleFunc("/customer/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		for agents[r.PathValue("id")] == nil {
			arrived.Wait()
		}
		agent := agents[r.PathValue("id")]
		mu.Unlock()
		for {
			typ, bs, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if agent.Write(context.Background(), typ, bs) != nil {
				return
			}
		}
	})
	return mux
}

// benchHubConfig is the test config with benchAgents agents of capacity
// benchCap and timers that never fire during a run.
func benchHubConfig() (*Config, error) {
	var y strings.Builder
	y.WriteString(strings.Split(testYAML, "agents:")[0])
	y.WriteString("agents:\n")
	for i := range benchAgents {
		fmt.Fprintf(&y, "  - {id: a%d, name: Agent %d, token: t%d, capacity: %d, queues: [general]}\n", i, i, i, benchCap)
	}
	cfg, err := ParseConfig([]byte(y.String()))
	if err != nil {
		return nil, err
	}
	cfg.Timers.InactivityWarn, cfg.Timers.InactivityTimeout = time.Hour, 2*time.Hour
	cfg.Limits.CustomersPerIP = 1 << 20                        // every customer comes from loopback
	cfg.Limits.MessageRate, cfg.Limits.MessageBurst = 1e6, 1e6 // the load is the point here
	cfg.Limits.MaxConnections, cfg.Limits.MaxCustomers = 50_000, 45_000
	return cfg, nil
}

// relayServer is a relay benchmark's server, running in a child process so
// that its memory is its own: the clients' ends of the sockets live in the
// benchmark's process.
type relayServer struct {
	base   string   // ws://127.0.0.1:port
	edges  []string // a cluster's edge hubs, ws://127.0.0.1:port (none alone)
	in     io.WriteCloser
	out    *bufio.Scanner
	before uint64
}

// startRelayServer runs TestHelperRelayServer as kind ("hub" or "bare")
// and reads its address and its memory before any connection.
func startRelayServer(b *testing.B, kind string) *relayServer {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRelayServer$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "HUB_BENCH_SERVER="+kind, fmt.Sprintf("HUB_BENCH_AGENTS=%d", benchAgents))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	r := &relayServer{in: in, out: bufio.NewScanner(out)}
	r.base = "ws" + strings.TrimPrefix(r.line(b, "addr "), "http")
	if strings.HasPrefix(kind, "cluster") {
		for _, e := range strings.Fields(r.line(b, "edges ")) {
			r.edges = append(r.edges, "ws"+strings.TrimPrefix(e, "http"))
		}
	}
	r.before = r.mem(b)
	return r
}

// line reads the child's next line, which must start with prefix.
func (r *relayServer) line(b *testing.B, prefix string) string {
	for r.out.Scan() {
		if v, ok := strings.CutPrefix(r.out.Text(), prefix); ok {
			return v
		}
	}
	b.Fatalf("relay server: no %q line (%v)", prefix, r.out.Err())
	return ""
}

// mem asks the child for its heap and stacks in use after a GC.
func (r *relayServer) mem(b *testing.B) uint64 {
	if _, err := io.WriteString(r.in, "mem\n"); err != nil {
		b.Fatal(err)
	}
	n, err := strconv.ParseUint(r.line(b, "mem "), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// memPerConn is the child's heap and stack growth since it started
// serving, per connection, in KB.
func (r *relayServer) memPerConn(b *testing.B, conns int) float64 {
	after := r.mem(b)
	if after <= r.before {
		return 0
	}
	return float64(after-r.before) / float64(conns) / 1024
}

// TestHelperRelayServer is not a test: the relay benchmarks run their
// server in this binary as a child process (HUB_BENCH_SERVER set). It
// prints "addr URL", then answers each "mem" line on stdin with
// "mem BYTES", and ends when stdin closes.
func TestHelperRelayServer(t *testing.T) {
	kind := os.Getenv("HUB_BENCH_SERVER")
	if kind == "" {
		return
	}
	if n, err := strconv.Atoi(os.Getenv("HUB_BENCH_AGENTS")); err == nil && n > 0 {
		benchAgents = n // the parent's load
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var h http.Handler
	var edgeURL string // a cluster's edge
	switch kind {
	case "hub-memory", "hub-file":
		cfg, err := benchHubConfig()
		if err != nil {
			t.Fatal(err)
		}
		if kind == "hub-file" || kind == "hub-scale" {
			cfg.Store.Dir = t.TempDir()
		}
		s, err := Open(cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.CloseStore()
		defer s.Close()
		h = s.Handler()
	case "cluster-file", "cluster3-file":
		ns := natstest.Start(t)
		tf := filepath.Join(t.TempDir(), "nats.token")
		if err := os.WriteFile(tf, []byte(ns.Token), 0o600); err != nil {
			t.Fatal(err)
		}
		open := func(role, node, coreURL string) *Server {
			cfg, err := benchHubConfig()
			if err != nil {
				t.Fatal(err)
			}
			cfg.Cluster = ClusterConfig{NATS: ns.URL, NATSTokenFile: tf, Role: role, Node: node, CoreURL: coreURL}
			cfg.validateCluster(func(f string, a ...any) { t.Fatalf(f, a...) })
			if role == RoleCore {
				cfg.Store.Dir = t.TempDir()
			}
			s, err := Open(cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		core := open(RoleCore, "core", "")
		defer core.CloseStore()
		defer core.Close()
		h = core.Handler()
		n := 1
		if kind == "cluster3-file" {
			n = 2
		}
		var urls []string
		for i := range n {
			edgeTS := httptest.NewUnstartedServer(nil)
			edge := open(RoleEdge, fmt.Sprintf("edge%d", i), "http://"+edgeTS.Listener.Addr().String()) // not used: sockets only
			defer edge.CloseStore()
			defer edge.Close()
			edgeTS.Config.Handler = edge.Handler()
			edgeTS.Start()
			defer edgeTS.Close()
			for up, _ := edge.edge.coreUp(); !up; up, _ = edge.edge.coreUp() {
				time.Sleep(10 * time.Millisecond)
			}
			urls = append(urls, edgeTS.URL)
		}
		edgeURL = strings.Join(urls, " ")
	case "bare":
		h = bareRelay(ctx)
	default:
		t.Fatalf("HUB_BENCH_SERVER=%q: want hub-memory, hub-file or bare", kind)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	if path := os.Getenv("HUB_BENCH_CPUPROFILE"); path != "" { // the server's own profile
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println("addr " + ts.URL)
	if edgeURL != "" {
		fmt.Println("edges " + edgeURL)
	}
	sc := bufio.NewScanner(os.Stdin)
	heaps := 0
	for sc.Scan() {
		switch sc.Text() {
		case "mem":
			fmt.Printf("mem %d\n", heapInUse())
		case "stats":
			fmt.Println(stats())
			if dir := os.Getenv("HUB_BENCH_HEAPDIR"); dir != "" { // a heap profile at each, to compare
				heaps++
				if f, err := os.Create(fmt.Sprintf("%s/heap%d.prof", dir, heaps)); err == nil {
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}
	}
}
