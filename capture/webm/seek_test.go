package webm_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	mkv "github.com/at-wat/ebml-go/webm"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
)

// keySpool writes secs seconds of 5 fps video, keyframes at the frame
// indexes in keys, and 20 ms audio packets.
func keySpool(t *testing.T, secs int, keys map[int]bool) *spool.Recording {
	t.Helper()
	path := filepath.Join(t.TempDir(), "k.spool")
	h := spool.Header{VideoCodec: "V_VP8", Width: 64, Height: 48, FPS: 5, AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1, PreSkip: 312,
		Started: time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)}
	w, err := spool.Create(path, h, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for a := 0; a < secs*50; a++ {
		pts := time.Duration(a) * 20 * time.Millisecond
		if a%10 == 0 {
			w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: pts, Key: keys[a/10], Data: []byte{byte(a / 10), 1, 2, 3}})
		}
		w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: pts, Data: []byte{0xF8, byte(a)}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// element is one EBML element of a file: where it starts, its id, where
// its data starts and how long it is.
type element struct {
	at, data, size int64
	id             uint32
}

// vint reads an EBML variable-length integer at b[0:]; id keeps the
// length marker (element ids are written with it).
func vint(b []byte, id bool) (uint64, int, error) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, fmt.Errorf("bad vint")
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if len(b) < n {
		return 0, 0, fmt.Errorf("short vint")
	}
	v := uint64(b[0])
	if !id {
		v &^= 0x80 >> (n - 1)
	}
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n, nil
}

// children lists the elements in b[from:to] (offsets into b).
func children(t *testing.T, b []byte, from, to int64) []element {
	t.Helper()
	var out []element
	for at := from; at < to; {
		id, n, err := vint(b[at:], true)
		if err != nil {
			t.Fatalf("element at %d: %v", at, err)
		}
		size, m, err := vint(b[at+int64(n):], false)
		if err != nil {
			t.Fatalf("element size at %d: %v", at, err)
		}
		e := element{at: at, id: uint32(id), data: at + int64(n+m), size: int64(size)}
		if e.data+e.size > to {
			t.Fatalf("element %x at %d runs past its parent (%d > %d)", e.id, at, e.data+e.size, to)
		}
		out = append(out, e)
		at = e.data + e.size
	}
	return out
}

// clusterStart is what a cluster begins with: its time and its first
// video block.
type clusterStart struct {
	pos      int64 // relative to the Segment's data, as Cues say it
	time     uint64
	firstKey bool // its first video block is a keyframe
	keys     []uint64
}

