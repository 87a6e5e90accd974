package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoStoreIsTemporary: the shipped config's relative store.dir becomes
// a temporary folder for the demo, open for uploads, removed at Close; an
// absolute one is used as it is and kept.
func TestDemoStoreIsTemporary(t *testing.T) {
	ctx := context.Background()
	d, err := startDemo(ctx, demoOptions{Customers: 0})
	if err != nil {
		t.Fatal(err)
	}
	dir := d.tmpStore
	if dir == "" || !strings.HasPrefix(filepath.Base(dir), "agentdesk-demo-store-") || d.Hub.Store() == nil {
		t.Fatalf("demo store %q, store %v", dir, d.Hub.Store())
	}
	if _, err := os.Stat(filepath.Join(dir, "index.db")); err != nil {
		t.Fatalf("no index in the demo store: %v", err)
	}
	d.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("demo store %s still there after Close: %v", dir, err)
	}

	abs := t.TempDir()
	cfg := strings.Replace(string(demoStoreRead(t, "../../configs/chathub.yaml")), "dir: agentdesk-store", "dir: "+abs, 1)
	d, err = startDemo(ctx, demoOptions{Customers: 0, Config: []byte(cfg)})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d.tmpStore != "" {
		t.Fatalf("absolute store.dir replaced by %q", d.tmpStore)
	}
	if _, err := os.Stat(filepath.Join(abs, "index.db")); err != nil {
		t.Fatalf("absolute store not used: %v", err)
	}
}

func demoStoreRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
