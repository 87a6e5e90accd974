package hubsink_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/ui/script/netcut"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
	"github.com/agentdesk/agentdesk/uploader/internal/tusdtest"
)

const mib = 1 << 20

// recordings enqueues n random files of size bytes into q and returns them
// by name.
func recordings(t *testing.T, q *uploader.Queue, n, size int) map[string][]byte {
	t.Helper()
	src := t.TempDir()
	made := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("2026-11-21_0905%02d_general_ada_c-%d_record_r1.webm.age", i, 42+i)
		data := sinktest.Random(t, size)
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Enqueue(context.Background(), p, uploader.Manifest{Recording: fmt.Sprint("r", i), Interaction: fmt.Sprint("c-", 42+i), Agent: "ada", Encrypted: true}); err != nil {
			t.Fatal(err)
		}
		made[name] = data
	}
	return made
}

// run runs q until the test ends.
func run(t *testing.T, q *uploader.Queue) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// await waits on q's change signal until cond holds (20 s guard).
func await(t *testing.T, q *uploader.Queue, what string, cond func([]uploader.ItemStatus) bool) []uploader.ItemStatus {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s := q.Snapshot()
		if cond(s) {
			return s
		}
		select {
		case <-q.Changes():
		case <-deadline:
			t.Fatalf("timed out waiting for %s: %+v", what, s)
		}
	}
}

func allDone(s []uploader.ItemStatus) bool {
	for _, x := range s {
		if x.State != uploader.StateDone {
			return false
		}
	}
	return len(s) > 0
}

