package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/agentdesk/agentdesk/hub/store"
)

// Options build a Log.
type Options struct {
	Signer note.Signer // signs the checkpoints (LoadOrCreateKey)
	Origin string      // the checkpoints' first line; "": DefaultOrigin
	// Every is how often a checkpoint is made when entries were appended
	// since the last one; 0: a minute. Close makes a last one.
	Every time.Duration
	// Dir, when set, gets a copy of every checkpoint as it is made (a
	// folder elsewhere: another disk, a mount of another machine), so a
	// rewrite of the whole log is caught against it.
	Dir string
	// URL, when set, is POSTed every checkpoint as it is made (the signed
	// note, text/plain), in the background, tried again with backoff
	// (1 s doubling, 5 tries); Close waits up to SendWait for what is
	// still queued. Client nil: a client with a 10 s timeout.
	URL      string
	Client   *http.Client
	SendWait time.Duration    // 0: 5 s
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger
}

// Log appends entries to the audit tree and signs its checkpoints. Safe
// for concurrent use; one Log per store.
type Log struct {
	st  store.AuditLog
	o   Options
	log *slog.Logger

	mu     sync.Mutex
	size   int64
	prev   tlog.Hash // the last leaf's hash
	edge   [64]edgeHash
	lastCk int64  // the size of the last checkpoint made (-1: none yet)
	latest Latest // the newest checkpoint known (Latest)
	closed bool

	stop chan struct{}
	done chan struct{}

	idx    *Index        // the page's index of the entries (Index)
	warmed chan struct{} // closed when the index's first catch-up ended

	outbox   chan []byte   // checkpoints to POST to o.URL
	sendDone chan struct{} // closed when the sender has ended
}

// edgeHash is the newest stored hash of a level: the nodes tlog reads to
// hash the next leaf in, and the subtrees a checkpoint's root is made of.
type edgeHash struct {
	index int64
	hash  tlog.Hash
	ok    bool
}

// Open starts a Log on st, with its checkpoint timer.
func Open(ctx context.Context, st store.AuditLog, o Options) (*Log, error) {
	if o.Signer == nil {
		return nil, errors.New("audit: no signing key")
	}
	if o.Origin == "" {
		o.Origin = DefaultOrigin
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := &Log{st: st, o: o, log: o.Log, lastCk: -1, stop: make(chan struct{}), done: make(chan struct{}),
		idx: NewIndex(st), warmed: make(chan struct{})}
	if l.log == nil {
		l.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("audit: checkpoint folder: %w", err)
		}
	}
	size, err := st.AuditSize(ctx)
	if err != nil {
		return nil, err
	}
	l.size = size
	if size > 0 {
		err := st.ScanAudit(ctx, size-1, func(lf store.AuditLeaf) error { l.prev = lf.Hash; return nil })
		if err != nil {
			return nil, err
		}
	}
	if o.URL != "" {
		if l.o.Client == nil {
			l.o.Client = &http.Client{Timeout: 10 * time.Second}
		}
		if l.o.SendWait <= 0 {
			l.o.SendWait = 5 * time.Second
		}
		l.outbox, l.sendDone = make(chan []byte, 1024), make(chan struct{})
		go l.sender(l.outbox) // #nosec G118 -- it outlives Open's context; Close ends it
	}
	go l.run()  // #nosec G118 -- the timer outlives Open's context; Close stops it
	go l.warm() // #nosec G118 -- as the timer: Close stops it
	return l, nil
}

// Verifier is the log's public verifier key's name (for messages).
func (l *Log) Verifier() string { return l.o.Signer.Name() }

// Size is the number of entries appended.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Append adds e as the next entry (its Seq and Prev are set here) and
// returns its position. The leaf and the tree hashes it completes are
// stored in one transaction.
func (l *Log) Append(ctx context.Context, e Entry) (int64, error) {
	return l.AppendBatch(ctx, []Entry{e})
}

// AppendBatch adds entries in order in one transaction and returns the
// first one's position.
func (l *Log) AppendBatch(ctx context.Context, es []Entry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first := l.size
	leaves := make([]store.AuditLeaf, 0, len(es))
	var sh []store.AuditHash
	n, prev := l.size, l.prev
	for _, e := range es {
		e.Seq, e.Prev = n, ""
		if n > 0 {
			e.Prev = hex.EncodeToString(prev[:])
		}
		if e.At == "" {
			e.At = stamp(l.o.Now())
		}
		data, err := e.Canonical()
		if err != nil {
			l.edgeReset()
			return 0, err
		}
		hashes, err := tlog.StoredHashes(n, data, tlog.HashReaderFunc(l.readHashes))
		if err != nil {
			l.edgeReset()
			return 0, fmt.Errorf("audit: append: %w", err)
		}
		at := tlog.StoredHashIndex(0, n)
		for i, h := range hashes {
			sh = append(sh, store.AuditHash{Index: at + int64(i), Hash: h})
			// hashes[i] is level i's node n>>i (tlog.StoredHashes' order):
			// the next leaves of the batch read it from here.
			l.edge[i] = edgeHash{index: at + int64(i), hash: h, ok: true}
		}
		prev = tlog.RecordHash(data)
		leaves = append(leaves, store.AuditLeaf{N: n, Hash: prev, Entry: data})
		n++
	}
	if err := l.st.AppendAudit(ctx, first, leaves, sh); err != nil {
		l.edgeReset() // it holds hashes never stored
		if errors.Is(err, store.ErrAuditSeq) {
			l.reload(ctx)
		}
		return 0, fmt.Errorf("audit: append: %w", err)
	}
	l.size, l.prev = n, prev
	return first, nil
}

