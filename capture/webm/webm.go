// Package webm turns a recovered spool into one WebM file: the VP8 screen
// track, the Opus voice track, chapters for the timeline marks (pauses,
// voice stop) and tags. It streams: packets are read from the spool as
// they are written, one cluster (a few seconds) at a time.
package webm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/at-wat/ebml-go"
	mkv "github.com/at-wat/ebml-go/webm"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
)

// ErrEmpty is returned for a spool without a packet to write.
var ErrEmpty = errors.New("webm: nothing recorded")

// Meta is what the file says about itself besides the media.
type Meta struct {
	// Title is the segment title (empty: none).
	Title string
	// Tags are written as global tags, after the spool's own (R-V7);
	// these win on a clash.
	Tags map[string]string
	// App names the writing application (empty: "agentdesk").
	App string
	// NoVideo leaves the spool's screen track out (a recording without
	// screen, R-V1, cut from a capture that had one).
	NoVideo bool
	// Subtitles become an S_TEXT/UTF8 track (the recorded chat transcript),
	// one block per line at its time in the file (with Parts, MapTime
	// gives it); they need not be sorted.
	Subtitles []Subtitle
	// Parts, when set, are the stretches of the spool the file holds, one
	// after the other, each a chapter "part N" (issue 11 point 19): what
	// lies between them (a recording stopped, then continued) is not in
	// the file; pauses inside a part stay, padded (R-G4). Packets and
	// marks are moved to the file's time. Empty: the whole spool.
	Parts []Part
}

// Subtitle is one line of the subtitle track: Text shown from At for
// Duration (0: until the next line, at most SubtitleMax).
type Subtitle struct {
	At       time.Duration
	Duration time.Duration
	Text     string
}

// SubtitleMax is the longest a subtitle line stays without a Duration.
const SubtitleMax = 5 * time.Second

// TrackSubtitle is the WebM track number of the subtitle track.
const TrackSubtitle capture.Track = 3

// Cluster limits: a new cluster starts at a video keyframe once the
// current one is MinCluster long, and in any case at MaxCluster.
const (
	MinCluster = time.Second
	MaxCluster = 5 * time.Second
)

// Write writes rec as WebM to w in one pass. Only the spool's good part
// is read. When w can also seek (a file), the Segment gets its size, a
// SeekHead and Cues, so players can seek; otherwise it is a streamable
// file without them.
func Write(w io.Writer, rec *spool.Recording, meta Meta) error {
	var tl *timeline
	var cut *cutter
	if len(meta.Parts) > 0 {
		tl = newTimeline(meta.Parts, spoolEnd(rec))
		cut = newCutter(tl)
	}
	subs := timedSubtitles(meta.Subtitles)
	if tl != nil { // the file ends with its last part, not a line's few seconds later
		for i := range subs {
			subs[i].At = min(subs[i].At, tl.end)
			subs[i].Duration = max(min(subs[i].Duration, tl.end-subs[i].At), time.Millisecond)
		}
	}
	hasVideo := rec.Video > 0 && !meta.NoVideo
	if !hasVideo && rec.Audio == 0 && len(subs) == 0 {
		return ErrEmpty
	}
	cw := &countWriter{w: w}
	ws, _ := w.(io.WriteSeeker)
	var off0 int64
	if ws != nil {
		var err error
		if off0, err = ws.Seek(0, io.SeekCurrent); err != nil {
			ws = nil // a pipe: stream it
		}
	}
	var cast []byte
	if hasVideo && rec.Terminal > 0 {
		var err error
		if cast, err = castOf(rec, meta.Title, tl); err != nil {
			return err
		}
	}
	lay, err := writeHead(cw, rec, meta, subs, tl, cast, ws != nil)
	if err != nil {
		return err
	}
	m := &merger{}
	if hasVideo {
		m.v = rec.Cursor(capture.TrackVideo)
	}
	if rec.Audio > 0 {
		m.a = rec.Cursor(capture.TrackAudio)
	}
	cueTrack := capture.TrackVideo
	switch {
	case !hasVideo && rec.Audio > 0:
		cueTrack = capture.TrackAudio
	case !hasVideo:
		cueTrack = TrackSubtitle
	}
	cl := &clusterWriter{w: cw, videoTrack: hasVideo, cueTrack: cueTrack, segStart: lay.segStart}
	for {
		p, err := m.next()
		if err != nil && err != io.EOF {
			return fmt.Errorf("webm: read spool: %w", err)
		}
		if err == nil && cut != nil && !cut.keep(&p) {
			continue // between parts: not in the file
		}
		// Subtitle lines due before the next packet (or all, at the end).
		for len(subs) > 0 && (err == io.EOF || subs[0].At < p.PTS) {
			if serr := cl.add(capture.Packet{Track: TrackSubtitle, PTS: subs[0].At, Key: true, Data: []byte(subs[0].Text)}, subs[0].Duration); serr != nil {
				return serr
			}
			subs = subs[1:]
		}
		if err == io.EOF {
			break
		}
		if err := cl.add(p, 0); err != nil {
			return err
		}
	}
	if err := cl.flush(); err != nil {
		return err
	}
	if ws == nil {
		return nil
	}
	lay.base = off0
	return finishSeekable(cw, ws, lay, cl.cues)
}

