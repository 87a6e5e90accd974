package control_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/control"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/session"
)

// hourSpool writes one recorded hour into dir/c1.spool quickly: 5 fps
// video (a 20 KB keyframe every 10 s, 1 KB otherwise), 20 ms Opus packets
// of 60 bytes, a pause every 10 minutes, plus the sidecar with one
// recording of 600 recorded lines.
func hourSpool(b *testing.B, dir string) int64 {
	b.Helper()
	started := time.Now().UTC()
	w, err := spool.Create(filepath.Join(dir, "c1.spool"), spool.Header{VideoCodec: "V_VP8", Width: 1280, Height: 720, FPS: 5,
		AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1, PreSkip: 312, Started: started}, spool.Options{SyncEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	key, delta, voice := make([]byte, 20<<10), make([]byte, 1<<10), make([]byte, 60)
	w.WriteMark(capture.Mark{Kind: capture.MarkStart})
	for a := 0; a < 3600*50; a++ {
		pts := time.Duration(a) * 20 * time.Millisecond
		if a%10 == 0 {
			k := a%500 == 0
			d := delta
			if k {
				d = key
			}
			w.WritePacket(capture.Packet{Track: capture.TrackVideo, PTS: pts, Key: k, Data: d})
		}
		if a%30000 == 0 && a > 0 {
			w.WriteMark(capture.Mark{Kind: capture.MarkPause, PTS: pts})
			w.WriteMark(capture.Mark{Kind: capture.MarkResume, PTS: pts + 10*time.Second})
		}
		w.WritePacket(capture.Packet{Track: capture.TrackAudio, PTS: pts, Data: voice})
	}
	w.WriteMark(capture.Mark{Kind: capture.MarkStop, PTS: time.Hour})
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	ch := session.ChatData{ID: "c1", Customer: "Bob", Queue: "general", State: session.Done,
		Recording: &session.RecordingData{Recordings: []session.RecordingInfo{{ID: "r1", Kind: "record", State: "final", Screen: true, Name: "hour"}}}}
	for i := 1; i <= 600; i++ {
		ch.Transcript = append(ch.Transcript, session.MessageData{ID: int64(i), From: "agent", Name: "Ada", Text: "a line of the chat",
			At: started.Add(time.Duration(i) * 6 * time.Second)})
		ch.Recording.Recordings[0].Lines = append(ch.Recording.Recordings[0].Lines, int64(i))
	}
	sc, _ := json.Marshal(map[string]any{"started": started, "agent": "ada", "chat": ch})
	if err := os.WriteFile(filepath.Join(dir, "c1.json"), sc, 0o600); err != nil {
		b.Fatal(err)
	}
	return w.Bytes()
}

// BenchmarkCombineHour: combine time per recorded hour (issue 6), plain
// and age-encrypted: packets copied, no re-encode.
func BenchmarkCombineHour(b *testing.B) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		recipient string
	}{{"plain", ""}, {"age", id.Recipient().String()}} {
		b.Run(tc.name, func(b *testing.B) {
			var size int64
			for b.Loop() {
				b.StopTimer()
				dir, q := b.TempDir(), &fakeQueue{dir: b.TempDir()}
				size = hourSpool(b, dir)
				c, err := control.New(control.Config{SpoolDir: dir, Queue: q, Recipient: tc.recipient})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if n, err := c.Recover(context.Background()); n != 1 || err != nil {
					b.Fatalf("combined %d: %v", n, err)
				}
			}
			b.ReportMetric(float64(size)/(1<<20), "spoolMB")
		})
	}
}
