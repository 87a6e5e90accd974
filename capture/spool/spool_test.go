package spool_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/tmpfs"
	"github.com/agentdesk/agentdesk/capture/spool"
)

func testHeader() spool.Header {
	return spool.Header{VideoCodec: "V_VP8", Width: 64, Height: 48, FPS: 5, AudioCodec: "A_OPUS",
		SampleRate: 48000, Channels: 1, PreSkip: 312, Started: time.Unix(1700000000, 0).UTC(),
		Tags: map[string]string{"interaction": "i-1", "agent": "a-7"}}
}

// writeSample writes n video packets, 10 audio packets after each, and a
// pause mark in the middle; it returns the path.
func writeSample(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "rec.spool")
	w, err := spool.Create(path, testHeader(), spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		pts := time.Duration(i) * 200 * time.Millisecond
		if err := w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: pts, Key: i%10 == 0, Data: bytes.Repeat([]byte{byte(i)}, 100+i)}); err != nil {
			t.Fatal(err)
		}
		for j := range 10 {
			ap := pts + time.Duration(j)*20*time.Millisecond
			if err := w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: ap, Data: []byte(fmt.Sprintf("a%d.%d", i, j))}); err != nil {
				t.Fatal(err)
			}
		}
		if i == n/2 {
			if err := w.WriteMark(capture.Mark{Kind: capture.MarkPause, PTS: pts, Text: "agent paused"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.WritePacket(capture.Packet{Track: capture.TrackAudio}); !errors.Is(err, capture.ErrClosed) {
		t.Fatalf("write after Close: %v, want ErrClosed", err)
	}
	return path
}

func TestRoundTrip(t *testing.T) {
	path := writeSample(t, t.TempDir(), 20)
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Stopped != nil || r.Dropped != 0 {
		t.Fatalf("clean spool: stopped %v, dropped %d", r.Stopped, r.Dropped)
	}
	if r.Video != 20 || r.Audio != 200 {
		t.Fatalf("packets: video %d audio %d, want 20 200", r.Video, r.Audio)
	}
	if r.Header.Tags["agent"] != "a-7" || r.Header.Width != 64 || r.Header.PreSkip != 312 {
		t.Fatalf("header: %+v", r.Header)
	}
	if len(r.Marks) != 1 || r.Marks[0].Kind != capture.MarkPause || r.Marks[0].PTS != 2*time.Second || r.Marks[0].Text != "agent paused" {
		t.Fatalf("marks: %+v", r.Marks)
	}
	if want := 19*200*time.Millisecond + 180*time.Millisecond; r.Duration != want {
		t.Fatalf("duration %v, want %v", r.Duration, want)
	}
	// Two cursors at once, each in time order with its data intact.
	v, a := r.Cursor(capture.TrackVideo), r.Cursor(capture.TrackAudio)
	for i := 0; ; i++ {
		p, err := v.Next()
		if err == io.EOF {
			if i != 20 {
				t.Fatalf("video cursor ended after %d", i)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.PTS != time.Duration(i)*200*time.Millisecond || p.Key != (i%10 == 0) || len(p.Data) != 100+i || p.Data[0] != byte(i) {
			t.Fatalf("video %d: pts %v key %v len %d", i, p.PTS, p.Key, len(p.Data))
		}
		ap, err := a.Next()
		if err != nil || string(ap.Data) != fmt.Sprintf("a%d.0", i) {
			t.Fatalf("audio after video %d: %q %v", i, ap.Data, err)
		}
		for range 9 {
			if _, err := a.Next(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A file cut at any byte (kill -9 mid-write) recovers every whole record
// before the cut and reports the rest as dropped.
func TestRecoverTornAtEveryByte(t *testing.T) {
	path := writeSample(t, t.TempDir(), 4)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	prevPackets := -1
	for cut := len(spool.Magic); cut <= len(full); cut++ {
		r, err := spool.Read(bytes.NewReader(full[:cut]), int64(cut))
		if err != nil {
			if errors.Is(err, spool.ErrNotSpool) && prevPackets == -1 {
				continue // cut inside the header
			}
			t.Fatalf("cut %d: %v", cut, err)
		}
		got := r.Video + r.Audio
		if got < prevPackets {
			t.Fatalf("cut %d: %d packets, fewer than %d at a shorter cut", cut, got, prevPackets)
		}
		prevPackets = got
		if r.Size+r.Dropped != int64(cut) {
			t.Fatalf("cut %d: size %d + dropped %d", cut, r.Size, r.Dropped)
		}
		if (r.Dropped == 0) != (r.Stopped == nil) {
			t.Fatalf("cut %d: dropped %d but stopped %v", cut, r.Dropped, r.Stopped)
		}
	}
	if prevPackets != 44 {
		t.Fatalf("whole file: %d packets, want 44", prevPackets)
	}
}

func TestRecoverStopsAtCorruption(t *testing.T) {
	path := writeSample(t, t.TempDir(), 10)
	full, _ := os.ReadFile(path)
	r0, _ := spool.Read(bytes.NewReader(full), int64(len(full)))
	bad := bytes.Clone(full)
	mid := len(bad) / 2
	bad[mid] ^= 0x40
	r, err := spool.Read(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatal(err)
	}
	if !spool.IsCorrupt(r.Stopped) || r.Dropped == 0 || r.Size > int64(mid) {
		t.Fatalf("flipped byte %d: stopped %v dropped %d size %d", mid, r.Stopped, r.Dropped, r.Size)
	}
	if r.Video+r.Audio >= r0.Video+r0.Audio || r.Video+r.Audio == 0 {
		t.Fatalf("kept %d packets of %d", r.Video+r.Audio, r0.Video+r0.Audio)
	}
}

func TestRecoverRejectsNonSpool(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello, this is not a spool at all"),
		"magic":     []byte(spool.Magic),
		"bad head":  append([]byte(spool.Magic), 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9),
		"webm-ish":  {0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0},
		"truncated": []byte(spool.Magic[:4]),
	} {
		if _, err := spool.Read(bytes.NewReader(data), int64(len(data))); !errors.Is(err, spool.ErrNotSpool) {
			t.Errorf("%s: err %v, want ErrNotSpool", name, err)
		}
	}
	if _, err := spool.Recover(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	path := writeSample(t, t.TempDir(), 1)
	if _, err := spool.Create(path, testHeader(), spool.Options{}); err == nil {
		t.Fatal("Create over an existing spool succeeded")
	}
}

// Issue 5 point 4: refuse to start under the free-space floor, with a
// message that says what to do.
func TestCreateRefusesUnderFloor(t *testing.T) {
	dir := t.TempDir()
	free, err := spool.FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = spool.Create(filepath.Join(dir, "x.spool"), testHeader(), spool.Options{MinFree: free + 1<<40})
	if !errors.Is(err, spool.ErrLowDisk) || !strings.Contains(err.Error(), "free some space") {
		t.Fatalf("err %v, want ErrLowDisk with a fix", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "x.spool")); !os.IsNotExist(statErr) {
		t.Fatal("refused spool left a file")
	}
}

// Issue 5 point 4: on a real tmpfs that fills, the writer stops with
// "disk full: recording stopped, N s kept", the spool is cut back to its
// last whole record, and all of it recovers.
func TestDiskFullOnTmpfs(t *testing.T) {
	dir := tmpfs.Mount(t, "256k")
	path := filepath.Join(dir, "rec.spool")
	w, err := spool.Create(path, testHeader(), spool.Options{MinFree: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte{0xAB}, 3000)
	var werr error
	var written int
	for i := 0; i < 10000 && werr == nil; i++ {
		werr = w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: time.Duration(i) * 200 * time.Millisecond, Data: data})
		if werr == nil {
			written++
		}
	}
	if !errors.Is(werr, spool.ErrDiskFull) || !strings.Contains(werr.Error(), "disk full: recording stopped") || !strings.Contains(werr.Error(), "s kept") {
		t.Fatalf("write error %v, want disk full", werr)
	}
	if err := w.WriteMark(capture.Mark{Kind: capture.MarkStop}); !errors.Is(err, spool.ErrDiskFull) {
		t.Fatalf("write after disk full: %v", err)
	}
	_ = w.Close()
	st, _ := os.Stat(path)
	if st.Size() != w.Bytes() {
		t.Fatalf("file %d bytes, writer says %d whole", st.Size(), w.Bytes())
	}
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Dropped != 0 || r.Stopped != nil || r.Video != written {
		t.Fatalf("recovered %d of %d packets, dropped %d, stopped %v", r.Video, written, r.Dropped, r.Stopped)
	}
	if written < 50 {
		t.Fatalf("only %d packets fit in 256k", written)
	}
}

func FuzzRecover(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.spool")
	w, err := spool.Create(path, testHeader(), spool.Options{})
	if err != nil {
		f.Fatal(err)
	}
	_ = w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: time.Second, Key: true, Data: []byte("frame")})
	_ = w.WriteMark(capture.Mark{Kind: capture.MarkPause, PTS: time.Second, Text: "p"})
	_ = w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: time.Second, Data: []byte("opus")})
	_ = w.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte(spool.Magic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := spool.Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if r.Size+r.Dropped != int64(len(data)) || r.Size > int64(len(data)) {
			t.Fatalf("size %d dropped %d of %d", r.Size, r.Dropped, len(data))
		}
		n := 0
		for _, tr := range []capture.Track{capture.TrackVideo, capture.TrackAudio} {
			c := r.Cursor(tr)
			for {
				if _, err := c.Next(); err != nil {
					if err != io.EOF {
						t.Fatalf("cursor over the good part: %v", err)
					}
					break
				}
				n++
			}
		}
		if n != r.Video+r.Audio {
			t.Fatalf("cursors read %d packets, Recover counted %d", n, r.Video+r.Audio)
		}
	})
}

// Issue 11 point 7: a spool torn by a crash is reopened and written on
// after its last whole record; the torn bytes are gone and what follows
// reads back after what came before. Other streams are refused.
func TestAppendAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.spool")
	h := spool.Header{VideoCodec: "V_VP8", Width: 64, Height: 48, AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1}
	w, err := spool.Create(path, h, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: time.Duration(i) * 20 * time.Millisecond, Data: []byte{byte(i)}})
	}
	w.Close()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{2, 2, 0, 0, 9}) // a torn record, as kill -9 leaves
	f.Close()

	if _, _, err := spool.Append(path, spool.Header{AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1}, spool.Options{}); !errors.Is(err, spool.ErrMismatch) {
		t.Fatalf("another stream set: %v, want ErrMismatch", err)
	}
	w, end, err := spool.Append(path, h, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if end != 80*time.Millisecond {
		t.Fatalf("end %v, want 80ms", end)
	}
	w.WriteMark(capture.Mark{Kind: capture.MarkStart, PTS: 5 * time.Second})
	w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: 5 * time.Second, Data: []byte{42}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Stopped != nil || r.Dropped != 0 || r.Audio != 6 || r.Duration != 5*time.Second || len(r.Marks) != 1 {
		t.Fatalf("after append: %d audio, duration %v, marks %v, stopped %v, dropped %d", r.Audio, r.Duration, r.Marks, r.Stopped, r.Dropped)
	}
}