// edgeReset forgets the hashes kept in memory: they are read from the
// store again.
func (l *Log) edgeReset() { l.edge = [64]edgeHash{} }

// reload reads the log's size and last leaf hash from the store again.
func (l *Log) reload(ctx context.Context) {
	size, err := l.st.AuditSize(ctx)
	if err != nil {
		return
	}
	l.size = size
	if size > 0 {
		_ = l.st.ScanAudit(ctx, size-1, func(lf store.AuditLeaf) error { l.prev = lf.Hash; return nil })
	}
}

// readHashes reads tree hashes: the newest of their level from memory,
// others from the store.
func (l *Log) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var miss []int64
	var at []int
	for i, x := range indexes {
		level, _ := tlog.SplitStoredHashIndex(x)
		if e := l.edge[level]; e.ok && e.index == x {
			out[i] = e.hash
			continue
		}
		miss, at = append(miss, x), append(at, i)
	}
	if len(miss) > 0 {
		hs, err := l.st.AuditHashes(context.Background(), miss)
		if err != nil {
			return nil, err
		}
		for j, h := range hs {
			out[at[j]] = h
		}
	}
	return out, nil
}

// Checkpoint signs a checkpoint of the tree as it is, keeps it in the
// store and copies it to the checkpoint folder. It makes none (and returns
// false) when nothing was appended since the last one.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size == l.lastCk {
		return Checkpoint{}, false, nil
	}
	root, err := tlog.TreeHash(l.size, tlog.HashReaderFunc(l.readHashes))
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: checkpointText(l.o.Origin, l.size, root)}, l.o.Signer)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	at := l.o.Now().UTC()
	if err := l.st.AddAuditCheckpoint(ctx, store.AuditCheckpoint{Size: l.size, At: at, Note: msg}); err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint: %w", err)
	}
	l.lastCk = l.size
	c := Checkpoint{Origin: l.o.Origin, Size: l.size, Root: root, Note: msg}
	l.latest = Latest{Checkpoint: c, At: at}
	if l.outbox != nil {
		select {
		case l.outbox <- msg:
		default:
			l.log.Error("audit: the checkpoint URL is behind: a checkpoint was not sent", "size", c.Size, "url", l.o.URL)
		}
	}
	if l.o.Dir != "" {
		if err := writeCheckpoint(l.o.Dir, c, at); err != nil {
			return c, true, err
		}
	}
	return c, true, nil
}

// sender POSTs the checkpoints queued to o.URL, each tried again with
// backoff; after Close it gives each what is left of SendWait.
func (l *Log) sender(outbox <-chan []byte) {
	defer close(l.sendDone)
	for msg := range outbox {
		wait := time.Second
		for try := 1; ; try++ {
			err := l.post(msg)
			if err == nil {
				break
			}
			if try == 5 {
				l.log.Error("audit: checkpoint not sent", "url", l.o.URL, "err", err, "tries", try)
				break
			}
			select {
			case <-time.After(wait):
			case <-l.stop: // closing: one more try, without waiting
			}
			wait *= 2
		}
	}
}

// post sends one checkpoint; a status other than 2xx is an error.
func (l *Log) post(msg []byte) error {
	req, err := http.NewRequest(http.MethodPost, l.o.URL, bytes.NewReader(msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := l.o.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", l.o.URL, resp.Status)
	}
	return nil
}

// CheckpointName is a checkpoint's file name in the checkpoint folder.
func CheckpointName(size int64, at time.Time) string {
	return fmt.Sprintf("checkpoint-%012d-%s.txt", size, at.UTC().Format("20060102T150405.000000000Z"))
}

// writeCheckpoint writes c into dir, whole or not at all.
func writeCheckpoint(dir string, c Checkpoint, at time.Time) error {
	name := filepath.Join(dir, CheckpointName(c.Size, at))
	tmp, err := os.CreateTemp(dir, ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("audit: checkpoint copy: %w", err)
	}
	_, err = tmp.Write(c.Note)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644) // #nosec G302 -- a checkpoint is public
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("audit: checkpoint copy: %w", err)
	}
	return nil
}

// run makes a checkpoint every o.Every while entries arrive.
func (l *Log) run() {
	defer close(l.done)
	t := time.NewTicker(l.o.Every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		if _, _, err := l.Checkpoint(context.Background()); err != nil {
			l.log.Error("audit: checkpoint", "err", err)
		}
	}
}

// Close stops the timer and makes a last checkpoint. It is idempotent.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	<-l.warmed
	_, _, err := l.Checkpoint(ctx)
	l.mu.Lock()
	ob := l.outbox
	l.outbox = nil // a Checkpoint after Close sends nothing
	l.mu.Unlock()
	if ob != nil {
		close(ob)
		select {
		case <-l.sendDone:
		case <-time.After(l.o.SendWait):
			l.log.Error("audit: checkpoints still unsent at close", "url", l.o.URL)
		}
	}
	return err
}

// Scan calls f with each entry from position from on, in order, until f
// returns an error (returned) or the entries end: for the hub's audit page
// and tests. An entry that does not parse is an error.
func (l *Log) Scan(ctx context.Context, from int64, f func(Entry) error) error {
	return l.st.ScanAudit(ctx, from, func(lf store.AuditLeaf) error {
		e, err := ParseEntry(lf.Entry)
		if err != nil {
			return fmt.Errorf("audit: entry %d: %w", lf.N, err)
		}
		return f(e)
	})
}

// Store is the store the log keeps its leaves in (Verify, Prove).
func (l *Log) Store() store.AuditLog { return l.st }
