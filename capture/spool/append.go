package spool

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrMismatch is returned by Append when the new streams differ from the
// spool's (another screen size, another codec): they cannot share a file.
var ErrMismatch = errors.New("spool: the streams differ from the spool's")

// Append reopens an existing spool to carry on writing after its last
// whole record: a torn tail (a crash) is cut off first. h describes the
// streams of what will be written; they must be those of the spool
// (Streams), or Append fails with ErrMismatch and leaves the file alone.
// It returns the writer and the media time the spool reached: what is
// written next is stamped after it. The free-space floor applies as in
// Create.
func Append(path string, h Header, o Options) (*Writer, time.Duration, error) {
	if o.SyncEvery <= 0 {
		o.SyncEvery = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rec, err := Recover(path)
	if err != nil {
		return nil, 0, err
	}
	rec.Close()
	if !sameStreams(rec.Header, h) {
		return nil, 0, fmt.Errorf("%w: %s", ErrMismatch, path)
	}
	if o.MinFree > 0 {
		if err := enoughSpace(path, o.MinFree); err != nil {
			return nil, 0, err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	if err := f.Truncate(rec.Size); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Seek(rec.Size, 0); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	end := rec.Duration
	for _, m := range rec.Marks {
		end = max(end, m.PTS)
	}
	w := &Writer{f: f, path: path, o: o, good: rec.Size, lastPTS: end, lastSync: o.Now()}
	if err := w.syncLocked(); err != nil {
		f.Close()
		return nil, 0, err
	}
	return w, end, nil
}

// sameStreams reports whether b describes the streams a, kept in a spool,
// has: a stream that a has and b lacks, or the reverse, is a mismatch,
// and so are different codecs or sizes. Tags and start times may differ.
func sameStreams(a, b Header) bool {
	return a.VideoCodec == b.VideoCodec && a.Width == b.Width && a.Height == b.Height &&
		a.AudioCodec == b.AudioCodec && a.SampleRate == b.SampleRate && a.Channels == b.Channels && a.PreSkip == b.PreSkip
}
