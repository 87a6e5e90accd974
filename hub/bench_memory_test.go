package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/agentdesk/agentdesk/session"
)

// memChats is how many chats the second part of BenchmarkHubMemoryFlat
// runs (HUB_MEM_CHATS overrides it).
var memChats = func() int {
	if n, err := strconv.Atoi(os.Getenv("HUB_MEM_CHATS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}()

// serverStats is what the relay server child reports of itself: its
// resident memory after a GC that returns freed memory to the system, its
// Go heap and its goroutines.
type serverStats struct {
	RSS, Anon, Heap uint64
	Goroutines      int
}

// stats answers the child's "stats" command.
func stats() string {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	// VmRSS is all resident pages; RssAnon leaves out the program's own
	// code and the files it maps (pages of the binary run for the first
	// time, SQLite's shared WAL index), which are not what chats leave.
	var rss, anon uint64
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, ":")
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			switch k {
			case "VmRSS":
				rss = kb << 10
			case "RssAnon":
				anon = kb << 10
			}
		}
	}
	return fmt.Sprintf("stats %d %d %d %d", rss, anon, m.HeapAlloc+m.StackInuse, runtime.NumGoroutine())
}

// stats asks the child for its serverStats.
func (r *relayServer) stats(b *testing.B) serverStats {
	if _, err := io.WriteString(r.in, "stats\n"); err != nil {
		b.Fatal(err)
	}
	var s serverStats
	if _, err := fmt.Sscanf(r.line(b, "stats "), "%d %d %d %d", &s.RSS, &s.Anon, &s.Heap, &s.Goroutines); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkHubMemoryFlat: the hub (a child process, its store a SQLite
// file) serves 100 chats of 50 customer lines each, done by their agents,
// then 10,000 more; its memory and goroutines after the 10,100 must be
// what they were after the 100 (issue 9: finished chats leave memory; the
// store keeps them). Metrics: RSS and goroutines after each, and the ratio.
func BenchmarkHubMemoryFlat(b *testing.B) {
	for range b.N {
		srv := startRelayServer(b, "hub-file")
		ctx, cancel := context.WithCancel(context.Background())
		day := newMemDay(ctx, b, srv.base)
		day.chats(b, 100)
		first := srv.stats(b)
		ran := 100
		for _, n := range []int{1000, memChats / 2, memChats} { // the curve, in the log
			if n <= ran-100 {
				continue
			}
			day.chats(b, n-(ran-100))
			ran = n + 100
			st := srv.stats(b)
			b.Logf("after %6d chats: RSS %.1f MB (anonymous %.1f MB), heap %.1f MB, %d goroutines", ran, float64(st.RSS)/(1<<20), float64(st.Anon)/(1<<20), float64(st.Heap)/(1<<20), st.Goroutines)
		}
		after := srv.stats(b)
		cancel()
		day.wg.Wait()
		b.ReportMetric(float64(first.RSS)/(1<<20), "MB-rss-100")
		b.ReportMetric(float64(after.RSS)/(1<<20), "MB-rss-10100")
		b.ReportMetric(float64(after.RSS)/float64(first.RSS), "rss-ratio")
		b.ReportMetric(float64(first.Anon)/(1<<20), "MB-anon-100")
		b.ReportMetric(float64(after.Anon)/(1<<20), "MB-anon-10100")
		b.ReportMetric(float64(after.Anon)/float64(first.Anon), "anon-ratio")
		b.ReportMetric(float64(first.Heap)/(1<<20), "MB-heap-100")
		b.ReportMetric(float64(after.Heap)/(1<<20), "MB-heap-10100")
		b.ReportMetric(float64(first.Goroutines), "goroutines-100")
		b.ReportMetric(float64(after.Goroutines), "goroutines-10100")
	}
}

// memDay is the agents of the memory benchmark: they accept every offer
// and mark every chat done as soon as it ends.
type memDay struct {
	ctx  context.Context
	base string
	wg   sync.WaitGroup
	done atomic.Int64 // chats done
}

func newMemDay(ctx context.Context, b *testing.B, base string) *memDay {
	d := &memDay{ctx: ctx, base: base}
	up := make(chan struct{}, benchAgents)
	for i := range benchAgents {
		c := benchDial(ctx, b, base+"/v1/agent")
		c.SetReadLimit(4 << 20)
		d.wg.Add(1)
		go func() { <-ctx.Done(); c.CloseNow() }() // ends the reads below
		go func() {
			defer d.wg.Done()
			_ = writeEnv(ctx, c, session.TypeHello, "", session.HelloData{Token: fmt.Sprintf("t%d", i)})
			_ = writeEnv(ctx, c, session.TypeReady, "", session.ReadyData{Ready: true})
			var buf bytes.Buffer
			for {
				bs, err := readReuse(c, &buf)
				if err != nil {
					return
				}
				if bytes.HasPrefix(bs, msgPrefix) {
					continue
				}
				var env session.Envelope
				if json.Unmarshal(bs, &env) != nil {
					continue
				}
				switch env.Type {
				case session.TypeAgent:
					up <- struct{}{}
				case session.TypeOffer:
					_ = writeEnv(ctx, c, session.TypeAccept, env.Chat, nil)
				case session.TypeState:
					var sd session.StateData
					_ = env.Decode(&sd)
					switch sd.State {
					case session.ACW:
						_ = writeEnv(ctx, c, session.TypeDone, env.Chat, nil)
					case session.Done:
						d.done.Add(1)
					}
				}
			}
		}()
	}
	for range benchAgents {
		<-up
	}
	return d
}

// chats runs n chats, 200 at a time, and waits until all are done.
func (d *memDay) chats(b *testing.B, n int) {
	target := d.done.Load() + int64(n)
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := d.chat(i); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	for d.done.Load() < target && d.ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
}

// chat is one customer: joins, waits for the agent, says 50 lines and
// leaves once the last is echoed.
func (d *memDay) chat(i int) error {
	c, _, err := websocket.Dial(d.ctx, d.base+"/v1/customer", nil)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	if err := writeEnv(d.ctx, c, session.TypeJoin, "", session.JoinData{Name: fmt.Sprintf("C%d", i), Contact: fmt.Sprintf("k%d", i%500)}); err != nil {
		return err
	}
	var chat string
	var buf bytes.Buffer
	echoed := 0
	for {
		bs, err := readReuse(c, &buf)
		if err != nil {
			return fmt.Errorf("customer %d: %w", i, err)
		}
		if bytes.HasPrefix(bs, msgPrefix) {
			if bytes.Contains(bs, fromCustomer) {
				if echoed++; echoed == 50 {
					return writeEnv(d.ctx, c, session.TypeLeave, chat, nil)
				}
			}
			continue
		}
		var env session.Envelope
		if json.Unmarshal(bs, &env) != nil {
			continue
		}
		switch env.Type {
		case session.TypeJoined:
			chat = env.Chat
		case session.TypeAgentIn:
			for n := range 50 {
				if err := c.Write(d.ctx, websocket.MessageText, sendFrame(chat, fmt.Sprintf("line %02d of a chat of fifty lines", n))); err != nil {
					return err
				}
			}
		case session.TypeError:
			return fmt.Errorf("customer %d: %s", i, env.Data)
		}
	}
}
