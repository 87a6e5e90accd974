package audit

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

func testKey(t testing.TB) (note.Signer, note.Verifier) {
	t.Helper()
	path := filepath.Join(t.TempDir(), KeyFile)
	s, vkey, err := LoadOrCreateKey(path, DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	// A second start reads the same key.
	s2, vkey2, err := LoadOrCreateKey(path, DefaultKeyName)
	if err != nil || vkey2 != vkey || s2.KeyHash() != s.KeyHash() {
		t.Fatalf("the key read again: %v %q %q", err, vkey2, vkey)
	}
	return s, v
}

func access(i int) Entry {
	return FromAccess(store.Access{ID: "acc-" + strconv.Itoa(i), At: time.Date(2026, 12, 3, 8, 0, i, 0, time.UTC),
		User: "sue", Role: "supervisor", From: "192.0.2.1", Action: store.ActionPlay, Recording: "rec-" + strconv.Itoa(i%7),
		Interaction: "chat-1", Customer: "cust-1", Kind: "record", Reason: "QA", Outcome: store.OutcomeOK})
}

// TestCanonicalEntry (R-V9): an entry's bytes do not depend on the order
// its metadata's keys came in, and only the canonical form parses.
func TestCanonicalEntry(t *testing.T) {
	a, err := Entry{Action: "stored", User: "ada", Outcome: "ok", Metadata: json.RawMessage(`{"b": 1, "a": {"d": [1, 2.50], "c": "é<"}}`)}.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Entry{Action: "stored", User: "ada", Outcome: "ok", Metadata: json.RawMessage(`{"a":{"c":"é<","d":[1,2.50]},"b":1}`)}.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || !strings.Contains(string(a), `"metadata":{"a":{"c":"é\u003c","d":[1,2.50]},"b":1}`) {
		t.Fatalf("not canonical:\n%s\n%s", a, b)
	}
	if _, err := ParseEntry(a); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseEntry([]byte(strings.Replace(string(a), `"action":`, `"action": `, 1))); err == nil {
		t.Fatal("a non-canonical entry parsed")
	}
	if _, err := (Entry{Metadata: json.RawMessage(`{"a":`)}).Canonical(); err == nil {
		t.Fatal("bad metadata encoded")
	}
}

// TestLogTreeAndProofs (R-V9): the log's leaves and stored hashes make the
// RFC 6962 tree tlog computes; each checkpoint signs its root; Verify
// passes; a proof of any entry checks offline and fails for another entry.
func TestLogTreeAndProofs(t *testing.T) {
	ctx := context.Background()
	signer, v := testKey(t)
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ckDir := filepath.Join(t.TempDir(), "elsewhere")
	l, err := Open(ctx, db, Options{Signer: signer, Dir: ckDir, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var cks []Checkpoint
	for i := range 37 {
		if _, err := l.Append(ctx, access(i)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 4 {
			c, made, err := l.Checkpoint(ctx)
			if err != nil || !made {
				t.Fatal(made, err)
			}
			cks = append(cks, c)
		}
	}
	if _, made, _ := l.Checkpoint(ctx); !made {
		t.Fatal("no checkpoint of 37 entries")
	}
	if _, made, _ := l.Checkpoint(ctx); made {
		t.Fatal("a checkpoint with nothing new")
	}
	if _, err := l.AppendBatch(ctx, []Entry{access(37), access(38), access(39)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil { // the last checkpoint: 40 entries
		t.Fatal(err)
	}
	reader := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		hs, err := db.AuditHashes(ctx, ix)
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, err
	})
	for _, c := range cks {
		want, err := tlog.TreeHash(c.Size, reader)
		if err != nil || want != c.Root {
			t.Fatalf("checkpoint of %d: root %x, tlog %x %v", c.Size, c.Root, want, err)
		}
		if _, err := OpenCheckpoint(c.Note, v); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(ckDir)
	if len(ents) != 6 {
		t.Fatalf("%d checkpoints copied, want 6", len(ents))
	}
	rep, err := Verify(ctx, db, v, nil)
	if err != nil || !rep.OK() || rep.Size != 40 || rep.Checkpoints != 6 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	last, err := LatestCheckpoint(ctx, db, v, -1)
	if err != nil || last.Size != 40 {
		t.Fatal(last.Size, err)
	}
	for _, i := range []int64{0, 1, 17, 38, 39} {
		p, err := Prove(ctx, db, last, i)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		e, _, err := CheckProof(b, v)
		if err != nil || e.Seq != i {
			t.Fatalf("proof of %d: %v", i, err)
		}
		other, _ := Prove(ctx, db, last, (i+1)%40)
		p.Entry = other.Entry
		b, _ = json.Marshal(p)
		if _, _, err := CheckProof(b, v); err == nil {
			t.Fatalf("the proof of %d checked another entry", i)
		}
	}
	if _, err := Prove(ctx, db, cks[0], 30); err == nil {
		t.Fatal("a proof of an entry past its checkpoint")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A restarted log goes on from where it was.
	db, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err = Open(ctx, db, Options{Signer: signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Append(ctx, access(40)); err != nil || n != 40 {
		t.Fatal(n, err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(ctx, db, v, nil); err != nil || !rep.OK() || rep.Size != 41 || rep.Checkpoints != 7 {
		t.Fatalf("verify after a restart: %+v %v", rep, err)
	}
}

// generate writes n entries straight into a store (batches of 10,000, as
// the hub would have appended them) and signs one checkpoint.
func generate(t testing.TB, db *sqlite.DB, signer note.Signer, n int) {
	ctx := context.Background()
	l, err := Open(ctx, db, Options{Signer: signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	batch := make([]Entry, 0, 10000)
	for i := range n {
		batch = append(batch, access(i))
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := l.AppendBatch(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyMillion measures `audit verify` over a store of
// AGENTDESK_AUDIT_N entries (docs/audit.md: 1,000,000); skipped without it.
func TestVerifyMillion(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("AGENTDESK_AUDIT_N"))
	if n <= 0 {
		t.Skip("set AGENTDESK_AUDIT_N=1000000 to measure")
	}
	signer, v := testKey(t)
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	generate(t, db, signer, n)
	t.Logf("generated %d entries in %v", n, time.Since(start))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	start = time.Now()
	rep, err := Verify(context.Background(), ro, v, nil)
	if err != nil || !rep.OK() || rep.Size != int64(n) {
		t.Fatalf("%+v %v", rep, err)
	}
	t.Logf("verified %d entries (store file %d MB) in %v", n, fi.Size()>>20, time.Since(start))
	last, err := LatestCheckpoint(context.Background(), ro, v, -1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prove(context.Background(), ro, last, int64(n/3))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(p, "", "  ")
	start = time.Now()
	const checks = 1000
	for range checks {
		if _, _, err := CheckProof(b, v); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("a proof in a tree of %d: %d hashes, %d bytes of JSON (entry %d bytes); check-proof %v each", n, len(p.Hashes), len(b), len(p.Entry), time.Since(start)/checks)
}

// BenchmarkAppend is the audit log's append rate, one entry per
// transaction as the hub appends them, with a checkpoint each second.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	signer, _ := testKey(b)
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := Open(ctx, db, Options{Signer: signer, Every: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	e := access(1)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := l.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "entries/s")
	_ = l.Close(ctx)
}

// TestCheckpointsPosted (issue 13 point 2): with a URL, every checkpoint
// is POSTed as it is made, signed; a server that fails is tried again,
// and Close waits for the last one.
func TestCheckpointsPosted(t *testing.T) {
	ctx := context.Background()
	signer, v := testKey(t)
	var mu sync.Mutex
	var got []Checkpoint
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		c, err := OpenCheckpoint(b, v)
		if err != nil || r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("posted %s %q: %v", r.Method, b, err)
		}
		got = append(got, c)
	}))
	defer srv.Close()
	db, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := Open(ctx, db, Options{Signer: signer, Every: time.Hour, URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := l.Append(ctx, access(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Checkpoint(ctx); err != nil { // refused once, sent again after a backoff (cut short by Close)
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, access(3)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil { // the last checkpoint, of 4
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Size != 3 || got[1].Size != 4 || calls != 3 {
		t.Fatalf("posted %d checkpoints in %d calls: %+v", len(got), calls, got)
	}
}

// TestVerifyBesideRunningHub: verify reads a store the hub still has open
// (and writes to), read-only and without its lock.
func TestVerifyBesideRunningHub(t *testing.T) {
	ctx := context.Background()
	signer, v := testKey(t)
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := Open(ctx, db, Options{Signer: signer, Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	for i := range 5 {
		if _, err := l.Append(ctx, access(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := l.Append(ctx, access(5)); err != nil { // the hub goes on beside it
		t.Fatal(err)
	}
	rep, err := Verify(ctx, ro, v, nil)
	if err != nil || !rep.OK() || rep.Size < 5 || rep.Checkpoints != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}
