package hub

import (
	"github.com/agentdesk/agentdesk/session/upload"

	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIngest uploads a 256 MiB file to a real chathub process on
// loopback, through the tests' Go tus client and through curl (create +
// one PATCH, the same bytes, the same hub): MB/s is the hub's ingest rate
// including the SHA-256 check before the acknowledgement.
func BenchmarkIngest(b *testing.B) {
	const size = 256 << 20
	h := newHubProc(b, buildChathub(b), b.TempDir())
	h.start("127.0.0.1:0")
	f, err := newTestFile(filepath.Join(b.TempDir(), "big"), randomBytes(b, size), map[string]string{upload.MetaFilename: "big.webm.age"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("go-tus", func(b *testing.B) {
		b.SetBytes(size)
		c := newTusClient(h.base(), "t-ada")
		c.hc.Timeout = 0
		for b.Loop() {
			f.loc = ""
			if _, err := c.send(context.Background(), f, time.Millisecond, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("curl", func(b *testing.B) {
		if _, err := exec.LookPath("curl"); err != nil {
			b.Skip("no curl")
		}
		b.SetBytes(size)
		for b.Loop() {
			out, err := exec.Command("curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", h.base()+"/v1/uploads/",
				"-H", "Tus-Resumable: 1.0.0", "-H", "Authorization: Bearer t-ada",
				"-H", "Upload-Length: "+strconv.Itoa(size), "-H", "Upload-Metadata: "+tusMeta(f.meta)).Output()
			if err != nil {
				b.Fatal(err)
			}
			var loc string
			for _, line := range strings.Split(string(out), "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Location") {
					loc = strings.TrimSpace(v)
				}
			}
			out, err = exec.Command("curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "PATCH", loc,
				"-H", "Tus-Resumable: 1.0.0", "-H", "Authorization: Bearer t-ada", "-H", "Upload-Offset: 0",
				"-H", "Content-Type: application/offset+octet-stream", "-H", "Expect:", "-T", f.path).Output()
			if err != nil || !strings.Contains(string(out), upload.HeaderStored) {
				b.Fatalf("curl PATCH: %v %s", err, out)
			}
		}
	})
}