// layout is where writeHead put things, for the SeekHead.
type layout struct {
	base     int64 // w's offset where the file began
	sizeAt   int64 // the Segment's size field
	segStart int64 // the Segment's data
	seekAt   int64 // the space kept for the SeekHead
	elems    []seekEntry
}

type seekEntry struct {
	id  string
	pos int64 // absolute
}

// seekRoom is the space kept for the SeekHead (six entries take 131
// bytes).
const seekRoom = 160

// writeHead writes the EBML header, the Segment's head (size unknown for
// now), room for a SeekHead when seekable, and Info, Tracks, Chapters,
// Tags and Attachments (the text desktop's cast, when there is one).
func writeHead(w *countWriter, rec *spool.Recording, meta Meta, subs []Subtitle, tl *timeline, cast []byte, seekable bool) (layout, error) {
	lay := layout{}
	if err := ebml.Marshal(&struct {
		Header *mkv.EBMLHeader `ebml:"EBML"`
	}{mkv.DefaultEBMLHeader}, w); err != nil {
		return lay, fmt.Errorf("webm: header: %w", err)
	}
	lay.sizeAt = w.n + 4
	// The Segment's size is unknown until the end (and stays so when w
	// cannot seek).
	if _, err := w.Write([]byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}); err != nil {
		return lay, fmt.Errorf("webm: %w", err)
	}
	lay.segStart = w.n
	if seekable {
		lay.seekAt = w.n
		if _, err := w.Write(voidElement(seekRoom)); err != nil {
			return lay, fmt.Errorf("webm: %w", err)
		}
	}
	app := meta.App
	if app == "" {
		app = "agentdesk"
	}
	end := spoolEnd(rec)
	chaps := chaptersOf(rec.Marks)
	if tl != nil {
		end, chaps = tl.end, partChapters(tl, rec.Marks)
	}
	if n := len(subs); n > 0 {
		end = max(end, subs[n-1].At+subs[n-1].Duration)
	}
	parts := []struct {
		id string
		v  any
	}{
		{idInfo, &struct {
			Info info `ebml:"Info"`
		}{info{TimecodeScale: 1000000, MuxingApp: app, WritingApp: app, Title: meta.Title,
			Duration: float64(end) / float64(time.Millisecond), DateUTC: rec.Header.Started}}},
		{idTracks, &struct {
			Tracks tracks `ebml:"Tracks"`
		}{trackEntries(rec, !meta.NoVideo, len(subs) > 0)}},
		{idChapters, &struct {
			Chapters chapters `ebml:"Chapters,omitempty"`
		}{chaps}},
		{idTags, &struct {
			Tags tags `ebml:"Tags,omitempty"`
		}{tagsOf(rec.Header.Tags, meta.Tags)}},
		{idAttach, &struct {
			Attachments attachments `ebml:"Attachments,omitempty"`
		}{attachmentsOf(cast)}},
	}
	for _, p := range parts {
		at := w.n
		if err := ebml.Marshal(p.v, w); err != nil {
			return lay, fmt.Errorf("webm: %w", err)
		}
		if w.n > at {
			lay.elems = append(lay.elems, seekEntry{p.id, at})
		}
	}
	return lay, nil
}