func waitChan(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// report checks that every recording made is stored byte-identical and
// none is left in the queue folder, and logs the count (R-V10).
func report(t *testing.T, srv *tusdtest.Server, queueDir string, made map[string][]byte) {
	t.Helper()
	stored := 0
	for name, data := range made {
		got, err := os.ReadFile(filepath.Join(srv.StoreDir, name))
		if err != nil {
			t.Errorf("%s not stored: %v", name, err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s stored with different bytes", name)
			continue
		}
		stored++
	}
	left, _ := filepath.Glob(filepath.Join(queueDir, "*", "*.webm.age"))
	t.Logf("recordings made %d, stored %d", len(made), stored)
	if stored != len(made) || len(left) != 0 {
		t.Fatalf("recordings made %d, stored %d; local copies left %v", len(made), stored, left)
	}
}

func openQueue(t *testing.T, dir, url string, opts uploader.Options) *uploader.Queue {
	t.Helper()
	if opts.Sink == nil {
		opts.Sink = newSink(t, url, 2*mib)
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	}
	opts.Logf = t.Logf
	q, err := uploader.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestFaultNetworkCut (R-V10): the network is cut in the middle of a PATCH;
// the upload resumes from the byte the hub acknowledged, not from 0.
func TestFaultNetworkCut(t *testing.T) {
	srv := tusdtest.Start(t, token)
	proxy, err := netcut.New(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	dir := t.TempDir()
	q := openQueue(t, dir, proxy.URL(), uploader.Options{})
	const size = 6 * mib
	made := recordings(t, q, 2, size)
	hit := srv.HoldAt(3 * mib)
	run(t, q)
	waitChan(t, hit, "3 MiB at the hub")
	ctx := context.Background()
	proxy.Down(ctx)
	srv.Release()
	srv.WaitIdle(t) // the hub saved what it got before the client comes back
	proxy.Up(ctx)
	await(t, q, "all stored", allDone)
	if got, want := srv.Received(), int64(len(made)*size); got != want || srv.Created() != len(made) {
		t.Fatalf("the hub read %d body bytes in %d uploads; want exactly %d in %d (resumed, not restarted)", got, srv.Created(), want, len(made))
	}
	report(t, srv, dir, made)
}

// flipProxy relays TCP to target and flips one byte at position at of the
// first connection's client-to-server stream.
type flipProxy struct {
	ln      net.Listener
	target  string
	at      int64
	flipped atomic.Bool
}

func newFlipProxy(t *testing.T, target string, at int64) *flipProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flipProxy{ln: ln, target: target, at: at}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *flipProxy) serve() {
	first := true
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		h, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		flip := first
		first = false
		go func() { io.Copy(c, h); c.Close() }()
		go func() {
			var pos int64
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if flip && !p.flipped.Load() && pos <= p.at && p.at < pos+int64(n) {
					buf[p.at-pos] ^= 0x01
					p.flipped.Store(true)
				}
				pos += int64(n)
				if n > 0 {
					if _, werr := h.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			h.Close()
		}()
	}
}

// TestFaultCorruptInTransit (R-V10): one byte flipped on the wire; the hub
// refuses the file (460), the client sends it again whole, it is stored
// byte-identical.
func TestFaultCorruptInTransit(t *testing.T) {
	srv := tusdtest.Start(t, token)
	fp := newFlipProxy(t, srv.Addr(), 512<<10)
	dir := t.TempDir()
	q := openQueue(t, dir, "http://"+fp.ln.Addr().String(), uploader.Options{})
	made := recordings(t, q, 2, 3*mib)
	run(t, q)
	await(t, q, "all stored", allDone)
	if !fp.flipped.Load() || srv.Mismatches() != 1 || srv.Created() != len(made)+1 {
		t.Fatalf("flipped %v, mismatches %d, uploads %d; want one refused and sent again", fp.flipped.Load(), srv.Mismatches(), srv.Created())
	}
	report(t, srv, dir, made)
}

// stepClock is a real clock whose waits the test ends by hand.
type stepClock struct{ waits chan chan time.Time }

func (c stepClock) Now() time.Time { return time.Now() }
func (c stepClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.waits <- ch
	return ch
}

// TestFaultDiskFull (R-V10): the hub answers 507; the panel says why and
// when it retries, the local file stays, and the upload goes through later.
func TestFaultDiskFull(t *testing.T) {
	srv := tusdtest.Start(t, token)
	srv.FailPatches(3, 507)
	dir := t.TempDir()
	clock := stepClock{waits: make(chan chan time.Time)}
	q := openQueue(t, dir, srv.URL, uploader.Options{Clock: clock})
	made := recordings(t, q, 1, mib)
	run(t, q)
	for i := range 3 {
		wake := <-clock.waits
		s := await(t, q, "retrying", func(s []uploader.ItemStatus) bool {
			return s[0].State == uploader.StateRetrying && s[0].Attempt == i+1
		})[0]
		desc := s.Describe(time.Now())
		if !strings.Contains(desc, "storage is full") {
			t.Fatalf("after failure %d: %q (%+v)", i+1, desc, s)
		}
		local, _ := filepath.Glob(filepath.Join(dir, "*", "*.webm.age"))
		if len(local) != 1 {
			t.Fatalf("local copies while the hub is full: %v", local)
		}
		if i == 0 {
			t.Logf("panel: %s", desc)
		}
		wake <- time.Now()
	}
	await(t, q, "stored", allDone)
	report(t, srv, dir, made)
}

// TestHelperQueue is not a test: the kill test runs the queue in this
// binary as a separate process (UPLOADER_HELPER_DIR set) and kills it.
func TestHelperQueue(t *testing.T) {
	dir, url := os.Getenv("UPLOADER_HELPER_DIR"), os.Getenv("UPLOADER_HELPER_URL")
	if dir == "" {
		return
	}
	s, err := hubsink.New(url, token, hubsink.Options{ChunkSize: 2 * mib})
	if err != nil {
		t.Fatal(err)
	}
	q, err := uploader.Open(dir, uploader.Options{Sink: s})
	if err != nil {
		t.Fatal(err)
	}
	q.Run(context.Background()) // until killed
}

// TestFaultQueueKilled (R-V10): the process running the queue is killed
// with SIGKILL in the middle of an upload; a new queue on the same folder
// resumes the same upload from the acknowledged byte.
func TestFaultQueueKilled(t *testing.T) {
	srv := tusdtest.Start(t, token)
	dir := t.TempDir()
	q := openQueue(t, dir, srv.URL, uploader.Options{})
	const size = 6 * mib
	made := recordings(t, q, 2, size)
	if err := q.Close(); err != nil { // the helper process takes the folder over
		t.Fatal(err)
	}
	hit := srv.HoldAt(3 * mib)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperQueue$")
	cmd.Env = append(os.Environ(), "UPLOADER_HELPER_DIR="+dir, "UPLOADER_HELPER_URL="+srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitChan(t, hit, "3 MiB at the hub")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("helper ended with %v, want killed", err)
	}
	srv.Release()
	srv.WaitIdle(t)
	q2 := openQueue(t, dir, srv.URL, uploader.Options{})
	run(t, q2)
	await(t, q2, "all stored", allDone)
	if got, want := srv.Received(), int64(len(made)*size); got != want || srv.Created() != len(made) {
		t.Fatalf("the hub read %d body bytes in %d uploads; want exactly %d in %d (resumed, not restarted)", got, srv.Created(), want, len(made))
	}
	report(t, srv, dir, made)
}
