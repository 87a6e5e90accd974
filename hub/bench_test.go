package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// The load of both relay benchmarks: benchChats customers, each sending
// benchMsgs messages benchGap apart (1,000 chats at one message per 100 ms
// each is 10,000 messages a second offered).
const (
	benchChats  = 1000
	benchAgents = 50
	benchCap    = 20
	benchMsgs   = 20
	benchGap    = 100 * time.Millisecond
)

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

// memPerConn is the heap and stack growth since before, per connection, in KB.
func memPerConn(before uint64, conns int) float64 {
	after := heapInUse()
	if after <= before {
		return 0
	}
	return float64(after-before) / float64(conns) / 1024
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
	time.Sleep(time.Duration(i) * benchGap / benchChats) // spread the starts
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

// BenchmarkHubRelay: 1,000 chats through the hub (50 agents × 20).
// Metrics: msgs/s relayed, p50/p99 customer→agent latency, memory per
// websocket (client and server ends are in this process: it is the heap
// and stack delta over the connections opened, both ends included).
func BenchmarkHubRelay(b *testing.B) {
	var cfgYAML strings.Builder
	cfgYAML.WriteString(strings.Split(testYAML, "agents:")[0])
	cfgYAML.WriteString("agents:\n")
	for i := range benchAgents {
		fmt.Fprintf(&cfgYAML, "  - {id: a%d, name: Agent %d, token: t%d, capacity: %d, queues: [general]}\n", i, i, i, benchCap)
	}
	cfg, err := ParseConfig([]byte(cfgYAML.String()))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Timers.InactivityWarn, cfg.Timers.InactivityTimeout = time.Hour, 2*time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	before := heapInUse()
	s := New(cfg, nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()
	base := "ws" + strings.TrimPrefix(ts.URL, "http")

	lat := newLatencies(benchChats * benchMsgs * b.N)
	var agentsUp sync.WaitGroup
	for i := range benchAgents {
		c := benchDial(ctx, b, base+"/v1/agent")
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
	var inChat sync.WaitGroup
	inChat.Add(benchChats)
	for i := range custs {
		c := benchDial(ctx, b, base+"/v1/customer")
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
	kb := memPerConn(before, benchChats+benchAgents)

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		for i, c := range custs {
			wg.Go(func() {
				_ = pace(ctx, i, func(text string) error {
					return c.Write(context.Background(), websocket.MessageText, sendFrame(chats[i], text))
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

// BenchmarkBareRelay is the floor: a minimal coder/websocket server with
// the hub's topology (benchAgents agent sockets, each carrying benchCap
// chats) that forwards customer i's frames to agent socket i%benchAgents;
// same load and metrics.
func BenchmarkBareRelay(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := heapInUse()
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
			if agent.Write(context.Background(), typ, bs) != nil { // shared by benchCap customers, as in the hub
				return
			}
		}
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	base := "ws" + strings.TrimPrefix(ts.URL, "http")

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
	kb := memPerConn(before, benchChats+benchAgents)

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var wg sync.WaitGroup
		for i, c := range custs {
			wg.Go(func() {
				_ = pace(ctx, i, func(text string) error { return c.Write(context.Background(), websocket.MessageText, []byte(text)) })
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
