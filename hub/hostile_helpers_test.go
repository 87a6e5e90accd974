package hub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileYAML is the test config of the hostile-client suite: testYAML
// with the store's identity and the connection limits of each test
// appended under limits.
const hostileYAML = testYAML + `
store:
  dir: store # chathub --store gives the folder
  identity_file: IDENTITY
`

// chathub is a real cmd/chathub process for the hostile-client suite: its
// address, its log (kept to look for secrets), and its pid (to count its
// open files).
type chathub struct {
	t      *testing.T
	cmd    *exec.Cmd
	done   chan struct{}
	scheme string // http or https
	addr   string
	store  string

	mu  sync.Mutex
	log bytes.Buffer
}

var hubURLRE = regexp.MustCompile(`"chathub listening" url=(https?)://([0-9.:]+)/`)

// startChathub runs bin with config (YAML text; "" for none) on a
// loopback port and a fresh store, with the extra flags, and waits until
// it listens. It is killed at the end of the test.
func startChathub(t *testing.T, bin, config string, extra ...string) *chathub {
	t.Helper()
	return startChathubUnder(t, nil, bin, config, extra...)
}

// startChathubUnder is startChathub run under wrap (e.g. prlimit).
func startChathubUnder(t *testing.T, wrap []string, bin, config string, extra ...string) *chathub {
	t.Helper()
	dir := t.TempDir()
	h := &chathub{t: t, store: filepath.Join(dir, "store"), done: make(chan struct{})}
	args := append(append([]string{}, wrap...), bin, "--listen", "127.0.0.1:0", "--store", h.store)
	if config != "" {
		cfg := filepath.Join(dir, "hub.yaml")
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", cfg)
	}
	args = append(args, extra...)
	h.cmd = exec.Command(args[0], args[1:]...)
	stderr, err := h.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			h.mu.Lock()
			h.log.Write(sc.Bytes())
			h.log.WriteByte('\n')
			h.mu.Unlock()
			if m := hubURLRE.FindStringSubmatch(sc.Text()); m != nil {
				up <- m[1:]
			}
		}
		_ = h.cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		_ = h.cmd.Process.Signal(syscall.SIGKILL)
		<-h.done
		if t.Failed() {
			t.Logf("chathub's log:\n%s", h.logText())
		}
	})
	select {
	case m := <-up:
		h.scheme, h.addr = m[0], m[1]
	case <-h.done:
		t.Fatalf("chathub exited: %v\n%s", h.cmd.ProcessState, h.logText())
	case <-time.After(30 * time.Second):
		t.Fatal("chathub did not start")
	}
	return h
}

func (h *chathub) base() string { return h.scheme + "://" + h.addr }
func (h *chathub) ws() string   { return strings.Replace(h.base(), "http", "ws", 1) }

func (h *chathub) logText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.log.String()
}

// openFiles counts the process's open file descriptors.
func (h *chathub) openFiles() int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(h.cmd.Process.Pid) + "/fd")
	if err != nil {
		h.t.Fatal(err)
	}
	return len(ents)
}

// rss is the process's resident memory in bytes.
func (h *chathub) rss() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(h.cmd.Process.Pid) + "/status")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// withLimits appends keys under the limits section of a config.
func withLimits(config string, keys ...string) string {
	return config + "limits:\n  " + strings.Join(keys, "\n  ") + "\n"
}

// dialFrom opens a TCP connection to addr from the loopback address src
// (127.0.0.0/8 is all loopback: the suite plays many clients).
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return d.Dial("tcp", addr)
}

// rawRequest writes an HTTP/1.1 request on c and reads the answer.
func rawRequest(c net.Conn, method, path string, hdr ...string) (*http.Response, []byte, error) {
	req := method + " " + path + " HTTP/1.1\r\nHost: hub\r\n" + strings.Join(append(hdr, ""), "\r\n") + "\r\n"
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// closedWithin reports whether the server closes c within d (a read sees
// EOF or a reset, not a timeout).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
}

// httpsClient trusts the given TLS config (nil: plain HTTP).
func httpsClient(cfg *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// getWith GETs url with a bearer token (none when "") and extra headers.
func getWith(ctx context.Context, hc *http.Client, url, token string, hdr ...string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
