package hubsink_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
	"github.com/agentdesk/agentdesk/uploader/internal/tusdtest"
)

// BenchmarkUpload uploads a 256 MiB recording to a tusd v2.10.0 server on
// loopback (filestore, the hub's SHA-256 check before the last PATCH is
// acknowledged) through our client, and the same bytes with curl (one tus
// PATCH of the whole file after the same creation POST), in the same run.
// It reports MB/s for both and ours/curl. The hub case does the same
// against the agentdesk hub's own ingest (index in SQLite, files linked
// into the store).
func BenchmarkUpload(b *testing.B) {
	b.Run("tusd", func(b *testing.B) {
		srv := tusdtest.Start(b, token)
		benchUpload(b, srv.URL, token)
	})
	b.Run("hub", func(b *testing.B) {
		url, _ := startRealHub(b)
		benchUpload(b, url, "demo-token-ada")
	})
}

func benchUpload(b *testing.B, url, tok string) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			b.Fatal("curl is missing")
		}
		b.Skip("curl is missing")
	}
	const size = 256 << 20
	dir := b.TempDir()
	path := filepath.Join(dir, "big.webm.age")
	if err := os.WriteFile(path, sinktest.Random(b, size), 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sum, _, err := uploader.FileSum(path)
	if err != nil {
		b.Fatal(err)
	}
	sink, err := hubsink.New(url, tok, hubsink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var ours, theirs time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		it := uploader.Item{ID: "b", Name: fmt.Sprintf("ours-%d.webm.age", i), Size: size, SHA256: sum,
			Manifest: uploader.Manifest{Recording: "r1", Interaction: "c-42", Agent: "ada"}}
		t0 := time.Now()
		if err := sink.Put(context.Background(), it, f, nil); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)

		it.Name = fmt.Sprintf("curl-%d.webm.age", i)
		t0 = time.Now()
		loc := create(b, url, tok, it)
		out, err := exec.Command(curl, "-sS", "-f", "-X", "PATCH", "-T", path, "-o", "/dev/null",
			"-w", "%{http_code} %header{Agentdesk-Stored}",
			"-H", "Expect:", "-H", "Authorization: Bearer "+tok, "-H", "Tus-Resumable: 1.0.0",
			"-H", "Upload-Offset: 0", "-H", "Content-Type: application/offset+octet-stream", loc).CombinedOutput()
		if err != nil || !bytes.HasPrefix(out, []byte("204 ")) || len(bytes.TrimSpace(out)) == 3 {
			b.Fatalf("curl: %v: %s", err, out)
		}
		theirs += time.Since(t0)
	}
	b.StopTimer()
	mbs := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbs(ours), "MB/s-ours")
	b.ReportMetric(mbs(theirs), "MB/s-curl")
	b.ReportMetric(mbs(ours)/mbs(theirs), "ours/curl")
}

// create POSTs a tus upload for it and returns its URL.
func create(b *testing.B, url, tok string, it uploader.Item) string {
	b.Helper()
	meta, err := hubsink.Metadata(it)
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+hubsink.UploadsPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Tus-Resumable", hubsink.TusVersion)
	req.Header.Set("Upload-Length", strconv.FormatInt(it.Size, 10))
	req.Header.Set("Upload-Metadata", meta)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("create: %s", resp.Status)
	}
	return resp.Header.Get("Location")
}
