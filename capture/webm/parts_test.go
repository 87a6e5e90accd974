package webm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"

	"github.com/agentdesk/agentdesk/capture/webm"
)

// Issue 11 point 19 (R-C1, R-G4): a file of parts holds the parts one
// after the other, the stopped time between them cut, a chapter per part;
// a pause inside a part keeps its padding and its chapter. A part that
// starts between keyframes waits for the next keyframe.
func TestWriteParts(t *testing.T) {
	rec := fakeSpool(t, 6) // video every 200 ms, a keyframe every second; paused 2 s to 3 s
	parts := []webm.Part{{From: 4500 * time.Millisecond, To: -1}, {From: 0, To: 3500 * time.Millisecond}}
	at := func(d time.Duration) time.Duration { t, _ := webm.MapTime(parts, 6*time.Second, d); return t }
	subs := []webm.Subtitle{{At: at(time.Second), Text: "in part 1"}, {At: at(5 * time.Second), Text: "in part 2"}}
	var buf bytes.Buffer
	if err := webm.Write(&buf, rec, webm.Meta{Parts: parts, Subtitles: subs}); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := ebml.Unmarshal(bytes.NewReader(buf.Bytes()), &p); err != nil {
		t.Fatal(err)
	}
	s := p.Segment
	if s.Info.Duration != 5000 { // 3.5 s + 1.5 s, not the spool's 6 s
		t.Fatalf("duration %v ms, want 5000", s.Info.Duration)
	}
	type chap struct {
		name       string
		start, end time.Duration
	}
	var got []chap
	for _, a := range s.Chapters.EditionEntry[0].ChapterAtom {
		got = append(got, chap{a.ChapterDisplay[0].ChapString, time.Duration(a.ChapterTimeStart), time.Duration(a.ChapterTimeEnd)})
	}
	want := []chap{
		{"part 1", 0, 3500 * time.Millisecond},
		{"recording paused", 2 * time.Second, 3 * time.Second},
		{"part 2", 3500 * time.Millisecond, 5 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("chapters %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("chapter %d %+v, want %+v", i, got[i], want[i])
		}
	}
	var video []int64
	var audio int
	for ts, b := range blocks(t, p) {
		switch b.TrackNumber {
		case 1:
			video = append(video, ts)
			if ts == 4000 && !b.Keyframe {
				t.Error("part 2's first video block is not a keyframe")
			}
		case 2:
			audio++
		}
	}
	if n := len(video); n == 0 || video[n-1] != 4800 || video[17] != 3400 || video[18] != 4000 {
		// part 1: 0..3.4 s (18 frames); part 2 waits for the 5 s keyframe
		// (file 4.0 s) and runs to 5.8 s (file 4.8 s)
		t.Fatalf("video at %v ms", video)
	}
	if audio != (3500+1500)/20 {
		t.Fatalf("%d audio blocks, want %d (5 s of 20 ms)", audio, 250)
	}

	// ffprobe agrees: 5 s, three chapters
	path := filepath.Join(t.TempDir(), "parts.webm")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := ffprobe(t, path)
	if pr.Format.Duration != "5.000000" || len(pr.Chapters) != 3 {
		t.Fatalf("ffprobe: duration %s, chapters %+v", pr.Format.Duration, pr.Chapters)
	}
}

// MapTime moves spool time onto the file of parts: inside a part by the
// cut before it, in a cut to where the cut is.
func TestMapTime(t *testing.T) {
	parts := []webm.Part{{From: 0, To: 10 * time.Second}, {From: 30 * time.Second, To: 40 * time.Second}}
	for _, tc := range []struct {
		in, want time.Duration
		ok       bool
	}{
		{5 * time.Second, 5 * time.Second, true},
		{20 * time.Second, 10 * time.Second, false},
		{35 * time.Second, 15 * time.Second, true},
		{50 * time.Second, 20 * time.Second, false},
	} {
		got, ok := webm.MapTime(parts, time.Minute, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MapTime(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if l := webm.Length(parts, time.Minute); l != 20*time.Second {
		t.Errorf("Length = %v, want 20s", l)
	}
}
