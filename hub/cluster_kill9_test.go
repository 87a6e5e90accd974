package hub

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/agentdesk/agentdesk/hub/ingest/s3files/s3test"
	"github.com/agentdesk/agentdesk/hub/internal/natstest"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/postgres/pgtest"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

// freePort is a loopback port nobody listens on (now).
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// haproxyBinary is Debian's haproxy; make test installs it.
func haproxyBinary(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if b, err := exec.LookPath(p); err == nil {
			return b
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("haproxy is not installed (apt-get install haproxy; make test installs it)")
	}
	t.Skip("haproxy is not installed")
	return ""
}

// startHAProxy balances port over the hubs' ports, sending new connections
// only to hubs whose /readyz answers 200 (checked every 200 ms), and
// trying another hub when one refuses a connection.
func startHAProxy(t testing.TB, port int, hubs []int) {
	t.Helper()
	bin := haproxyBinary(t)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  option redispatch
  retries 3
  retry-on conn-failure empty-response
frontend hubs_in
  bind 127.0.0.1:%d
  default_backend hubs
backend hubs
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
`, port)
	for i, p := range hubs {
		fmt.Fprintf(&cfg, "  server hub%d 127.0.0.1:%d check inter 200ms fall 1 rise 1\n", i+1, p)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("haproxy did not listen")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clusterHub is one of the cluster's hub processes.
type clusterHub struct {
	*hubProc
	port int
}

// isCore asks the hub itself (not the balancer) whether it is the core:
// an edge's /healthz says "role":"edge".
func (h *clusterHub) isCore() bool {
	if h.cmd == nil {
		return false
	}
	body, err := httpGet(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/healthz", h.port))
	return err == nil && strings.Contains(body, `"agents_online"`) && !strings.Contains(body, `"role":"edge"`)
}

// clusterKills is how many times the cluster's core is killed.
const clusterKills = 5

// TestClusterKill9_X_3_R_V10: three real chathub processes of role auto
// and a real nats-server, behind a real HAProxy, on two kinds of shared
// store: SQLite in one store folder (its lock file elects the core), and
// PostgreSQL with the recording files in an S3 bucket and the unfinished
// uploads in another (versitygw; the database's advisory lock elects the
// core; each hub has a store folder of its own, as on machines of their
// own). First the core is killed mid-upload, with 16 MiB of a 24 MiB
// upload received: the desktop resumes through the balancer against the
// next core from exactly the offset the dead one staged, not byte 0. The
// chaos day's customers and agents (and a desktop uploading) reach them
// only through HAProxy. The core is killed with kill -9 again and again
// (issue 16 point 4): another hub takes the store within a second or
// two, the edges tell their sockets to reconnect, and every client
// resumes its chat through the balancer with every line it was told of;
// the killed hub comes back as an edge. At the end every chat is done in
// the store with its lines, every recording stored, and the uploads,
// resumed across hubs from their acknowledged offsets, byte-identical.
func TestClusterKill9_X_3_R_V10(t *testing.T) {
	t.Parallel()
	bin := buildChathub(t)
	t.Run("sqlite folder", func(t *testing.T) { clusterKill9(t, bin, false) })
	t.Run("postgres and s3", func(t *testing.T) { clusterKill9(t, bin, true) })
}

func clusterKill9(t *testing.T, bin string, shared bool) {
	ns := natstest.Start(t)
	tf := filepath.Join(t.TempDir(), "nats.token")
	if err := os.WriteFile(tf, []byte(ns.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inBucket := func() int { return -1 }                 // the recording files in S3 (-1: in the folder)
	staged := func() int64 { return uploadedBytes(dir) } // the unfinished upload's bytes the hubs hold
	hubDir := func() string { return dir }               // a hub's store folder
	storeYAML, readStore := "", func() store.Store {     // the store as a hub would read it, after the day
		db, err := sqlite.Open(filepath.Join(dir, "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	if shared {
		dsn := pgtest.StartT(t).Database(t)
		dsnFile := filepath.Join(t.TempDir(), "dsn")
		if err := os.WriteFile(dsnFile, []byte(dsn), 0o600); err != nil {
			t.Fatal(err)
		}
		srv, live, archive, uploads := startS3Staging(t)
		o := s3Objects(t, srv, live, archive)
		storeYAML = fmt.Sprintf(`store:
  dir: {DIR}
  driver: postgres
  dsn_file: %s
  objects: {endpoint: %q, region: %q, bucket: %s, archive_bucket: %s, uploads_bucket: %s, access_key_id: %q, secret_access_key_file: %s, part_size: %d}
`, dsnFile, o.Endpoint, o.Region, o.Bucket, o.ArchiveBucket, uploads, o.AccessKeyID, o.SecretAccessKeyFile, o.PartSize)
		inBucket = func() int { return objectsIn(t, srv, live) }
		staged = func() int64 { return stagedIn(t, srv, uploads) }
		t.Cleanup(func() { // every upload stored: nothing of them left staged
			if n := objectsIn(t, srv, uploads); n != 0 && !t.Failed() {
				t.Errorf("%d objects and multipart uploads are left in the uploads bucket", n)
			}
		})
		hubDir = func() string { return t.TempDir() }
		readStore = func() store.Store {
			db, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
	}
	hubs := make([]*clusterHub, 3)
	ports := make([]int, len(hubs))
	for i := range hubs {
		ports[i] = freePort(t)
		hd := hubDir()
		yaml := chaosYAML + strings.ReplaceAll(storeYAML, "{DIR}", hd) + fmt.Sprintf(`trusted_proxies: [127.0.0.1]
cluster:
  nats: %s
  nats_token_file: %s
  role: auto
  node: hub%d
  advertise: http://127.0.0.1:%d
`, ns.URL, tf, i+1, ports[i])
		hubs[i] = &clusterHub{hubProc: newHubProcYAML(t, bin, hd, yaml), port: ports[i]}
	}
	for _, h := range hubs {
		h.start(fmt.Sprintf("127.0.0.1:%d", h.port))
	}
	lb := freePort(t)
	startHAProxy(t, lb, ports)
	base := fmt.Sprintf("http://127.0.0.1:%d", lb)
	core := func() *clusterHub {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, h := range hubs {
				if h.isCore() {
					return h
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no hub became the core")
		return nil
	}
	waitReady := func() { // the balancer has a ready hub again
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if res, err := http.Get(base + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("no ready hub behind the balancer")
	}

	w := newChaosWorld(t)
	var l ledger
	ul := l.fault(t)
	upCtx, stopUploads := context.WithTimeout(context.Background(), 3*time.Minute)
	defer stopUploads()
	var uploads sync.WaitGroup
	files := make([]*testFile, 3)
	for i := range files {
		files[i] = ul.newFile(t, 3<<20, fmt.Sprintf("cl%d", i))
	}
	waitReady()
	big := clusterUploadKill(t, ul, base, upCtx, staged, core, waitReady)
	files = append(files, big)
	uploads.Add(1)
	go func() { // a desktop uploading through the balancer all day
		defer uploads.Done()
		c := newTusClient(base, "t-ada")
		for _, f := range files[:len(files)-1] {
			if _, err := c.send(upCtx, f, 30*time.Millisecond, nil); err != nil {
				t.Errorf("upload %s: %v", f.path, err)
				return
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 16))
	ws := "ws" + strings.TrimPrefix(base, "http")
	var failovers []time.Duration
	for round := 0; round <= clusterKills; round++ {
		run := w.startRun(round, ws)
		if round == clusterKills {
			w.finish(run, 60*time.Second)
			break
		}
		time.Sleep(time.Duration(400+rng.IntN(900)) * time.Millisecond)
		victim := core()
		victim.kill()
		killed := time.Now()
		next := core()
		failovers = append(failovers, time.Since(killed))
		if next == victim {
			t.Fatal("the killed hub is still the core")
		}
		run.stop()
		w.checkRun(run)
		victim.start(fmt.Sprintf("127.0.0.1:%d", victim.port)) // back, as an edge
		waitReady()
	}
	uploads.Wait()
	for _, f := range files {
		ul.confirm(t, base, f)
	}
	if n := inBucket(); shared && n < len(files) {
		t.Errorf("%d objects in the bucket, want the %d uploads at least", n, len(files))
	}
	t.Logf("a new core %v after each kill -9; %d chats, %d resumed after a kill", failovers, len(w.order), w.resumedN)
	for _, d := range failovers {
		if d > 5*time.Second {
			t.Errorf("a new core took %v: more than seconds", d)
		}
	}
	for _, h := range hubs { // a clean stop of all, then the store as a hub would read it
		if h.cmd != nil {
			_ = h.cmd.Process.Signal(syscall.SIGTERM)
			<-h.done
			h.cmd = nil
		}
	}
	db := readStore()
	defer db.Close()
	w.checkStore(db)
}

// clusterUploadKill kills the core mid-upload: a 24 MiB upload is held
// after 16 MiB; once the hubs have staged at least 15 MiB of it (all but
// what a 5 MiB part in the making holds) the core is killed, the held
// PATCH breaks, and the client resumes through the balancer. The first
// resume must be at exactly what was staged when the core died. It
// returns the file, stored, for the caller to confirm.
func clusterUploadKill(t *testing.T, ul *ledger, base string, ctx context.Context, staged func() int64,
	core func() *clusterHub, waitReady func()) *testFile {
	t.Helper()
	const size, cut = 24 << 20, 16 << 20
	big := ul.newFile(t, size, "big")
	g := &gate{n: cut, release: make(chan struct{})}
	first := true
	res := make(chan error, 1)
	go func() {
		_, err := newTusClient(base, "t-ada").send(ctx, big, 50*time.Millisecond, func(r io.Reader) io.Reader {
			if first {
				first = false
				g.r = r
				return g
			}
			return r
		})
		res <- err
	}()
	await(t, "the core to stage 15 MiB of the upload", 30*time.Second, func() bool { return staged() >= 15<<20 })
	victim := core()
	victim.kill()
	at := staged()
	close(g.release)
	if next := core(); next == victim {
		t.Fatal("the killed hub is still the core")
	}
	victim.start(fmt.Sprintf("127.0.0.1:%d", victim.port))
	waitReady()
	if err := <-res; err != nil {
		t.Fatalf("the upload cut off by the core's death: %v (failures %q)", err, big.failures)
	}
	if len(big.resumes) == 0 || big.resumes[0] != at {
		t.Fatalf("resumed at %v; want the first resume at the %d bytes staged when the core died", big.resumes, at)
	}
	t.Logf("core killed with %d of %d bytes staged; the next core resumed it at %d after %d failed attempts", at, size, big.resumes[0], len(big.failures))
	return big
}

// stagedIn is how many bytes of unfinished uploads the uploads bucket
// holds: their parts and tails.
func stagedIn(t *testing.T, srv *s3test.Server, bucket string) int64 {
	t.Helper()
	ctx := context.Background()
	c := minio.Core{Client: srv.Client}
	var n int64
	for u := range srv.Client.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			return -1
		}
		r, err := c.ListObjectParts(ctx, bucket, u.Key, u.UploadID, 0, 1000)
		if err != nil {
			return -1
		}
		for _, p := range r.ObjectParts {
			n += p.Size
		}
	}
	for o := range srv.Client.ListObjects(ctx, bucket, minio.ListObjectsOptions{}) {
		if strings.HasSuffix(o.Key, ".tail") {
			n += o.Size
		}
	}
	return n
}
