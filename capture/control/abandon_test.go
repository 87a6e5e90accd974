package control_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/session"
)

// Issue 15 point 4 (R-V10): a capture whose desktop is lost mid-recording
// is finished without the chat's end: one file under the fallback name,
// the mark in its tags and manifest, the lines recorded so far; the
// controller then starts afresh and the Actives list is empty.
func TestAbandonMarksAndQueues_R_V10(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 64, Height: 48}, "")
	r.open("c1")
	r.rec("c1", "recording", true, "")
	r.waitStatus("c1", "capture running", func(s control.Status) bool { return s.Screen && s.Voice })
	id := r.say("c1", "hello while recording", true)
	ri := session.RecordingInfo{ID: "r1", Kind: "record", State: "recording", Screen: true, By: "agent", Lines: []int64{id}}
	r.send(session.TypeRecording, "c1", session.RecordingData{Recording: true, Recordings: []session.RecordingInfo{ri}})
	r.media("c1", 600*time.Millisecond)
	if a := r.c.Actives(); len(a) != 1 || a[0].Chat != "c1" || a[0].Media.Frames == 0 || a[0].Media.Grabs == 0 {
		t.Fatalf("actives while recording: %+v", a)
	}
	if n := r.c.Abandon(r.ctx, control.MarkDesktopLost); n != 1 {
		t.Fatalf("Abandon finished %d captures, want 1", n)
	}
	if err := r.c.Wait(); err != nil {
		t.Fatal(err)
	}
	got := r.q.all()
	if len(got) != 1 {
		t.Fatalf("queued %d files, want 1: %+v", len(got), got)
	}
	m := got[0]
	if m.File != "c1_r1_recovered.webm" || m.Metadata[control.MarkKey] != control.MarkDesktopLost {
		t.Fatalf("manifest: file %q metadata %v", m.File, m.Metadata)
	}
	p, srt := ffprobe(t, filepath.Join(r.q.dir, m.File))
	if p.Format.Tags["CAPTURE.MARK"] != control.MarkDesktopLost && p.Format.Tags["capture.mark"] != control.MarkDesktopLost {
		t.Fatalf("file tags %v lack the mark", p.Format.Tags)
	}
	if codecs(p) != "vp8,opus,subrip" || srt == "" {
		t.Fatalf("codecs %s, subtitles %q", codecs(p), srt)
	}
	if a := r.c.Actives(); len(a) != 0 {
		t.Fatalf("actives after abandon: %+v", a)
	}
	if n := r.c.Abandon(r.ctx, control.MarkDesktopLost); n != 0 {
		t.Fatalf("a second Abandon finished %d", n)
	}
}