// TestCuesCoverEveryKeyframe_R_V5: in a file our muxer writes, the
// SeekHead (right after the Segment's head, so in the first bytes a
// browser reads) points at the Cues, which are the file's last element: a
// browser fetches them all with one Range request (bytes=N-). Every
// cluster that begins with a video keyframe has a cue point at its time
// and position, every cue points at such a cluster, and every keyframe
// lies less than MinCluster after a cue: a seek decodes from a cue at
// most that far before the keyframe nearest the target. Keyframes come
// at irregular times, one of them just after a cluster was cut for its
// length (MaxCluster) and another inside MinCluster of one before it.
func TestCuesCoverEveryKeyframe_R_V5(t *testing.T) {
	// Frames are 200 ms apart: frame 26 (5.2 s) comes just after the
	// cluster cut at 5 s, frame 28 (5.6 s) inside MinCluster of it, frame
	// 80 (16 s) after 10.8 s of delta frames (clusters cut at 10.2, 15.2).
	keys := map[int]bool{0: true, 2: true, 26: true, 28: true, 40: true, 80: true, 95: true, 120: true}
	rec := keySpool(t, 30, keys)
	path := filepath.Join(t.TempDir(), "k.webm")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := webm.Write(f, rec, webm.Meta{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	top := children(t, b, 0, int64(len(b)))
	if len(top) != 2 || top[1].id != 0x18538067 {
		t.Fatalf("top level %+v, want EBML header and one Segment", top)
	}
	seg := top[1]
	if seg.data+seg.size != int64(len(b)) {
		t.Fatalf("segment ends at %d of %d", seg.data+seg.size, len(b))
	}
	elems := children(t, b, seg.data, seg.data+seg.size)
	if elems[0].id != 0x114D9B74 || elems[0].data+elems[0].size > 4096 {
		t.Fatalf("first element %x ends at %d: no SeekHead in the file's first 4 KiB", elems[0].id, elems[0].data+elems[0].size)
	}
	var sh struct {
		Seek []struct {
			SeekID       []byte `ebml:"SeekID"`
			SeekPosition uint64 `ebml:"SeekPosition"`
		} `ebml:"Seek"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(b[elems[0].data:elems[0].data+elems[0].size]), &sh); err != nil {
		t.Fatal(err)
	}
	cuesAt := int64(-1)
	for _, s := range sh.Seek {
		if bytes.Equal(s.SeekID, []byte{0x1C, 0x53, 0xBB, 0x6B}) {
			cuesAt = seg.data + int64(s.SeekPosition)
		}
	}
	last := elems[len(elems)-1]
	if cuesAt < 0 || last.at != cuesAt || last.id != 0x1C53BB6B || last.data+last.size != int64(len(b)) {
		t.Fatalf("SeekHead's Cues at %d; the last element is %x at %d: the Cues must be last and pointed at", cuesAt, last.id, last.at)
	}
	var cues struct {
		Cues mkv.Cues `ebml:"Cues"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(b[cuesAt:]), &cues); err != nil {
		t.Fatalf("the Cues from their offset to the end: %v", err)
	}

	var clusters []clusterStart
	for _, e := range elems {
		if e.id == 0x1F43B675 {
			clusters = append(clusters, readCluster(t, b, e, seg.data))
		}
	}
	cued := map[int64]uint64{}
	for _, cp := range cues.Cues.CuePoint {
		if len(cp.CueTrackPositions) != 1 || cp.CueTrackPositions[0].CueTrack != uint64(capture.TrackVideo) {
			t.Fatalf("cue point %+v: want one position on the video track", cp)
		}
		cued[int64(cp.CueTrackPositions[0].CueClusterPosition)] = cp.CueTime
	}
	var cueTimes []uint64
	for _, c := range clusters {
		ct, ok := cued[c.pos]
		switch {
		case c.firstKey && !ok:
			t.Errorf("cluster at %d ms begins with a keyframe and has no cue point", c.time)
		case !c.firstKey && ok:
			t.Errorf("a cue point at %d ms names a cluster that does not begin with a keyframe", ct)
		case ok && ct != c.time:
			t.Errorf("cue point says %d ms for the cluster at %d ms", ct, c.time)
		}
		if ok {
			cueTimes = append(cueTimes, ct)
			delete(cued, c.pos)
		}
	}
	if len(cued) > 0 {
		t.Errorf("cue points name no cluster: %v", cued)
	}
	for _, c := range clusters {
		for _, k := range c.keys {
			var before uint64
			found := false
			for _, ct := range cueTimes {
				if ct <= k {
					before, found = ct, true
				}
			}
			if !found || time.Duration(k-before)*time.Millisecond >= webm.MinCluster {
				t.Errorf("keyframe at %d ms: the nearest cue before it is at %d ms (found %v)", k, before, found)
			}
		}
	}
	if len(cueTimes) < 6 {
		t.Errorf("%d cue points (%v) for 8 keyframes", len(cueTimes), cueTimes)
	}
}

// readCluster reads a cluster's time, whether its first video block is a
// keyframe, and the times of its video keyframes.
func readCluster(t *testing.T, b []byte, e element, segData int64) clusterStart {
	t.Helper()
	c := clusterStart{pos: e.at - segData}
	seenVideo := false
	for _, k := range children(t, b, e.data, e.data+e.size) {
		switch k.id {
		case 0xE7:
			for _, x := range b[k.data : k.data+k.size] {
				c.time = c.time<<8 | uint64(x)
			}
		case 0xA3: // SimpleBlock: track vint, int16 time, flags
			blk := b[k.data : k.data+k.size]
			track, n, err := vint(blk, false)
			if err != nil {
				t.Fatal(err)
			}
			if track != uint64(capture.TrackVideo) {
				continue
			}
			key := blk[n+2]&0x80 != 0
			if !seenVideo {
				c.firstKey, seenVideo = key, true
			}
			if key {
				c.keys = append(c.keys, uint64(int64(c.time)+int64(int16(binary.BigEndian.Uint16(blk[n:])))))
			}
		}
	}
	return c
}
