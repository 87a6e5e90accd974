// Package spool is the crash-safe, append-only file a recording is written
// to while it is captured.
//
// A spool is the magic "ADSPOOL1", a header record (codec parameters, size,
// fps, sample rate, tags) and then packet and mark records, each
//
//	type u8 | track u8 | flags u8 | 0 u8 | len u32 | pts i64 (ns) | data | crc32c u32
//
// little-endian, the CRC (Castagnoli) covering everything before it. Every
// record reaches the kernel in one write as soon as it is produced, so a
// killed process loses nothing the kernel has; the file is fsynced at most
// every SyncEvery (about a second) so a power cut loses at most that much.
// Recover reads a spool up to its first torn or corrupt record.
package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// Magic opens every spool file.
const Magic = "ADSPOOL1"

// Record types.
const (
	recHeader byte = 1
	recPacket byte = 2
	recMark   byte = 3
)

// flagKey marks a packet that is a keyframe.
const flagKey byte = 1

// recHead is the size of a record's fixed head; recTail of its CRC.
const (
	recHead = 16
	recTail = 4
)

// MaxRecord is the largest record data accepted; larger lengths are corrupt.
const MaxRecord = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors.
var (
	// ErrLowDisk is returned by Create when free space is under the floor.
	ErrLowDisk = errors.New("spool: not enough free disk space")
	// ErrDiskFull is returned by a write that found the disk full; the
	// spool was cut back to its last whole record and closed.
	ErrDiskFull = errors.New("disk full")
	// ErrNotSpool is returned by Recover for a file that is not a spool.
	ErrNotSpool = errors.New("spool: not a spool file")
	// ErrCorrupt describes where Recover stopped reading a damaged spool.
	ErrCorrupt = errors.New("spool: torn or corrupt record")
)

// Header describes the streams of a recording. It is the first record.
type Header struct {
	VideoCodec string            `json:"video_codec,omitempty"` // Matroska codec id, "V_VP8"
	Width      int               `json:"width,omitempty"`
	Height     int               `json:"height,omitempty"`
	FPS        int               `json:"fps,omitempty"`
	AudioCodec string            `json:"audio_codec,omitempty"` // "A_OPUS"
	SampleRate int               `json:"sample_rate,omitempty"`
	Channels   int               `json:"channels,omitempty"`
	PreSkip    int               `json:"pre_skip,omitempty"` // Opus pre-skip in 48 kHz samples
	Started    time.Time         `json:"started"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// Options tune a Writer. The zero value is usable.
type Options struct {
	// MinFree is the free space (bytes) under which Create refuses.
	MinFree int64
	// SyncEvery is the most time between fsyncs (0: one second).
	SyncEvery time.Duration
	// Now reads the time for sync pacing (nil: time.Now).
	Now func() time.Time
}

// Writer appends records to a spool. It is safe for concurrent use.
type Writer struct {
	mu       sync.Mutex
	f        *os.File
	path     string
	o        Options
	buf      []byte
	good     int64 // offset after the last whole record
	lastSync time.Time
	lastPTS  time.Duration
	err      error // sticky: once set, every write returns it
}

// Create makes a new spool at path (failing if it exists) and writes its
// header. It refuses with ErrLowDisk when the directory's free space is
// under o.MinFree.
func Create(path string, h Header, o Options) (*Writer, error) {
	if o.SyncEvery <= 0 {
		o.SyncEvery = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinFree > 0 {
		if err := enoughSpace(path, o.MinFree); err != nil {
			return nil, err
		}
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("spool: header: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	w := &Writer{f: f, path: path, o: o, lastSync: o.Now()}
	w.buf = append(w.buf, Magic...)
	w.buf = appendRecord(w.buf, recHeader, 0, 0, 0, hdr)
	if err := w.writeLocked(0); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := w.syncLocked(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return w, nil
}

// enoughSpace fails with ErrLowDisk when path's folder has less than
// floor bytes free.
func enoughSpace(path string, floor int64) error {
	dir := filepath.Dir(path)
	free, err := FreeSpace(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if free < floor {
		return fmt.Errorf("%w: %s has %s free, the floor is %s: free some space or lower the floor",
			ErrLowDisk, dir, human(free), human(floor))
	}
	return nil
}

// FreeSpace reports the bytes available to an unprivileged user in dir.
func FreeSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Path is the spool's file name.
func (w *Writer) Path() string { return w.path }

// WritePacket appends p.
func (w *Writer) WritePacket(p capture.Packet) error {
	var flags byte
	if p.Key {
		flags = flagKey
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf = appendRecord(w.buf[:0], recPacket, byte(p.Track), flags, p.PTS, p.Data)
	return w.writeLocked(p.PTS)
}

// WriteMark appends m.
func (w *Writer) WriteMark(m capture.Mark) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf = appendRecord(w.buf[:0], recMark, 0, byte(m.Kind), m.PTS, []byte(m.Text))
	return w.writeLocked(m.PTS)
}

// Bytes is the size of the spool's whole records.
func (w *Writer) Bytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.good
}

// Kept is the media time of the last whole record written.
func (w *Writer) Kept() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastPTS
}

// Sync forces the spool to disk now.
func (w *Writer) Sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.syncLocked()
}

// Close syncs and closes the spool. It is idempotent; writes after it
// return capture.ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	var err error
	if w.err == nil {
		err = w.syncLocked()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if w.err == nil {
		w.err = capture.ErrClosed
	}
	return err
}

// writeLocked writes w.buf as one write, keeping the spool whole on error.
func (w *Writer) writeLocked(pts time.Duration) error {
	n, err := w.f.Write(w.buf)
	if err != nil {
		return w.failLocked(n, err)
	}
	w.good += int64(n)
	if pts > w.lastPTS {
		w.lastPTS = pts
	}
	if now := w.o.Now(); now.Sub(w.lastSync) >= w.o.SyncEvery {
		return w.syncLocked()
	}
	return nil
}

func (w *Writer) syncLocked() error {
	if err := w.f.Sync(); err != nil {
		return w.failLocked(0, err)
	}
	w.lastSync = w.o.Now()
	return nil
}

// failLocked cuts a partly written record off, syncs what is whole and
// makes the error sticky. A full disk becomes ErrDiskFull with the media
// time kept.
func (w *Writer) failLocked(written int, err error) error {
	if written > 0 {
		if terr := w.f.Truncate(w.good); terr != nil {
			err = errors.Join(err, terr)
		}
	}
	_ = w.f.Sync()
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		w.err = fmt.Errorf("%w: recording stopped, %.1f s kept", ErrDiskFull, w.lastPTS.Seconds())
	} else {
		w.err = fmt.Errorf("spool: write %s: %w", w.path, err)
	}
	return w.err
}

// appendRecord appends one whole record to b.
func appendRecord(b []byte, typ, track, flags byte, pts time.Duration, data []byte) []byte {
	start := len(b)
	b = append(b, typ, track, flags, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint64(b, uint64(pts))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

func human(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
