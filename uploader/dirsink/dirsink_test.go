package dirsink_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdesk/agentdesk/uploader/dirsink"
	"github.com/agentdesk/agentdesk/uploader/internal/sinktest"
)

// TestContract runs the sink contract against a folder (R-V3 delivery,
// R-G2 dest sub-folder, R-V10 verified before the local copy goes).
func TestContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		dir := t.TempDir()
		s, err := dirsink.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		return sinktest.Harness{Sink: s, Fetch: func(dest, name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(dir, dest, name))
		}}
	})
}

func TestNewRefusesNoFolder(t *testing.T) {
	if _, err := dirsink.New(""); err == nil {
		t.Fatal("New(\"\") accepted")
	}
}
