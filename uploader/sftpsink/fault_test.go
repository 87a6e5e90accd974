package sftpsink_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/agentdesk/agentdesk/ui/script/netcut"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
	"github.com/agentdesk/agentdesk/uploader/internal/sshd"
	"github.com/agentdesk/agentdesk/uploader/sftpsink"
)

// TestFaultNetworkCut proves R-H1 with R-V10: the SFTP connection is cut in
// the middle of a file; the queue retries and continues the partial temp
// file on the server instead of starting over; the file arrives
// byte-identical.
func TestFaultNetworkCut(t *testing.T) {
	srv := sshd.Start(t)
	proxy, err := netcut.New(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	addr := strings.TrimPrefix(proxy.URL(), "http://")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if err := os.WriteFile(kh, fmt.Appendf(nil, "[127.0.0.1]:%s %s", port, ssh.MarshalAuthorizedKey(srv.HostKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := sftpsink.Config{Addr: addr, User: srv.User, Signer: srv.Signer, KnownHosts: kh, Dir: srv.Dir + "/recordings"}
	sink, err := sftpsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs []string
	q, err := uploader.Open(t.TempDir(), uploader.Options{Sink: sink, RateLimit: 16 << 20,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Logf: func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			mu.Unlock()
			t.Logf(f, a...)
		}})
	if err != nil {
		t.Fatal(err)
	}
	const size = 24 << 20
	data := sinktest.Random(t, size)
	name := "2026-11-21_090507_general_ada_c-42_record_r1.webm.age"
	src := filepath.Join(t.TempDir(), name)
	os.WriteFile(src, data, 0o600)
	if _, err := q.Enqueue(context.Background(), src, uploader.Manifest{Recording: "r1", Agent: "ada"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	wait := func(what string, cond func(uploader.ItemStatus) bool) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for !cond(q.Snapshot()[0]) {
			select {
			case <-q.Changes():
			case <-deadline:
				t.Fatalf("timed out waiting for %s: %+v", what, q.Snapshot()[0])
			}
		}
	}
	wait("8 MiB sent", func(s uploader.ItemStatus) bool { return s.Sent >= 8<<20 })
	proxy.Down(ctx)
	wait("a retry", func(s uploader.ItemStatus) bool { return s.State == uploader.StateRetrying })
	proxy.Up(ctx)
	wait("stored", func(s uploader.ItemStatus) bool { return s.State == uploader.StateDone })
	got, err := os.ReadFile(filepath.Join(cfg.Dir, name))
	stored := 0
	if err == nil && bytes.Equal(got, data) {
		stored = 1
	}
	mu.Lock()
	resumed := ""
	for _, l := range logs {
		if strings.Contains(l, "resuming at byte") {
			resumed = l
		}
	}
	mu.Unlock()
	if resumed == "" {
		t.Errorf("the upload was not resumed after the cut (no 'resuming at byte' in the log)")
	}
	t.Logf("recordings made 1, stored %d", stored)
	if stored != 1 {
		t.Fatalf("recordings made 1, stored %d (%v)", stored, err)
	}
}