func trackEntries(rec *spool.Recording, withVideo, withSubs bool) tracks {
	h := rec.Header
	var t tracks
	if rec.Video > 0 && withVideo {
		codec := h.VideoCodec
		if codec == "" {
			codec = "V_VP8"
		}
		t.TrackEntry = append(t.TrackEntry, trackEntry{Name: "screen", TrackNumber: uint64(capture.TrackVideo),
			TrackUID: 1, CodecID: codec, TrackType: 1, Language: "und",
			Video: &video{PixelWidth: uint64(h.Width), PixelHeight: uint64(h.Height)}})
	}
	if rec.Audio > 0 {
		rate, ch := h.SampleRate, h.Channels
		if rate <= 0 {
			rate = 48000
		}
		if ch <= 0 {
			ch = 1
		}
		codec := h.AudioCodec
		if codec == "" {
			codec = "A_OPUS"
		}
		e := trackEntry{Name: "voice", TrackNumber: uint64(capture.TrackAudio), TrackUID: 2, CodecID: codec,
			TrackType: 2, Language: "und", Audio: &audio{SamplingFrequency: float64(rate), Channels: uint64(ch)}}
		if codec == "A_OPUS" {
			e.CodecPrivate = OpusHead(ch, h.PreSkip, rate)
			e.CodecDelay = uint64(h.PreSkip) * uint64(time.Second) / 48000
			e.SeekPreRoll = uint64(80 * time.Millisecond)
		}
		t.TrackEntry = append(t.TrackEntry, e)
	}
	if withSubs {
		t.TrackEntry = append(t.TrackEntry, trackEntry{Name: "chat transcript", TrackNumber: uint64(TrackSubtitle),
			TrackUID: 3, CodecID: "S_TEXT/UTF8", TrackType: 0x11, Language: "und"})
	}
	return t
}

// timedSubtitles sorts the lines by time and gives each without a
// Duration one until the next line, at most SubtitleMax.
func timedSubtitles(in []Subtitle) []Subtitle {
	subs := slices.Clone(in)
	slices.SortStableFunc(subs, func(a, b Subtitle) int { return cmpDur(a.At, b.At) })
	for i := range subs {
		subs[i].At = max(subs[i].At, 0)
		if subs[i].Duration > 0 {
			continue
		}
		d := SubtitleMax
		if i+1 < len(subs) {
			d = min(d, max(subs[i+1].At-subs[i].At, time.Millisecond))
		}
		subs[i].Duration = d
	}
	return subs
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// OpusHead is the Opus identification header (RFC 7845 5.1), the
// CodecPrivate of an Opus track.
func OpusHead(channels, preSkip, rate int) []byte {
	b := []byte("OpusHead")
	b = append(b, 1, byte(channels))
	b = binary.LittleEndian.AppendUint16(b, uint16(preSkip))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint16(b, 0) // output gain
	return append(b, 0)                        // mapping family 0: mono or stereo
}

// spoolEnd is the media time of the spool's last packet or mark.
func spoolEnd(rec *spool.Recording) time.Duration {
	end := rec.Duration
	for _, mk := range rec.Marks {
		end = max(end, mk.PTS)
	}
	return end
}

// chaptersOf makes one chapter per mark; a pause runs to its resume.
func chaptersOf(marks []capture.Mark) chapters {
	var ed edition
	for i, m := range marks {
		a := chapterAtom{ChapterUID: uint64(i + 1), ChapterTimeStart: uint64(max(m.PTS, 0)),
			ChapterDisplay: []chapterDisplay{{ChapString: chapterName(m), ChapLanguage: "eng"}}}
		if m.Kind == capture.MarkPause {
			for _, r := range marks[i+1:] {
				if r.Kind == capture.MarkResume || r.Kind == capture.MarkStop {
					a.ChapterTimeEnd = uint64(r.PTS)
					break
				}
			}
		}
		ed.ChapterAtom = append(ed.ChapterAtom, a)
	}
	if len(ed.ChapterAtom) == 0 {
		return chapters{}
	}
	return chapters{EditionEntry: []edition{ed}}
}

func chapterName(m capture.Mark) string {
	names := map[capture.MarkKind]string{
		capture.MarkStart: "recording started", capture.MarkPause: "recording paused",
		capture.MarkResume: "recording resumed", capture.MarkVoiceStop: "voice stopped",
		capture.MarkStop: "recording stopped", capture.MarkError: "capture error",
	}
	name, ok := names[m.Kind]
	if !ok {
		name = fmt.Sprintf("mark %d", m.Kind)
	}
	if m.Text != "" && m.Text != name {
		name += ": " + m.Text
	}
	return name
}

func tagsOf(base, extra map[string]string) tags {
	all := map[string]string{}
	for k, v := range base {
		all[k] = v
	}
	for k, v := range extra {
		all[k] = v
	}
	if len(all) == 0 {
		return tags{}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tg := tag{Targets: targets{TargetTypeValue: 50}}
	for _, k := range keys {
		tg.SimpleTag = append(tg.SimpleTag, simpleTag{TagName: k, TagString: all[k]})
	}
	return tags{Tag: []tag{tg}}
}
