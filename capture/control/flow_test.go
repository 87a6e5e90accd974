package control_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/control/devices"
	"github.com/agentdesk/agentdesk/session"
)

// TestRecordPauseEndDone_R_V2: capture follows the recording: it starts
// when the recording is on, voice and screen pause together (R-V2, R-G5),
// the voice stops when the chat enters ACW and the screen at done. The
// one file (R-V4, R-C6) is encrypted to the recipient, holds VP8, Opus and
// the recorded lines only (R-C5) as subtitles, a pause chapter, the tags;
// the spool is gone.
func TestRecordPauseEndDone_R_V2(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, devices.Synthetic{Width: 160, Height: 120}, id.Recipient().String())
	r.open("c1")
	r.say("c1", "before the recording", false)
	r.rec("c1", "recording", true, "")
	st := r.waitStatus("c1", "capturing", func(s control.Status) bool { return s.Screen && s.Voice })
	if st.Note != "" {
		t.Fatalf("note %q", st.Note)
	}
	r.say("c1", "recorded one", true)
	r.media("c1", 500e6)
	r.rec("c1", "paused", true, "")
	if st := r.c.Status("c1"); !st.Paused || st.Screen || st.Voice {
		t.Fatalf("paused: %+v", st)
	}
	r.say("c1", "said while paused", false)
	r.media("c1", 500e6)
	r.rec("c1", "recording", true, "")
	r.say("c1", "recorded two", true)
	r.media("c1", 500e6)
	r.state("c1", session.ACW)
	st = r.waitStatus("c1", "voice stopped", func(s control.Status) bool { return s.VoiceStopped })
	if !st.Screen || st.Voice {
		t.Fatalf("in ACW the screen goes on, the voice not: %+v", st)
	}
	r.media("c1", 300e6)
	r.rec("c1", "final", true, "general_ada_record_c1")
	r.state("c1", session.Done)
	if err := r.c.Wait(); err != nil {
		t.Fatal(err)
	}
	items := r.q.all()
	if len(items) != 1 {
		t.Fatalf("queued %+v", items)
	}
	m := items[0]
	if m.File != "general_ada_record_c1.webm.age" || !m.Encrypted || m.Interaction != "c1" || m.Agent != "ada" || m.Customer != "Bob" || len(m.SHA256) != 64 {
		t.Fatalf("manifest %+v", m)
	}
	path := decrypt(t, filepath.Join(r.q.dir, m.File), id)
	p, srt := ffprobe(t, path)
	if codecs(p) != "vp8,opus,subrip" {
		t.Fatalf("streams %s", codecs(p))
	}
	for _, want := range []string{"Ada: recorded one", "Ada: recorded two"} {
		if !strings.Contains(srt, want) {
			t.Errorf("subtitles lack %q:\n%s", want, srt)
		}
	}
	for _, not := range []string{"before the recording", "while paused"} {
		if strings.Contains(srt, not) {
			t.Errorf("subtitles have %q:\n%s", not, srt)
		}
	}
	var chapters []string
	for _, c := range p.Chapters {
		chapters = append(chapters, c.Tags["title"])
	}
	if got := strings.Join(chapters, "|"); !strings.Contains(got, "recording paused") || !strings.Contains(got, "voice stopped") {
		t.Fatalf("chapters %s", got)
	}
	if tg := p.Format.Tags; tg["INTERACTION"]+tg["interaction"] != "c1" || tg["CUSTOMER"]+tg["customer"] != "Bob" {
		t.Fatalf("tags %v", tg)
	}
	left, _ := filepath.Glob(filepath.Join(r.spool, "*"))
	for _, f := range left {
		if filepath.Base(f) != "out" {
			t.Errorf("left in the spool folder: %s", f)
		}
	}
	if out, _ := os.ReadDir(filepath.Join(r.spool, "out")); len(out) != 0 {
		t.Errorf("left in out: %v", out)
	}
}

// Issue 11 point 19 (R-C1, R-G4): a stop is not a pause. Record 0.5 s,
// stop for 1.5 s, continue 0.5 s with a 0.5 s pause inside: the file
// holds the two parts one after the other (about 1.5 s, not the 3 s the
// capture ran), a chapter per part and the pause's, padded. The wrap-up
// note is a tag (point 11).
func TestStopsAreCutPausesPadded(t *testing.T) {
	r := newRig(t, devices.Synthetic{Width: 160, Height: 120}, "")
	r.open("c1")
	r.send(session.TypeChat, "c1", session.ChatData{ID: "c1", Customer: "Bob", Queue: "general", State: session.Connected,
		Note: "refund promised", Transcript: []session.MessageData{}}) // as a wrap-up note would come
	r.rec("c1", "recording", true, "")
	r.waitStatus("c1", "capturing", func(s control.Status) bool { return s.Screen && s.Voice })
	r.say("c1", "part one", true)
	r.media("c1", 500e6)
	r.rec("c1", "stopped", true, "")
	r.say("c1", "said while stopped", false)
	r.media("c1", 1500e6)
	r.rec("c1", "recording", true, "")
	r.say("c1", "part two", true)
	r.media("c1", 250e6)
	r.rec("c1", "paused", true, "")
	r.media("c1", 500e6)
	r.rec("c1", "recording", true, "")
	r.media("c1", 250e6)
	streams, srt, file := r.finish("c1", true)
	if streams != "vp8,opus,subrip" {
		t.Fatalf("streams %s", streams)
	}
	p, _ := ffprobe(t, filepath.Join(r.q.dir, file))
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil || d < 1.3 || d > 2.2 {
		t.Fatalf("duration %s s, want about 1.5 s: the stopped 1.5 s cut, the pause kept", p.Format.Duration)
	}
	var chapters []string
	for _, c := range p.Chapters {
		chapters = append(chapters, c.Tags["title"])
	}
	if got := strings.Join(chapters, "|"); !strings.HasPrefix(got, "part 1|part 2|recording paused") {
		t.Fatalf("chapters %s, want part 1, part 2 and the pause inside it", got)
	}
	for _, want := range []string{"part one", "part two"} {
		if !strings.Contains(srt, want) {
			t.Errorf("subtitles lack %q:\n%s", want, srt)
		}
	}
	if strings.Contains(srt, "while stopped") {
		t.Errorf("subtitles hold a line said while stopped:\n%s", srt)
	}
	if tg := p.Format.Tags; tg["NOTE"]+tg["note"] != "refund promised" {
		t.Errorf("tags %v lack the note", tg)
	}
	if m := r.q.all()[0]; m.DurationMS < 1300 || m.DurationMS > 2200 {
		t.Errorf("manifest duration %d ms, want the file's", m.DurationMS)
	}
}
