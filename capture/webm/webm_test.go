package webm_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
)

// fakeSpool writes secs seconds of 5 fps video and 20 ms audio packets
// with made-up data, a pause from 2 s to 3 s, and a stop.
func fakeSpool(t *testing.T, secs int) *spool.Recording {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.spool")
	h := spool.Header{VideoCodec: "V_VP8", Width: 64, Height: 48, FPS: 5, AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1, PreSkip: 312,
		Started: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC), Tags: map[string]string{"interaction": "i-42", "agent": "alice"}}
	w, err := spool.Create(path, h, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.WriteMark(capture.Mark{Kind: capture.MarkStart})
	for a := 0; a < secs*50; a++ {
		pts := time.Duration(a) * 20 * time.Millisecond
		if a%10 == 0 {
			w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: pts, Key: a%50 == 0, Data: []byte{byte(a / 10), 1, 2, 3}})
		}
		if pts == 2*time.Second {
			w.WriteMark(capture.Mark{Kind: capture.MarkPause, PTS: pts})
		}
		if pts == 3*time.Second {
			w.WriteMark(capture.Mark{Kind: capture.MarkResume, PTS: pts})
		}
		w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: pts, Data: []byte{0xF8, byte(a)}})
	}
	w.WriteMark(capture.Mark{Kind: capture.MarkStop, PTS: time.Duration(secs) * time.Second})
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

type parsed struct {
	Header struct {
		DocType string `ebml:"EBMLDocType"`
	} `ebml:"EBML"`
	Segment struct {
		Info struct {
			Duration float64 `ebml:"Duration"`
		} `ebml:"Info"`
		Tracks struct {
			TrackEntry []struct {
				TrackNumber  uint64 `ebml:"TrackNumber"`
				CodecID      string `ebml:"CodecID"`
				CodecPrivate []byte `ebml:"CodecPrivate"`
			} `ebml:"TrackEntry"`
		} `ebml:"Tracks"`
		Chapters struct {
			EditionEntry []struct {
				ChapterAtom []struct {
					ChapterTimeStart uint64 `ebml:"ChapterTimeStart"`
					ChapterTimeEnd   uint64 `ebml:"ChapterTimeEnd"`
					ChapterDisplay   []struct {
						ChapString string `ebml:"ChapString"`
					} `ebml:"ChapterDisplay"`
				} `ebml:"ChapterAtom"`
			} `ebml:"EditionEntry"`
		} `ebml:"Chapters"`
		Tags struct {
			Tag []struct {
				SimpleTag []struct {
					TagName   string `ebml:"TagName"`
					TagString string `ebml:"TagString"`
				} `ebml:"SimpleTag"`
			} `ebml:"Tag"`
		} `ebml:"Tags"`
		Cluster []struct {
			Timecode    uint64       `ebml:"Timecode"`
			SimpleBlock []ebml.Block `ebml:"SimpleBlock"`
		} `ebml:"Cluster"`
	} `ebml:"Segment,size=unknown"`
}

// blocks yields the file's SimpleBlocks with their times in ms, failing
// the test when one comes before the one before it.
func blocks(t *testing.T, p parsed) iter.Seq2[int64, ebml.Block] {
	t.Helper()
	return func(yield func(int64, ebml.Block) bool) {
		last := int64(-1)
		for _, c := range p.Segment.Cluster {
			for _, b := range c.SimpleBlock {
				ts := int64(c.Timecode) + int64(b.Timecode)
				if ts < last {
					t.Fatalf("block at %d ms after one at %d", ts, last)
				}
				last = ts
				if !yield(ts, b) {
					return
				}
			}
		}
	}
}

// R-V4, R-V7: one file with both tracks, chapters for the pause, the tags,
// and every packet in time order.
func TestWriteRoundTrip(t *testing.T) {
	rec := fakeSpool(t, 12)
	var buf bytes.Buffer
	if err := webm.Write(&buf, rec, webm.Meta{Title: "i-42", Tags: map[string]string{"queue": "sales"}}); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := ebml.Unmarshal(bytes.NewReader(buf.Bytes()), &p); err != nil {
		t.Fatal(err)
	}
	s := p.Segment
	if p.Header.DocType != "webm" || s.Info.Duration != 12000 {
		t.Fatalf("doctype %q duration %v", p.Header.DocType, s.Info.Duration)
	}
	if len(s.Tracks.TrackEntry) != 2 || s.Tracks.TrackEntry[0].CodecID != "V_VP8" || s.Tracks.TrackEntry[1].CodecID != "A_OPUS" {
		t.Fatalf("tracks %+v", s.Tracks)
	}
	if ph := s.Tracks.TrackEntry[1].CodecPrivate; !bytes.Equal(ph, webm.OpusHead(1, 312, 48000)) || len(ph) != 19 {
		t.Fatalf("OpusHead %x", ph)
	}
	atoms := s.Chapters.EditionEntry[0].ChapterAtom
	if len(atoms) != 4 || atoms[1].ChapterTimeStart != uint64(2*time.Second) || atoms[1].ChapterTimeEnd != uint64(3*time.Second) || atoms[1].ChapterDisplay[0].ChapString != "recording paused" {
		t.Fatalf("chapters %+v", atoms)
	}
	tags := map[string]string{}
	for _, st := range s.Tags.Tag[0].SimpleTag {
		tags[st.TagName] = st.TagString
	}
	if tags["interaction"] != "i-42" || tags["agent"] != "alice" || tags["queue"] != "sales" {
		t.Fatalf("tags %v", tags)
	}
	var v, a int
	for ts, b := range blocks(t, p) {
		switch b.TrackNumber {
		case 1:
			if int(b.Data[0][0]) != v || ts != int64(v)*200 || b.Keyframe != (v%5 == 0) {
				t.Fatalf("video block %d: data %v at %d key %v", v, b.Data[0], ts, b.Keyframe)
			}
			v++
		case 2:
			a++
		}
	}
	if v != 60 || a != 600 {
		t.Fatalf("%d video and %d audio blocks, want 60 and 600", v, a)
	}
	if len(s.Cluster) < 3 {
		t.Fatalf("%d clusters for 12 s", len(s.Cluster))
	}
}

func TestWriteEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.spool")
	w, _ := spool.Create(path, spool.Header{}, spool.Options{})
	w.Close()
	r, err := spool.Recover(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := webm.Write(&bytes.Buffer{}, r, webm.Meta{}); err != webm.ErrEmpty {
		t.Fatalf("err %v, want ErrEmpty", err)
	}
}

// ffprobe reports the streams and the container duration of path.
type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
	Chapters []struct {
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
	} `json:"chapters"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	needTool(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", "-show_chapters", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v", err)
	}
	return p
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		msg := fmt.Sprintf("%s not installed (Debian ffmpeg; make deps)", name)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

func TestFFprobeReadsContainer(t *testing.T) {
	rec := fakeSpool(t, 6)
	path := filepath.Join(t.TempDir(), "f.webm")
	f, _ := os.Create(path)
	if err := webm.Write(f, rec, webm.Meta{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := ffprobe(t, path)
	if len(p.Streams) != 2 || p.Streams[0].CodecName != "vp8" || p.Streams[1].CodecName != "opus" {
		t.Fatalf("streams %+v", p.Streams)
	}
	if p.Format.Duration != "6.000000" {
		t.Fatalf("duration %s", p.Format.Duration)
	}
	if len(p.Chapters) != 4 || p.Chapters[1].StartTime != "2.000000" || p.Chapters[1].EndTime != "3.000000" {
		t.Fatalf("chapters %+v", p.Chapters)
	}
	if p.Format.Tags["INTERACTION"] != "i-42" && p.Format.Tags["interaction"] != "i-42" {
		t.Fatalf("tags %v", p.Format.Tags)
	}
}

// Written to a file, the WebM has its Segment size, a SeekHead whose
// entries point at their elements, and Cues: players can seek (R-V5).
func TestSeekableFile(t *testing.T) {
	rec := fakeSpool(t, 12)
	path := filepath.Join(t.TempDir(), "s.webm")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("prefix")) // the file need not start at offset 0
	if err := webm.Write(f, rec, webm.Meta{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	all, _ := os.ReadFile(path)
	data := all[len("prefix"):]
	seg := bytes.Index(data, []byte{0x18, 0x53, 0x80, 0x67})
	if seg < 0 {
		t.Fatal("no Segment")
	}
	segStart := seg + 12
	if size := binary.BigEndian.Uint64(data[seg+4:seg+12]) &^ (0xFF << 56); int(size) != len(data)-segStart || data[seg+4] != 0x01 {
		t.Fatalf("segment size %d, want %d", size, len(data)-segStart)
	}
	var sh struct {
		SeekHead struct {
			Seek []struct {
				SeekID       []byte `ebml:"SeekID"`
				SeekPosition uint64 `ebml:"SeekPosition"`
			} `ebml:"Seek"`
		} `ebml:"SeekHead"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(data[segStart:segStart+160]), &sh); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range sh.SeekHead.Seek {
		at := segStart + int(s.SeekPosition)
		if at+4 > len(data) || !bytes.Equal(data[at:at+len(s.SeekID)], s.SeekID) {
			t.Fatalf("seek entry %x points at %d, which is not it", s.SeekID, s.SeekPosition)
		}
		ids[fmt.Sprintf("%x", s.SeekID)] = true
	}
	for _, want := range []string{"1549a966", "1654ae6b", "1043a770", "1254c367", "1c53bb6b"} {
		if !ids[want] {
			t.Errorf("no seek entry for %s (have %v)", want, ids)
		}
	}
	// ffprobe still reads it (the prefix cut off), and sees the length.
	clean := filepath.Join(t.TempDir(), "c.webm")
	os.WriteFile(clean, data, 0o600)
	if p := ffprobe(t, clean); p.Format.Duration != "12.000000" || len(p.Streams) != 2 {
		t.Fatalf("ffprobe: %+v", p)
	}
}

// To a pipe (no seeking) the file streams without SeekHead or Cues.
func TestStreamToPipe(t *testing.T) {
	rec := fakeSpool(t, 3)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	if err := webm.Write(w, rec, webm.Meta{}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	data := <-done
	var p parsed
	if err := ebml.Unmarshal(bytes.NewReader(data), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Segment.Cluster) == 0 || bytes.Contains(data, []byte{0x1C, 0x53, 0xBB, 0x6B}) {
		t.Fatalf("%d clusters; cues present in a streamed file", len(p.Segment.Cluster))
	}
}
