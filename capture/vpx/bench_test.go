package vpx

import (
	"fmt"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// BenchmarkEncode1280x720 encodes a busy screen (text scrolling a line a
// frame) and a static one (the same picture again) at 5 fps, reporting
// bytes per frame, for VP8 and VP9 at a few speeds.
func BenchmarkEncode1280x720(b *testing.B) {
	const w, h = 1280, 720
	var busy [8]*capture.Frame
	for i := range busy {
		busy[i] = pattern(w, h, i)
	}
	cases := []struct {
		codec Codec
		speed int
	}{{VP8, 8}, {VP8, 12}, {VP8, 14}, {VP8, 16}, {VP9, 8}, {VP9, 9}}
	for _, c := range cases {
		for _, static := range []bool{false, true} {
			name := fmt.Sprintf("%v/speed%d/busy", c.codec, c.speed)
			if static {
				name = fmt.Sprintf("%v/speed%d/static", c.codec, c.speed)
			}
			b.Run(name, func(b *testing.B) {
				e := newEnc(b, Options{Width: w, Height: h, Codec: c.codec, Speed: c.speed})
				// A keyframe and a few frames first: the static case then
				// measures unchanged frames only.
				pts := time.Duration(0)
				for i := 0; i < 3; i++ {
					if _, err := e.Encode(busy[i], pts, false); err != nil {
						b.Fatal(err)
					}
					pts += 200 * time.Millisecond
				}
				var bytes, n int
				b.ReportAllocs()
				for b.Loop() {
					f := busy[0]
					if !static {
						f = busy[n%len(busy)]
					}
					pkts, err := e.Encode(f, pts, false)
					if err != nil {
						b.Fatal(err)
					}
					for _, p := range pkts {
						bytes += len(p.Data)
					}
					n++
					pts += 200 * time.Millisecond
				}
				b.ReportMetric(float64(bytes)/float64(n), "B/frame")
			})
		}
	}
}
