package hubsink_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
	"github.com/agentdesk/agentdesk/uploader/internal/tusdtest"
)

const token = "agent-token-ada"

func newSink(t testing.TB, url string, chunk int64) *hubsink.Sink {
	t.Helper()
	s, err := hubsink.New(url, token, hubsink.Options{ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fetch(srv *tusdtest.Server) func(dest, name string) ([]byte, error) {
	return func(dest, name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(srv.StoreDir, dest, name))
	}
}

// TestContract runs the sink contract against a real tusd v2.10.0 handler
// with the hub's checksum rule (R-V3 delivery, R-V10 nothing lost).
func TestContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		srv := tusdtest.Start(t, token)
		return sinktest.Harness{Sink: newSink(t, srv.URL, 1<<20), Fetch: fetch(srv), Settle: func() { srv.WaitIdle(t) }}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct{ name, url, token string }{
		{"no scheme", "127.0.0.1:80", token},
		{"ftp", "ftp://hub", token},
		{"no host", "http://", token},
		{"no token", "http://127.0.0.1:1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := hubsink.New(tc.url, tc.token, hubsink.Options{}); err == nil {
				t.Fatalf("New(%q, %q) accepted", tc.url, tc.token)
			}
		})
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	srv := tusdtest.Start(t, token)
	s, err := hubsink.New(srv.URL, "wrong", hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello")
	err = s.Put(context.Background(), *sinktest.Item("a.webm", data), bytes.NewReader(data), nil)
	if !errors.Is(err, uploader.ErrPermanent) {
		t.Fatalf("Put with a wrong token: %v, want ErrPermanent", err)
	}
	t.Log(err)
}

func TestStaleURLStartsNewUpload(t *testing.T) {
	srv := tusdtest.Start(t, token)
	data := sinktest.Random(t, 100_000)
	it := sinktest.Item("stale.webm", data)
	it.Resume = srv.URL + "/v1/uploads/doesnotexist"
	if err := newSink(t, srv.URL, 0).Put(context.Background(), *it, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("Put with a stale upload URL: %v", err)
	}
	if it.Resume == srv.URL+"/v1/uploads/doesnotexist" || srv.Created() != 1 {
		t.Fatalf("resume token %q, %d uploads created; want a new one", it.Resume, srv.Created())
	}
	got, err := os.ReadFile(filepath.Join(srv.StoreDir, it.Name))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored: %v", err)
	}
}

func TestDiskFullIsRetryable(t *testing.T) {
	srv := tusdtest.Start(t, token)
	srv.FailPatches(1, 507)
	data := sinktest.Random(t, 1000)
	it := sinktest.Item("full.webm", data)
	err := newSink(t, srv.URL, 0).Put(context.Background(), *it, bytes.NewReader(data), nil)
	if err == nil || errors.Is(err, uploader.ErrPermanent) || !bytes.Contains([]byte(err.Error()), []byte("storage is full")) {
		t.Fatalf("Put into a full hub: %v; want a retryable error saying the storage is full", err)
	}
	if err := newSink(t, srv.URL, 0).Put(context.Background(), *it, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("Put after space came back: %v", err)
	}
	if srv.Created() != 1 {
		t.Fatalf("%d uploads created, want the first one resumed", srv.Created())
	}
}

func TestMetadataCarriesContractKeys(t *testing.T) {
	it := sinktest.Item("x.webm.age", []byte("x"))
	it.Manifest.Dest = "vip"
	md, err := hubsink.Metadata(*it)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"agent ", "dest ", "filename ", "interaction ", "manifest ", "recording ", "sha256 ", "size "} {
		if !bytes.Contains([]byte(md), []byte(k)) {
			t.Errorf("Upload-Metadata %q lacks key %q", md, k)
		}
	}
}

// TestStalledConnectionEnds: a hub that stops reading mid-PATCH does not
// hold the upload forever; the error says the connection stalled, and the
// next attempt resumes.
func TestStalledConnectionEnds(t *testing.T) {
	srv := tusdtest.Start(t, token)
	hit := srv.HoldAt(1 << 20)
	s, err := hubsink.New(srv.URL, token, hubsink.Options{ChunkSize: 32 << 20, StallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	data := sinktest.Random(t, 32<<20)
	it := sinktest.Item("stall.webm", data)
	err = s.Put(context.Background(), *it, bytes.NewReader(data), nil)
	<-hit
	if err == nil || !strings.Contains(err.Error(), "stalled") || errors.Is(err, uploader.ErrPermanent) {
		t.Fatalf("Put to a stalled hub: %v; want a retryable 'stalled' error", err)
	}
	srv.Release()
	srv.WaitIdle(t)
	if err := s.Put(context.Background(), *it, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("Put after the stall: %v", err)
	}
	if srv.Created() != 1 {
		t.Fatalf("%d uploads created, want the stalled one resumed", srv.Created())
	}
}
