// Package tmpfs mounts a small tmpfs for disk-full tests.
package tmpfs

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Mount mounts a tmpfs of size (mount's syntax: "2m") on a fresh temporary
// directory and unmounts it when the test ends. Mounting needs root: when
// it fails the test fails with CI set, and is skipped with a message
// otherwise.
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("tmpfs: mount -t tmpfs -o size=%s on %s: %v: %s (needs root)", size, dir, err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("tmpfs: umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
